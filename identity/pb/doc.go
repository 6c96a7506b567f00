// Package pb holds the protobuf payloads of the identity package's signed
// records. The generated code is committed so that a build needs no protoc.
//
// protoc runs from the module root so that the file registers as
// "identity/pb/records.proto": a bare "records.proto" could collide in the
// global protobuf registry with another package's file of the same name.
package pb

//go:generate protoc --proto_path=../.. --go_out=../.. --go_opt=paths=source_relative identity/pb/records.proto
