package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// minLag stands for a delivery that reached its reader before the writer
// saw its acknowledgement (the server acks and delivers concurrently).
const minLag = time.Microsecond

// tap is the raw building block of the lag figures: a bare durable
// consumer on the same stream, configured as the context service's, that
// notes when each message reaches it.
type tap struct {
	js      jetstream.JetStream
	stream  string
	durable string
	cc      jetstream.ConsumeContext
	mu      sync.Mutex
	seen    map[uint64]time.Time
}

func startTap(ctx context.Context, js jetstream.JetStream, stream, durable string) (*tap, error) {
	cons, err := js.CreateOrUpdateConsumer(ctx, stream, jetstream.ConsumerConfig{
		Durable: durable, AckPolicy: jetstream.AckExplicitPolicy, MaxAckPending: 4 * rawBatch,
		DeliverPolicy: jetstream.DeliverNewPolicy, AckWait: 30 * time.Second,
	})
	if err != nil {
		return nil, fmt.Errorf("tap consumer: %w", err)
	}
	t := &tap{js: js, stream: stream, durable: durable, seen: map[uint64]time.Time{}}
	t.cc, err = cons.Consume(func(m jetstream.Msg) {
		now := time.Now()
		if md, err := m.Metadata(); err == nil {
			t.mu.Lock()
			t.seen[md.Sequence.Stream] = now
			t.mu.Unlock()
		}
		_ = m.Ack()
	}, jetstream.PullMaxMessages(2*rawBatch))
	if err != nil {
		return nil, fmt.Errorf("tap consume: %w", err)
	}
	return t, nil
}

// lags returns, for each acknowledged sequence, how long after its ack the
// tap received it; it waits a little for late ones, which count as errors.
func (t *tap) lags(acks map[uint64]time.Time) Result {
	deadline := time.Now().Add(10 * time.Second)
	for {
		t.mu.Lock()
		missing := 0
		for seq := range acks {
			if _, ok := t.seen[seq]; !ok {
				missing++
			}
		}
		if missing == 0 || time.Now().After(deadline) {
			lat := make([]time.Duration, 0, len(acks))
			for seq, at := range acks {
				if got, ok := t.seen[seq]; ok {
					lat = append(lat, max(got.Sub(at), minLag))
				}
			}
			t.mu.Unlock()
			return summarize(lat, len(lat), missing, 0)
		}
		t.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
}

func (t *tap) stop(ctx context.Context) {
	t.cc.Stop()
	_ = t.js.DeleteConsumer(ctx, t.stream, t.durable)
}
