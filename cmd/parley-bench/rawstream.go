package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// rawAckProtocol is the raw baseline of the DM protocol: length-prefixed
// frames on one stream, each answered by a one-byte ack, with nothing of
// Parley's (no protobuf, no storage, no outbox).
const rawAckProtocol protocol.ID = "/parley-bench/req-ack/1.0.0"

// maxRawFrame bounds a raw frame, as MaxFrameSize does for Parley.
const maxRawFrame = 80 << 10

// serveRawAck makes h answer every frame on rawAckProtocol with one byte,
// flushing the acks whenever no further frame is buffered (as Parley's
// receiver does per batch).
func serveRawAck(h host.Host) {
	h.SetStreamHandler(rawAckProtocol, func(s network.Stream) {
		r := bufio.NewReaderSize(s, 32<<10)
		w := bufio.NewWriterSize(s, 4<<10)
		buf := make([]byte, maxRawFrame)
		for {
			n, err := binary.ReadUvarint(r)
			if err != nil || n > maxRawFrame {
				if errors.Is(err, io.EOF) {
					s.Close()
				} else {
					s.Reset()
				}
				return
			}
			if _, err := io.ReadFull(r, buf[:n]); err != nil {
				s.Reset()
				return
			}
			if err := w.WriteByte(1); err != nil {
				s.Reset()
				return
			}
			if r.Buffered() == 0 {
				if err := w.Flush(); err != nil {
					s.Reset()
					return
				}
			}
		}
	})
}

// rawAckClient is the sending end of one rawAckProtocol stream.
type rawAckClient struct {
	s   network.Stream
	w   *bufio.Writer
	r   *bufio.Reader
	pre [binary.MaxVarintLen64]byte
}

func openRawAck(ctx context.Context, h host.Host, p peer.ID) (*rawAckClient, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := h.NewStream(ctx, p, rawAckProtocol)
	if err != nil {
		return nil, fmt.Errorf("raw stream: %w", err)
	}
	return &rawAckClient{s: s, w: bufio.NewWriterSize(s, 32<<10), r: bufio.NewReaderSize(s, 4<<10)}, nil
}

// write buffers one frame.
func (c *rawAckClient) write(payload []byte) error {
	if _, err := c.w.Write(c.pre[:binary.PutUvarint(c.pre[:], uint64(len(payload)))]); err != nil {
		return err
	}
	_, err := c.w.Write(payload)
	return err
}

// roundTrip sends one frame and waits for its ack.
func (c *rawAckClient) roundTrip(payload []byte) error {
	if err := c.write(payload); err != nil {
		return err
	}
	if err := c.w.Flush(); err != nil {
		return err
	}
	_, err := c.r.ReadByte()
	return err
}

// pipeline sends n frames while reading their acks and returns how long
// it took from the first write to the last ack.
func (c *rawAckClient) pipeline(payload []byte, n int) (time.Duration, error) {
	t0 := time.Now()
	werr := make(chan error, 1)
	go func() {
		for range n {
			if err := c.write(payload); err != nil {
				werr <- err
				return
			}
		}
		werr <- c.w.Flush()
	}()
	for range n {
		if _, err := c.r.ReadByte(); err != nil {
			return 0, fmt.Errorf("raw ack: %w", err)
		}
	}
	took := time.Since(t0)
	if err := <-werr; err != nil {
		return 0, fmt.Errorf("raw write: %w", err)
	}
	return took, nil
}

func (c *rawAckClient) close() { _ = c.s.Close() }
