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

// Read returns the next frame. io.EOF means the stream ended cleanly
// between frames.
func (fr *frameReader) Read() (*pb.Frame, error) {
	n, err := binary.ReadUvarint(fr.r)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, err
		}
		// ReadUvarint's overflow error: a length no honest peer sends.
		var netErr interface{ Timeout() bool }
		if errors.As(err, &netErr) {
			return nil, err
		}
		if !isStreamError(err) {
			return nil, fmt.Errorf("%w: length: %v", ErrBadFrame, err)
		}
		return nil, err
	}
	if n > MaxFrameSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, n, MaxFrameSize)
	}
	if cap(fr.buf) < int(n) {
		fr.buf = make([]byte, n)
	}
	buf := fr.buf[:n]
	if _, err := io.ReadFull(fr.r, buf); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	f := new(pb.Frame)
	if err := proto.Unmarshal(buf, f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadFrame, err)
	}
	return f, nil
}

// Buffered reports whether more input is already buffered, so that a
// reader can gather a batch of frames without blocking.
func (fr *frameReader) Buffered() bool { return fr.r.Buffered() > 0 }

// isStreamError tells errors of the underlying stream from decoding
// errors of binary.ReadUvarint, which has only one of its own.
func isStreamError(err error) bool {
	return err.Error() != "binary: varint overflows a 64-bit integer"
}

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
func (fw *frameWriter) Write(f *pb.Frame) error {
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
