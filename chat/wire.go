package chat

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/proto"

	"github.com/parley-im/parley/chat/pb"
)

// MaxFrameSize caps one encoded frame on the DM protocol: a 64 KiB message
// with room for the envelope. Larger frames are a protocol violation.
const MaxFrameSize = 80 << 10

var (
	// ErrFrameTooLarge means a peer announced a frame over MaxFrameSize.
	ErrFrameTooLarge = errors.New("frame too large")
	// ErrBadFrame means a frame did not decode.
	ErrBadFrame = errors.New("undecodable frame")
)

// frameReader reads varint-length-delimited frames, refusing oversized
// ones before allocating for them.
type frameReader struct {
	r   *bufio.Reader
	buf []byte
}

func newFrameReader(r io.Reader) *frameReader {
	return &frameReader{r: bufio.NewReaderSize(r, 32<<10)}
}

// Read returns the next DM frame. io.EOF means the stream ended cleanly
// between frames.
func (fr *frameReader) Read() (*pb.Frame, error) {
	f := new(pb.Frame)
	if err := fr.ReadMsg(f); err != nil {
		return nil, err
	}
	return f, nil
}

// ReadMsg reads the next length-delimited message into m.
func (fr *frameReader) ReadMsg(m proto.Message) error {
	n, err := fr.readLength()
	if err != nil {
		return err
	}
	if n > MaxFrameSize {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, n, MaxFrameSize)
	}
	if cap(fr.buf) < int(n) {
		fr.buf = make([]byte, n)
	}
	buf := fr.buf[:n]
	if _, err := io.ReadFull(fr.r, buf); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	if err := proto.Unmarshal(buf, m); err != nil {
		return fmt.Errorf("%w: %v", ErrBadFrame, err)
	}
	return nil
}

// readLength reads a frame's uvarint length prefix. Errors of the stream
// pass through (io.EOF only before the first byte); a prefix longer than
// a uint64 needs is ErrBadFrame.
func (fr *frameReader) readLength() (uint64, error) {
	var n uint64
	for i := range binary.MaxVarintLen64 {
		b, err := fr.r.ReadByte()
		if err != nil {
			if i > 0 && errors.Is(err, io.EOF) {
				return 0, io.ErrUnexpectedEOF
			}
			return 0, err
		}
		if i == binary.MaxVarintLen64-1 && b > 1 {
			break
		}
		n |= uint64(b&0x7f) << (7 * i)
		if b < 0x80 {
			return n, nil
		}
	}
	return 0, fmt.Errorf("%w: length prefix overflows 64 bits", ErrBadFrame)
}

// Buffered reports whether more input is already buffered, so that a
// reader can gather a batch of frames without blocking.
func (fr *frameReader) Buffered() bool { return fr.r.Buffered() > 0 }

// frameWriter writes varint-length-delimited frames into a buffer; Flush
// sends them.
type frameWriter struct {
	w   *bufio.Writer
	buf []byte
}

func newFrameWriter(w io.Writer) *frameWriter {
	return &frameWriter{w: bufio.NewWriterSize(w, 32<<10)}
}

// Write encodes f and buffers it.
func (fw *frameWriter) Write(f proto.Message) error {
	var err error
	fw.buf, err = proto.MarshalOptions{}.MarshalAppend(fw.buf[:0], f)
	if err != nil {
		return fmt.Errorf("encode frame: %w", err)
	}
	if len(fw.buf) > MaxFrameSize {
		return fmt.Errorf("encode frame: %w: %d bytes", ErrFrameTooLarge, len(fw.buf))
	}
	var lenBuf [binary.MaxVarintLen64]byte
	if _, err := fw.w.Write(lenBuf[:binary.PutUvarint(lenBuf[:], uint64(len(fw.buf)))]); err != nil {
		return err
	}
	_, err = fw.w.Write(fw.buf)
	return err
}

// Flush sends the buffered frames.
func (fw *frameWriter) Flush() error { return fw.w.Flush() }

// encodeFrame returns the wire encoding of f without the length prefix,
// for frames kept in the outbox.
func encodeFrame(f *pb.Frame) ([]byte, error) {
	b, err := proto.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("encode frame: %w", err)
	}
	return b, nil
}

// decodeFrame is the inverse of encodeFrame.
func decodeFrame(b []byte) (*pb.Frame, error) {
	f := new(pb.Frame)
	if err := proto.Unmarshal(b, f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadFrame, err)
	}
	return f, nil
}
