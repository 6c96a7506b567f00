// Package pb holds the wire messages of Parley's protocols, generated from
// the .proto files in this directory. The generated code is committed, so
// a build needs no protoc; regenerate with `go generate ./chat/pb` (needs
// Debian's protobuf-compiler and protoc-gen-go v1.36.11).
package pb

//go:generate protoc --proto_path=../.. --go_out=../.. --go_opt=paths=source_relative chat/pb/dm.proto chat/pb/group.proto
