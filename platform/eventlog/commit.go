package eventlog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"
)

// commit stores one batch and answers every request in it, each as soon as
// its own message is acknowledged.
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
	answer := func(r *request) {
		for _, f := range followers[r] {
			f.ack, f.err = r.ack, r.err
			if f.err == nil {
				f.ack.Duplicate = true
			}
			close(f.done)
		}
		close(r.done)
	}
	if len(unique) < p.cfg.MinAtomicBatch || p.commitAtomic(unique) != nil {
		p.commitEach(unique, answer)
		return
	}
	for _, r := range unique {
		answer(r)
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

// commitEach stores messages one by one, pipelined, and answers each as
// its acknowledgement arrives: the server flushes each to disk on its own,
// but without an atomic batch's staging store.
func (p *Publisher) commitEach(batch []*request, answer func(*request)) {
	futures := make([]jetstream.PubAckFuture, len(batch))
	for i, r := range batch {
		f, err := p.js.PublishMsgAsync(r.msg)
		if err != nil {
			r.err = fmt.Errorf("publish: %w", err)
			answer(r)
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
		r := batch[i]
		select {
		case pa := <-f.Ok():
			r.ack = Ack{Seq: pa.Sequence, Duplicate: pa.Duplicate}
		case err := <-f.Err():
			r.err = fmt.Errorf("publish: %w", err)
		case <-timeout.C:
			for j, r := range batch[i:] {
				if futures[i+j] != nil {
					r.err = errors.New("publish: no acknowledgement in time")
					answer(r)
				}
			}
			return
		}
		answer(r)
	}
}
