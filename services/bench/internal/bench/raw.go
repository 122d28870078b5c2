package bench

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"
	"github.com/synadia-io/orbit.go/jetstreamext"
	"google.golang.org/protobuf/proto"

	"unisson.dev/platform/eventlog"

	"unisson.dev/services/bench/internal/dataset"
)

// rawBatch is the size of the raw atomic batches and Redis pipelines: the
// publisher's and the projector's largest batch.
const rawBatch = 500

// samplePayloads are encoded interactions of the data set, so raw
// messages have the size of real ones.
func samplePayloads(set *dataset.Set, n int) ([][]byte, error) {
	g := set.Generator()
	out := make([][]byte, 0, n)
	for ix, ok := g.Next(); ok && len(out) < n; ix, ok = g.Next() {
		b, err := proto.Marshal(ix)
		if err != nil {
			return nil, fmt.Errorf("encode sample: %w", err)
		}
		out = append(out, b)
	}
	return out, nil
}

func meanSize(payloads [][]byte) float64 {
	total := 0
	for _, p := range payloads {
		total += len(p)
	}
	return float64(total) / float64(len(payloads))
}

// rawMsg is a raw message with its own message id, as every Unisson
// message has one (deduplication is part of the building block).
func rawMsg(subject string, n uint64, payloads [][]byte) *nats.Msg {
	m := &nats.Msg{Subject: subject, Header: nats.Header{}, Data: payloads[n%uint64(len(payloads))]}
	m.Header.Set(jetstream.MsgIDHeader, "raw-"+strconv.FormatUint(n, 10))
	return m
}

// rawPublishAsync publishes single messages asynchronously for d, with the
// client's window of acknowledgements pending, and waits for every ack.
func rawPublishAsync(ctx context.Context, nc *nats.Conn, subject string, payloads [][]byte, d time.Duration, next *atomic.Uint64) Result {
	var errs atomic.Int64
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(1000),
		jetstream.WithPublishAsyncErrHandler(func(jetstream.JetStream, *nats.Msg, error) { errs.Add(1) }))
	if err != nil {
		return Result{Errors: 1}
	}
	start := time.Now()
	n := 0
	for time.Since(start) < d && ctx.Err() == nil {
		if _, err := js.PublishMsgAsync(rawMsg(subject, next.Add(1), payloads)); err != nil {
			if errors.Is(err, jetstream.ErrTooManyStalledMsgs) {
				continue
			}
			errs.Add(1)
			continue
		}
		n++
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(30 * time.Second):
		errs.Add(int64(js.PublishAsyncPending()))
	}
	e := int(errs.Load())
	return summarize(nil, n-e, e, time.Since(start))
}

// rawPublishBatch publishes atomic batches of size messages for d from
// parallel publishers, the publisher's number of committers.
func rawPublishBatch(ctx context.Context, js jetstream.JetStream, subject string, payloads [][]byte, size int, d time.Duration, parallel int, next *atomic.Uint64) Result {
	var mu sync.Mutex
	var lat []time.Duration
	var msgs, errs int
	start := time.Now()
	var wg sync.WaitGroup
	for range parallel {
		wg.Go(func() {
			for time.Since(start) < d && ctx.Err() == nil {
				batch := make([]*nats.Msg, size)
				for i := range batch {
					batch[i] = rawMsg(subject, next.Add(1), payloads)
				}
				t0 := time.Now()
				cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				_, err := jetstreamext.PublishMsgBatch(cctx, js, batch,
					jetstreamext.BatchFlowControl{AckFirst: false, AckTimeout: 30 * time.Second})
				cancel()
				mu.Lock()
				if err != nil {
					errs++
				} else {
					msgs += size
					lat = append(lat, time.Since(t0))
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	r := summarize(lat, msgs, errs, time.Since(start))
	return r
}

// rawFetchMax bounds how many messages one rawFetch trial reads, so that
// a fast server that stored more does not make its fetch last longer.
const rawFetchMax = 100_000

// rawFetch reads a stream from its start (up to rawFetchMax messages)
// through a new durable pull consumer with explicit acks, configured as
// the context service's consumer is. It also returns the longest pause
// between two deliveries: over an in-process connection the pull
// sometimes stalls until the pull request expires (docs/performance.md).
func rawFetch(ctx context.Context, js jetstream.JetStream, stream string, durable string) (Result, time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return Result{Errors: 1}, 0
	}
	info, err := s.Info(ctx)
	if err != nil || info.State.Msgs == 0 {
		return Result{Errors: 1}, 0
	}
	total := int64(min(info.State.Msgs, rawFetchMax))
	cons, err := s.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable: durable, AckPolicy: jetstream.AckExplicitPolicy, MaxAckPending: 4 * rawBatch,
		DeliverPolicy: jetstream.DeliverAllPolicy, AckWait: 30 * time.Second,
	})
	if err != nil {
		return Result{Errors: 1}, 0
	}
	defer func() { _ = js.DeleteConsumer(context.WithoutCancel(ctx), stream, durable) }()
	var got atomic.Int64
	var maxGap time.Duration
	done := make(chan struct{})
	start := time.Now()
	last := start
	cc, err := cons.Consume(func(m jetstream.Msg) {
		_ = m.Ack()
		now := time.Now() // the handler runs on one goroutine
		maxGap, last = max(maxGap, now.Sub(last)), now
		if got.Add(1) == total {
			close(done)
		}
		// The context service's pull settings (logconsumer): a 5 s expiry
		// and the shortest heartbeat, which bounds the pause of a pull
		// request nats.go forgets to send (see docs/performance.md).
	}, jetstream.PullMaxMessages(2*rawBatch), jetstream.PullExpiry(5*time.Second), jetstream.PullHeartbeat(500*time.Millisecond))
	if err != nil {
		return Result{Errors: 1}, 0
	}
	select {
	case <-done:
	case <-ctx.Done():
	}
	elapsed := time.Since(start)
	cc.Stop()
	n := int(min(got.Load(), total)) // a few more may arrive before Stop
	return summarize(nil, n, int(total)-n, elapsed), maxGap
}

// rawRedisWrites pipelines ZADDs (or, with list, RPUSHes) of payload-sized
// members, rawBatch per round trip, to sorted sets (lists) of keys
// citizens, for d. It returns the writes and the Redis memory each member
// took, then deletes the keys.
func rawRedisWrites(ctx context.Context, in *infra, payloads [][]byte, keys int, d time.Duration, list bool) (Result, float64) {
	prefix := "bench:" + in.id + ":raw:"
	before, _ := in.usedMemory(ctx)
	var lat []time.Duration
	start := time.Now()
	var seq uint64
	errs := 0
	for time.Since(start) < d && ctx.Err() == nil {
		pipe := in.rc.Pipeline()
		for range rawBatch {
			seq++
			member := binary.BigEndian.AppendUint64(nil, seq)
			member = append(member, payloads[seq%uint64(len(payloads))]...)
			key := prefix + "{c:" + strconv.FormatUint(seq%uint64(keys), 10) + "}:t"
			if list {
				pipe.RPush(ctx, key, member)
			} else {
				pipe.ZAdd(ctx, key, redis.Z{Score: float64(seq), Member: member})
			}
		}
		t0 := time.Now()
		if _, err := pipe.Exec(ctx); err != nil {
			errs++
			continue
		}
		lat = append(lat, time.Since(t0))
	}
	r := summarize(lat, len(lat)*rawBatch, errs, time.Since(start))
	after, _ := in.usedMemory(ctx)
	perMember := 0.0
	if r.Ops > 0 {
		perMember = (after - before) / float64(r.Ops)
	}
	// DEL, not UNLINK: UNLINK frees in the background, and memory freed
	// during the next measurement made its figure negative on small runs.
	for k := 0; k < keys; k += 1000 {
		pipe := in.rc.Pipeline()
		for j := k; j < min(k+1000, keys); j++ {
			pipe.Del(ctx, prefix+"{c:"+strconv.Itoa(j)+"}:t")
		}
		_, _ = pipe.Exec(ctx)
	}
	return r, perMember
}

// ensureRaw creates (or empties) a raw stream on both servers.
func ensureRaw(ctx context.Context, c *logConn) error {
	for _, x := range []struct {
		nc *nats.Conn
		js jetstream.JetStream
	}{{c.nc, c.js}, {c.relaxedNC, c.relaxedJS}} {
		_ = x.js.DeleteStream(ctx, c.raw.Name)
		if _, err := eventlog.EnsureStream(ctx, x.nc, x.js, c.raw); err != nil {
			return fmt.Errorf("raw stream: %w", err)
		}
	}
	return nil
}
