package projection

import (
	"context"
	"sync/atomic"
)

// Pipeline applies consecutive batches of log messages with the store and
// Go working at the same time: while the store writes one run of changes,
// the next is decoded, resolved and built. The next run's identity
// resolution and ledger chaining see what the run being written sets,
// over what the store answers. A run that ends with a merge moves links
// nobody overlays, so the run after it is resolved only once the store
// has it.
//
// At most one run is in the store and one in preparation. The watermark
// moves, and the notifier is told, as the store takes each run, in log
// order. After a failure nothing more is written: the pipeline returns
// the error from then on, and the runs prepared after the one that failed
// are dropped. The caller closes it, then applies again the messages the
// store may not have, with a new pipeline or Projector.Apply.
//
// One goroutine calls its methods.
type Pipeline struct {
	p *Projector
	// runs hands runs to the writer; unbuffered, so a run is handed only
	// once the one before it is in the store.
	runs chan *run
	// done is closed when the writer stops; err is why, nil after Close.
	done chan struct{}
	err  error
	// next is the position prepared so far: messages at or below it are
	// skipped. pending is the run last handed on, if the store may not
	// have it yet.
	next    uint64
	pending *run
	// failed is the error Apply keeps returning once the pipeline broke.
	failed error
	closed bool
	// stored is the position of the last run in the store; progress is
	// signalled after each run and when the writer stops.
	stored   atomic.Uint64
	progress chan struct{}
}

// Pipeline starts a pipeline after the watermark; its store calls use
// ctx. Only one pipeline, or one Apply, may run at a time, and only
// between Start (or Reset) and the next Reset.
func (p *Projector) Pipeline(ctx context.Context) *Pipeline {
	seq := p.watermark.Seq()
	pl := &Pipeline{p: p, runs: make(chan *run), done: make(chan struct{}), next: seq, progress: make(chan struct{}, 1)}
	pl.stored.Store(seq)
	go pl.write(ctx)
	return pl
}

// Apply prepares consecutive messages and hands them to the store. It
// returns once the last run is handed on, usually before the store has
// it (see Stored). It returns an error of the store, or of the run before
// if that one failed, and then the pipeline is broken.
func (pl *Pipeline) Apply(ctx context.Context, msgs []Message) error {
	if pl.failed != nil {
		return pl.failed
	}
	if err := pl.Err(); err != nil {
		return pl.fail(err)
	}
	events, last := pl.p.decodeAll(msgs, pl.next)
	if last == pl.next {
		return nil
	}
	if len(events) == 0 {
		// Only invalid messages: the store records the position anyway.
		r := &run{stored: make(chan struct{})}
		r.batch.Epoch, r.batch.AppliedSeq = pl.p.epoch, last
		if err := pl.hand(ctx, r); err != nil {
			return pl.fail(err)
		}
	}
	for len(events) > 0 {
		r, n, err := pl.p.prepare(ctx, events, last, pl.pending)
		if err != nil {
			return pl.fail(err)
		}
		if err := pl.hand(ctx, r); err != nil {
			return pl.fail(err)
		}
		events = events[n:]
	}
	pl.next = last
	return nil
}

// hand passes r to the writer, which takes it once the run before is in
// the store. After a merge it waits until the store has r too.
func (pl *Pipeline) hand(ctx context.Context, r *run) error {
	select {
	case pl.runs <- r:
	case <-pl.done:
		return pl.err
	case <-ctx.Done():
		return ctx.Err()
	}
	pl.pending = r
	if !r.merge {
		return nil
	}
	select {
	case <-r.stored:
		pl.pending = nil
		return nil
	case <-pl.done:
		return pl.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (pl *Pipeline) fail(err error) error {
	pl.failed = err
	// The runs prepared last may never reach the store.
	pl.p.index.forget()
	return err
}

// Stored is the log position the store has applied through this pipeline.
func (pl *Pipeline) Stored() uint64 { return pl.stored.Load() }

// Err is the store error that stopped the pipeline, nil while it runs. A
// run handed on last can fail with no Apply call to report it: a caller
// waiting for more messages checks Err when Progress fires.
func (pl *Pipeline) Err() error {
	select {
	case <-pl.done:
		return pl.err
	default:
		return nil
	}
}

// Progress receives a value after the store took a run or the pipeline
// stopped, at most one waiting: read Stored and Err then.
func (pl *Pipeline) Progress() <-chan struct{} { return pl.progress }

// Close waits until the store has the run it was handed, or failed it,
// and returns the writer's error.
func (pl *Pipeline) Close() error {
	if !pl.closed {
		pl.closed = true
		close(pl.runs)
	}
	<-pl.done
	if pl.err != nil {
		pl.p.index.forget()
	}
	return pl.err
}

// write applies the runs in order until the runs channel closes, ctx
// ends or the store fails.
func (pl *Pipeline) write(ctx context.Context) {
	defer pl.signal()
	defer close(pl.done)
	for r := range pl.runs {
		if err := pl.p.commit(ctx, r); err != nil {
			pl.err = err
			return
		}
		pl.stored.Store(r.batch.AppliedSeq)
		close(r.stored)
		pl.signal()
	}
}

func (pl *Pipeline) signal() {
	select {
	case pl.progress <- struct{}{}:
	default:
	}
}
