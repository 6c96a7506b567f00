package chat

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/parley-im/parley/chat/pb"
)

func TestFrameRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	fw := newFrameWriter(&buf)
	want := []*pb.Frame{
		{Id: bytes.Repeat([]byte{1}, idLen), Body: &pb.Frame_Message{Message: &pb.ChatMessage{Type: "text", Content: []byte("hi"), SentAt: 1}}},
		{Id: bytes.Repeat([]byte{2}, idLen), Body: &pb.Frame_Ack{Ack: &pb.Ack{Id: bytes.Repeat([]byte{1}, idLen)}}},
	}
	for _, f := range want {
		if err := fw.Write(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := fw.Flush(); err != nil {
		t.Fatal(err)
	}
	fr := newFrameReader(&buf)
	for i, w := range want {
		got, err := fr.Read()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !proto.Equal(got, w) {
			t.Fatalf("frame %d = %v, want %v", i, got, w)
		}
	}
	if _, err := fr.Read(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last frame: err = %v, want EOF", err)
	}
}

func TestOversizedFrameRefusedBeforeReading(t *testing.T) {
	var buf bytes.Buffer
	buf.Write(binary.AppendUvarint(nil, MaxFrameSize+1))
	// No body follows: the reader must refuse on the length alone rather
	// than wait for (or allocate) the announced bytes.
	if _, err := newFrameReader(&buf).Read(); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("err = %v, want ErrFrameTooLarge", err)
	}
}

func TestGarbageFrameIsBadFrame(t *testing.T) {
	var buf bytes.Buffer
	junk := []byte{0xff, 0xff, 0xff, 0xff}
	buf.Write(binary.AppendUvarint(nil, uint64(len(junk))))
	buf.Write(junk)
	if _, err := newFrameReader(&buf).Read(); !errors.Is(err, ErrBadFrame) {
		t.Fatalf("err = %v, want ErrBadFrame", err)
	}
	overflow := bytes.Repeat([]byte{0xff}, 11)
	if _, err := newFrameReader(bytes.NewReader(overflow)).Read(); !errors.Is(err, ErrBadFrame) {
		t.Fatalf("varint overflow: err = %v, want ErrBadFrame", err)
	}
}

func TestTruncatedFrame(t *testing.T) {
	var buf bytes.Buffer
	buf.Write(binary.AppendUvarint(nil, 10))
	buf.Write([]byte{1, 2, 3})
	if _, err := newFrameReader(&buf).Read(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want ErrUnexpectedEOF", err)
	}
}

// FuzzFrameReader feeds arbitrary bytes to the frame decoder: it must
// never panic, never return a frame over the cap, and always end.
func FuzzFrameReader(f *testing.F) {
	var buf bytes.Buffer
	fw := newFrameWriter(&buf)
	fw.Write(&pb.Frame{Id: make([]byte, idLen), Body: &pb.Frame_Message{Message: &pb.ChatMessage{Type: "text", Content: []byte("seed")}}})
	fw.Write(&pb.Frame{Id: make([]byte, idLen), Body: &pb.Frame_Receipt{Receipt: &pb.Receipt{MessageIds: [][]byte{make([]byte, idLen)}}}})
	fw.Flush()
	f.Add(buf.Bytes())
	f.Add([]byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01})
	f.Add(binary.AppendUvarint(nil, MaxFrameSize+1))
	f.Fuzz(func(t *testing.T, data []byte) {
		fr := newFrameReader(bytes.NewReader(data))
		for range len(data) + 1 {
			fr2, err := fr.Read()
			if err != nil {
				return
			}
			if n := proto.Size(fr2); n > MaxFrameSize {
				t.Fatalf("decoded a frame of %d bytes", n)
			}
		}
		t.Fatal("reader did not end")
	})
}
