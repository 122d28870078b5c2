package projection

import (
	"context"
	"sync"
)

// Watermark is the log position the projections have applied. Readers
// holding a consistency token wait on it instead of polling the store.
type Watermark struct {
	mu      sync.Mutex
	seq     uint64
	changed chan struct{}
}

// NewWatermark returns a watermark at seq.
func NewWatermark(seq uint64) *Watermark {
	return &Watermark{seq: seq, changed: make(chan struct{})}
}

// Seq is the position applied so far.
func (w *Watermark) Seq() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seq
}

// Set moves the watermark, forward after a batch or back to zero when the
// projections are rebuilt, and wakes every waiter.
func (w *Watermark) Set(seq uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if seq == w.seq {
		return
	}
	w.seq = seq
	close(w.changed)
	w.changed = make(chan struct{})
}

// Wait returns nil once the watermark reaches seq, or ctx's error.
func (w *Watermark) Wait(ctx context.Context, seq uint64) error {
	for {
		w.mu.Lock()
		cur, changed := w.seq, w.changed
		w.mu.Unlock()
		if cur >= seq {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
