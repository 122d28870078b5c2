package eventlog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrPublisherClosed is returned by Publish once the publisher has stopped.
var ErrPublisherClosed = errors.New("publisher closed")

// PublisherConfig tunes the group commit. Zero fields take the defaults.
// BenchmarkPublisher and BenchmarkPublisherTuning measure them.
type PublisherConfig struct {
	// MaxBatch caps how many messages one atomic batch holds (the server
	// accepts up to 1000).
	MaxBatch int
	// MinAtomicBatch is the smallest batch committed as one atomic batch;
	// smaller ones go as pipelined single publishes, which the server
	// flushes one by one. It stages each atomic batch of a one-replica file
	// stream in a file store of its own (a directory, metadata files written
	// with O_SYNC, a block file, directory fsyncs, then a removal). On a
	// 2-core VM that cost as much as 10 to 50 single flushes, depending on
	// the disk's other traffic (about 20 when quiet); 32 is the default, a
	// middle. 2 commits every batch of two or more atomically.
	MinAtomicBatch int
	// Committers is how many batches may be in flight at once. While they
	// are all busy, new publishes gather into the next batch. The server
	// writes a stream's messages one at a time, so more committers do not
	// overlap fsyncs; they hide round trips and split the waiting publishes
	// into smaller batches.
	Committers int
	// Linger bounds how long a new batch waits for company when a committer
	// is idle. It waits only while the batch is smaller than the last batch
	// answered, whose callers are likely to publish again, and only when
	// that one reached MinAtomicBatch: a lone writer never waits. Zero never
	// waits.
	Linger time.Duration
	// Timeout bounds one commit round trip.
	Timeout time.Duration
}

// Defaults of PublisherConfig, measured on a 2-core machine with
// flush-before-ack: neither a linger nor more committers raised throughput.
const (
	defaultMaxBatch       = 500
	defaultMinAtomicBatch = 32
	defaultCommitters     = 2
	defaultTimeout        = 10 * time.Second
)

// DefaultPublisherConfig suits a 2-core machine with flush-before-ack.
func DefaultPublisherConfig() PublisherConfig {
	return PublisherConfig{MaxBatch: defaultMaxBatch, MinAtomicBatch: defaultMinAtomicBatch,
		Committers: defaultCommitters, Timeout: defaultTimeout}
}

// Ack is the log's acknowledgement of one message.
type Ack struct {
	// Seq is the message's stream sequence; a duplicate gets the original's.
	Seq uint64
	// Duplicate is true when the message id had already been stored.
	Duplicate bool
}

// Token returns the consistency token of the acknowledged write.
func (a Ack) Token() Token { return Token(a.Seq) }

type request struct {
	msg  *nats.Msg
	ack  Ack
	err  error
	done chan struct{}
}

// Publisher group-commits messages to the interaction stream. Concurrent
// Publish calls are gathered into batches. A large batch is stored as one
// atomic batch, which the server flushes to disk at once; a small one as
// pipelined single publishes, cheaper than an atomic batch's staging. Each
// caller gets its own sequence either way. Every message carries a
// Nats-Msg-Id, so a batch that fails is retried message by message without
// creating duplicates.
type Publisher struct {
	js   jetstream.JetStream
	cfg  PublisherConfig
	reqs chan *request
	// answered is the size of the batch a committer answered last.
	answered atomic.Int64

	mu     sync.RWMutex
	closed bool
}

// NewPublisher returns a publisher; it publishes nothing until Run is called.
func NewPublisher(js jetstream.JetStream, cfg PublisherConfig) *Publisher {
	if cfg.MaxBatch <= 0 || cfg.MaxBatch > 1000 {
		cfg.MaxBatch = defaultMaxBatch
	}
	if cfg.MinAtomicBatch <= 0 {
		cfg.MinAtomicBatch = defaultMinAtomicBatch
	}
	cfg.MinAtomicBatch = max(cfg.MinAtomicBatch, 2)
	if cfg.Committers <= 0 {
		cfg.Committers = defaultCommitters
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = defaultTimeout
	}
	return &Publisher{js: js, cfg: cfg, reqs: make(chan *request, 4*cfg.MaxBatch)}
}

// Publish stores msg in the log and returns its acknowledgement once the
// server has it on disk. msg must carry a Nats-Msg-Id header. If ctx ends
// first the message may still be stored; publishing it again with the same
// id is safe.
func (p *Publisher) Publish(ctx context.Context, msg *nats.Msg) (Ack, error) {
	if msg.Header.Get(jetstream.MsgIDHeader) == "" {
		return Ack{}, errors.New("publish: message has no Nats-Msg-Id")
	}
	r := &request{msg: msg, done: make(chan struct{})}
	p.mu.RLock()
	if p.closed {
		p.mu.RUnlock()
		return Ack{}, ErrPublisherClosed
	}
	select {
	case p.reqs <- r:
		p.mu.RUnlock()
	case <-ctx.Done():
		p.mu.RUnlock()
		return Ack{}, fmt.Errorf("publish: %w", ctx.Err())
	}
	select {
	case <-r.done:
		return r.ack, r.err
	case <-ctx.Done():
		return Ack{}, fmt.Errorf("publish: %w", ctx.Err())
	}
}

// Run commits batches until ctx ends, then stops accepting messages, commits
// those already accepted and returns.
func (p *Publisher) Run(ctx context.Context) error {
	batches := make(chan []*request)
	var wg sync.WaitGroup
	for range p.cfg.Committers {
		wg.Go(func() {
			for b := range batches {
				p.commit(b)
				p.answered.Store(int64(len(b)))
			}
		})
	}
	intakeClosed := make(chan struct{})
	go func() {
		<-ctx.Done()
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		close(intakeClosed)
	}()
	p.gather(intakeClosed, batches)
	close(batches)
	wg.Wait()
	return nil
}

// gather forms batches: it hands a batch to the first idle committer and,
// while none is idle, keeps adding to it.
func (p *Publisher) gather(intakeClosed <-chan struct{}, batches chan<- []*request) {
	for {
		var batch []*request
		select {
		case r := <-p.reqs:
			batch = append(batch, r)
		case <-intakeClosed:
			// No sender can add more; commit what is left.
			for {
				select {
				case r := <-p.reqs:
					batch = append(batch, r)
					if len(batch) == p.cfg.MaxBatch {
						batches <- batch
						batch = nil
					}
				default:
					if len(batch) > 0 {
						batches <- batch
					}
					return
				}
			}
		}
		batch = p.fill(batch, batches)
		if batch != nil {
			batches <- batch
		}
	}
}

// fill adds queued requests to batch until a committer takes it (it then
// returns nil) or the batch is full (it returns the batch). A batch first
// lingers, at most cfg.Linger, while it is smaller than the last batch
// answered, when that one was large enough to be committed atomically.
func (p *Publisher) fill(batch []*request, batches chan<- []*request) []*request {
	var linger <-chan time.Time
	target := int(p.answered.Load())
	if p.cfg.Linger > 0 && target >= p.cfg.MinAtomicBatch && len(batch) < target {
		t := time.NewTimer(p.cfg.Linger)
		defer t.Stop()
		linger = t.C
	}
	for len(batch) < p.cfg.MaxBatch {
		if linger != nil && len(batch) < target {
			select {
			case r := <-p.reqs:
				batch = append(batch, r)
			case <-linger:
				linger = nil
			}
			continue
		}
		select {
		case batches <- batch:
			return nil
		case r := <-p.reqs:
			batch = append(batch, r)
		}
	}
	return batch
}
