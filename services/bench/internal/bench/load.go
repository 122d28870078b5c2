package bench

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"unisson.dev/platform/eventlog"
	contextv1 "unisson.dev/proto/unisson/context/v1"
	v1 "unisson.dev/proto/unisson/interaction/v1"

	"unisson.dev/services/bench/internal/dataset"
)

// loadWriters is how many callers publish the data set at once: enough to
// fill the publisher's batches of 500 on both committers.
const loadWriters = 1000

// loaded is a data set published into a stream.
type loaded struct {
	publish Result
	lastSeq uint64
}

// publishSet publishes set through the real write path, eventlog.Publisher
// with protobuf interactions, as channel adapters do. It measures the
// ingest rate of the log alone: no context service runs meanwhile.
func publishSet(ctx context.Context, c *logConn, stream eventlog.StreamConfig, set *dataset.Set) (loaded, error) {
	if _, err := eventlog.EnsureStream(ctx, c.nc, c.js, stream); err != nil {
		return loaded{}, err
	}
	pub := eventlog.NewPublisher(c.js, eventlog.DefaultPublisherConfig())
	pctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { _ = pub.Run(pctx); close(done) }()
	defer func() { stop(); <-done }()

	msgs := make(chan *nats.Msg, 4*loadWriters)
	genErr := make(chan error, 1)
	go func() {
		defer close(msgs)
		g := set.Generator()
		for ix, ok := g.Next(); ok; ix, ok = g.Next() {
			m, err := message(stream, ix)
			if err != nil {
				genErr <- err
				return
			}
			select {
			case msgs <- m:
			case <-ctx.Done():
				return
			}
		}
	}()
	var last atomic.Uint64
	var errs atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range loadWriters {
		wg.Go(func() {
			for m := range msgs {
				ack, err := pub.Publish(ctx, m)
				if err != nil {
					errs.Add(1)
					continue
				}
				for cur := last.Load(); ack.Seq > cur && !last.CompareAndSwap(cur, ack.Seq); cur = last.Load() {
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	select {
	case err := <-genErr:
		return loaded{}, err
	default:
	}
	if n := errs.Load(); n > 0 {
		return loaded{}, fmt.Errorf("publish data set: %d interactions failed", n)
	}
	return loaded{publish: summarize(nil, set.Len(), 0, elapsed), lastSeq: last.Load()}, ctx.Err()
}

// message is ix as a channel adapter publishes it.
func message(stream eventlog.StreamConfig, ix *v1.Interaction) (*nats.Msg, error) {
	data, err := proto.Marshal(ix)
	if err != nil {
		return nil, fmt.Errorf("encode interaction: %w", err)
	}
	m := &nats.Msg{Subject: stream.Subject(ix.GetChannel()), Header: nats.Header{}, Data: data}
	m.Header.Set(jetstream.MsgIDHeader, ix.GetId())
	return m, nil
}

// streamLast is the stream's last sequence.
func streamLast(ctx context.Context, js jetstream.JetStream, name string) (uint64, error) {
	s, err := js.Stream(ctx, name)
	if err != nil {
		return 0, fmt.Errorf("stream %s: %w", name, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("stream %s info: %w", name, err)
	}
	return info.State.LastSeq, nil
}

// emailRef designates a citizen by e-mail address, as channels do.
func emailRef(c *dataset.Citizen) *contextv1.CitizenRef {
	return &contextv1.CitizenRef{Ref: &contextv1.CitizenRef_Identifier{Identifier: &v1.Identifier{
		Type: v1.IdentifierType_IDENTIFIER_TYPE_EMAIL, Value: c.Email, Assurance: v1.Assurance_ASSURANCE_CLAIMED}}}
}

// phoneRef designates a citizen by phone number, as the telephone does.
func phoneRef(c *dataset.Citizen) *contextv1.CitizenRef {
	return &contextv1.CitizenRef{Ref: &contextv1.CitizenRef_Identifier{Identifier: &v1.Identifier{
		Type: v1.IdentifierType_IDENTIFIER_TYPE_PHONE, Value: c.Phone, Assurance: v1.Assurance_ASSURANCE_CLAIMED}}}
}

// heapBytes is the live heap after a collection.
func heapBytes() float64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc)
}
