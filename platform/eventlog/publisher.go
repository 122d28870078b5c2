package eventlog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"
)

// ErrPublisherClosed is returned by Publish once the publisher has stopped.
var ErrPublisherClosed = errors.New("publisher closed")

// PublisherConfig tunes the group commit.
type PublisherConfig struct {
	// MaxBatch caps how many messages one atomic batch holds (the server
	// accepts up to 1000).
	MaxBatch int
	// Committers is how many batches may be in flight at once. While they
	// are all busy, new publishes gather into the next batch.
	Committers int
	// Linger is how long a batch waits for company when a committer is idle;
	// zero commits at once and still batches under load.
	Linger time.Duration
	// Timeout bounds one commit round trip.
	Timeout time.Duration
}

// DefaultPublisherConfig suits a 2-core machine with flush-before-ack.
func DefaultPublisherConfig() PublisherConfig {
	return PublisherConfig{MaxBatch: 500, Committers: 2, Timeout: 10 * time.Second}
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
// Publish calls are gathered into one atomic batch, so the server flushes
// them to disk with one fsync, and each caller still gets its own sequence.
// Every message carries a Nats-Msg-Id, so a batch that fails is retried
// message by message without creating duplicates.
type Publisher struct {
	js   jetstream.JetStream
	cfg  PublisherConfig
	reqs chan *request

	mu     sync.RWMutex
	closed bool
}

// NewPublisher returns a publisher; it publishes nothing until Run is called.
func NewPublisher(js jetstream.JetStream, cfg PublisherConfig) *Publisher {
	if cfg.MaxBatch <= 0 || cfg.MaxBatch > 1000 {
		cfg.MaxBatch = 500
	}
	if cfg.Committers <= 0 {
		cfg.Committers = 2
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
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
// returns nil) or the batch is full (it returns the batch).
func (p *Publisher) fill(batch []*request, batches chan<- []*request) []*request {
	var linger <-chan time.Time
	if p.cfg.Linger > 0 {
		t := time.NewTimer(p.cfg.Linger)
		defer t.Stop()
		linger = t.C
	}
	for len(batch) < p.cfg.MaxBatch {
		if linger != nil {
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

// commit stores one batch and answers every request in it.
func (p *Publisher) commit(batch []*request) {
	// Requests with the same message id share one message and one answer.
	unique := make([]*request, 0, len(batch))
	byID := make(map[string]*request, len(batch))
	var followers map[*request][]*request
	for _, r := range batch {
		id := r.msg.Header.Get(jetstream.MsgIDHeader)
		if first, ok := byID[id]; ok {
			if followers == nil {
				followers = make(map[*request][]*request)
			}
			followers[first] = append(followers[first], r)
			continue
		}
		byID[id] = r
		unique = append(unique, r)
	}
	if len(unique) == 1 || p.commitAtomic(unique) != nil {
		p.commitEach(unique)
	}
	for _, r := range unique {
		for _, f := range followers[r] {
			f.ack, f.err = r.ack, r.err
			if f.err == nil {
				f.ack.Duplicate = true
			}
			close(f.done)
		}
		close(r.done)
	}
}

// commitAtomic stores the batch as one atomic batch: one fsync for all.
func (p *Publisher) commitAtomic(batch []*request) error {
	msgs := make([]*nats.Msg, len(batch))
	for i, r := range batch {
		msgs[i] = r.msg
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.cfg.Timeout)
	defer cancel()
	ack, err := jetstreamext.PublishMsgBatch(ctx, p.js, msgs,
		jetstreamext.BatchFlowControl{AckFirst: false, AckTimeout: p.cfg.Timeout})
	if err != nil {
		// A duplicate id in the batch, an old stream config or a timeout: the
		// caller retries message by message, which ids make safe.
		for _, m := range msgs {
			m.Header.Del(jetstreamext.BatchIDHeader)
			m.Header.Del(jetstreamext.BatchSeqHeader)
			m.Header.Del(jetstreamext.BatchCommitHeader)
		}
		return err
	}
	first := ack.Sequence - ack.BatchSize + 1
	for i, r := range batch {
		r.ack = Ack{Seq: first + uint64(i)}
	}
	return nil
}

// commitEach stores messages one by one, pipelined.
func (p *Publisher) commitEach(batch []*request) {
	futures := make([]jetstream.PubAckFuture, len(batch))
	for i, r := range batch {
		f, err := p.js.PublishMsgAsync(r.msg)
		if err != nil {
			r.err = fmt.Errorf("publish: %w", err)
			continue
		}
		futures[i] = f
	}
	timeout := time.NewTimer(p.cfg.Timeout)
	defer timeout.Stop()
	for i, f := range futures {
		if f == nil {
			continue
		}
		select {
		case pa := <-f.Ok():
			batch[i].ack = Ack{Seq: pa.Sequence, Duplicate: pa.Duplicate}
		case err := <-f.Err():
			batch[i].err = fmt.Errorf("publish: %w", err)
		case <-timeout.C:
			batch[i].err = errors.New("publish: no acknowledgement in time")
			for _, r := range batch[i+1:] {
				if r.err == nil {
					r.err = errors.New("publish: no acknowledgement in time")
				}
			}
			return
		}
	}
}
