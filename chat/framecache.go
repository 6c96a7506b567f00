package chat

import (
	"sync"

	"github.com/parley-im/parley/chat/pb"
)

// freshFrames bounds the frames of just-sent messages kept in memory.
const freshFrames = 8192

// frameCache holds the frames of messages just queued by Send, so that
// the sender need not read them back from storage. It is only a shortcut:
// a frame missing from it (evicted, or from before a restart) is built
// from the stored message.
type frameCache struct {
	mu     sync.Mutex
	frames map[string]*pb.Frame
	limit  int
}

func newFrameCache(limit int) *frameCache {
	return &frameCache{frames: make(map[string]*pb.Frame), limit: limit}
}

// put keeps f for id unless the cache is full.
func (c *frameCache) put(id string, f *pb.Frame) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.frames) < c.limit {
		c.frames[id] = f
	}
}

// take returns and forgets the frame of id, or nil.
func (c *frameCache) take(id string) *pb.Frame {
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.frames[id]
	delete(c.frames, id)
	return f
}

// clear forgets every frame.
func (c *frameCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.frames)
}
