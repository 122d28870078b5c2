package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	contextv1 "unisson.dev/proto/unisson/context/v1"

	"unisson.dev/services/bench/internal/dataset"
)

// trickle is the write rate of the second read-your-writes and fan-out
// measurements.
const trickle = 1000

// lag measures read-your-writes and watch fan-out while writing at rate,
// then at a steady trickle that tells the mechanism itself from the queue
// of a busy machine.
func (b *runner) lag(ctx context.Context, st *stack, c *logConn, name string, rate float64) error {
	var err error
	for _, w := range []struct {
		key  string
		rate float64
	}{{"ryw_p99", rate}, {"ryw_p99_trickle", trickle}} {
		var raw Result
		r := b.timed(strings.ReplaceAll(w.key, "_", "-")+"-"+name, func() Result {
			var r Result
			r, raw, err = readYourWrites(ctx, st, c, b.set, w.rate, b.cfg.Duration)
			return r
		})
		if err != nil {
			return err
		}
		b.rep.figure(w.key, fmt.Sprintf("read-your-writes: ack → token read, p99 at %.0f writes/s", w.rate), name, "ms", r.P99,
			"bare durable consumer: ack → delivery p99", raw.P99, target{text: "≤ 10 ms", valueMax: 10}, &r)
	}
	for _, w := range []struct {
		key  string
		rate float64
	}{{"watch_p99", rate}, {"watch_p99_trickle", trickle}} {
		var raw Result
		r := b.timed(strings.ReplaceAll(w.key, "_", "-")+"-"+name, func() Result {
			var r Result
			r, raw, err = watchFanOut(ctx, st, c, b.set, b.cfg.Watchers, w.rate)
			return r
		})
		if err != nil {
			return err
		}
		b.rep.figure(w.key, fmt.Sprintf("watch fan-out: %d streams, ack → delivery p99 at %.0f writes/s", b.cfg.Watchers, w.rate), name, "ms", r.P99,
			"bare durable consumer: ack → delivery p99", raw.P99, target{text: "≤ 100 ms", valueMax: 100}, &r)
	}
	return nil
}

// acks records when writes were acknowledged, by log position.
type acks struct {
	mu sync.Mutex
	at map[uint64]time.Time
}

func (a *acks) add(seq uint64, t time.Time) {
	a.mu.Lock()
	a.at[seq] = t
	a.mu.Unlock()
}

// probesPerSecond is how many writes of the read-your-writes phase are
// followed by a token read; the others are load.
const probesPerSecond = 200

// readYourWrites writes at rate for d through the publisher, as a channel
// adapter does, and reads some of them back from the context service with
// their token: the lag is from the acknowledgement to the read's answer.
// The raw figure is when a bare durable consumer received the same writes.
func readYourWrites(ctx context.Context, st *stack, c *logConn, set *dataset.Set, rate float64, d time.Duration) (Result, Result, error) {
	t, err := startTap(ctx, c.js, c.mainStream.Name, "bench-tap-ryw")
	if err != nil {
		return Result{}, Result{}, err
	}
	defer t.stop(ctx)
	every := max(1, int(rate/probesPerSecond))
	probed := &acks{at: map[uint64]time.Time{}}
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	fail := func() { mu.Lock(); errs++; mu.Unlock() }
	start := time.Now()
	paced(ctx, rate, d, 4096, func(i int) {
		r := rand.New(rand.NewPCG(uint64(i), 99))
		cit := set.ActiveCitizen(r)
		m, err := message(c.mainStream, set.Change(r, cit))
		if err != nil {
			fail()
			return
		}
		ack, err := st.pub.Publish(ctx, m)
		acked := time.Now()
		if err != nil {
			fail()
			return
		}
		if i%every != 0 {
			return
		}
		probed.add(ack.Seq, acked)
		_, err = st.client.GetContext(ctx, &contextv1.GetContextRequest{
			Citizen: emailRef(cit), ConsistencyToken: ack.Token().String(), TimelineLimit: 20})
		if err != nil {
			fail()
			return
		}
		mu.Lock()
		lat = append(lat, time.Since(acked))
		mu.Unlock()
	})
	res := summarize(lat, len(lat), errs, time.Since(start))
	return res, t.lags(probed.at), nil
}

// watchFanOut opens one WatchContext stream for each of n citizens, waits
// until the service has subscribed them all, then writes one change for
// each at rate: the latency is from the write's acknowledgement to its
// arrival at the watcher. The raw figure is a bare durable consumer's.
func watchFanOut(ctx context.Context, st *stack, c *logConn, set *dataset.Set, n int, rate float64) (Result, Result, error) {
	r := rand.New(rand.NewPCG(5, 6))
	var targets []*dataset.Citizen
	for _, i := range r.Perm(len(set.Citizens())) {
		if cit := &set.Citizens()[i]; !cit.Split {
			targets = append(targets, cit)
		}
		if len(targets) == n {
			break
		}
	}
	n = len(targets)
	conns := make([]*grpc.ClientConn, 8)
	for i := range conns {
		conn, err := grpc.NewClient(st.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return Result{}, Result{}, fmt.Errorf("dial: %w", err)
		}
		defer conn.Close()
		conns[i] = conn
	}
	wctx, cancel := context.WithCancel(ctx)
	got := make([]time.Time, n)
	gotSeq := make([]uint64, n)
	var received, watchers sync.WaitGroup
	received.Add(n)
	stopWatchers := sync.OnceFunc(func() { cancel(); watchers.Wait() })
	defer stopWatchers()
	for i, cit := range targets {
		watchers.Go(func() {
			client := contextv1.NewContextServiceClient(conns[i%len(conns)])
			stream, err := client.WatchContext(wctx, &contextv1.WatchContextRequest{Citizen: emailRef(cit)})
			first := true
			for err == nil {
				var resp *contextv1.WatchContextResponse
				if resp, err = stream.Recv(); err == nil && first {
					got[i], gotSeq[i], first = time.Now(), resp.GetContextVersion(), false
					received.Done()
				}
			}
			if first {
				received.Done()
			}
		})
	}
	if err := waitWatchers(wctx, st, n); err != nil {
		return Result{}, Result{}, err
	}
	// A watcher counts once subscribed, before its first read of the store
	// (its catch-up): let those reads end, so that what is measured is the
	// delivery to established watchers, not their start.
	select {
	case <-time.After(watchSettle(n)):
	case <-ctx.Done():
		return Result{}, Result{}, ctx.Err()
	}
	t, err := startTap(ctx, c.js, c.mainStream.Name, "bench-tap-watch")
	if err != nil {
		return Result{}, Result{}, err
	}
	defer t.stop(ctx)
	acked := make([]time.Time, n)
	ackSeq := make([]uint64, n)
	start := time.Now()
	paced(ctx, rate, time.Duration(float64(n)/rate*float64(time.Second))+time.Nanosecond, 4096, func(i int) {
		if i >= n {
			return
		}
		rr := rand.New(rand.NewPCG(uint64(i), 77))
		m, err := message(c.mainStream, set.Change(rr, targets[i]))
		if err != nil {
			return
		}
		if ack, err := st.pub.Publish(ctx, m); err == nil {
			acked[i], ackSeq[i] = time.Now(), ack.Seq
		}
	})
	waitGroup(&received, 30*time.Second)
	elapsed := time.Since(start)
	stopWatchers()
	var lat []time.Duration
	errs := 0
	all := &acks{at: map[uint64]time.Time{}}
	for i := range n {
		if ackSeq[i] == 0 || got[i].IsZero() || gotSeq[i] != ackSeq[i] {
			errs++
			continue
		}
		all.add(ackSeq[i], acked[i])
		lat = append(lat, max(got[i].Sub(acked[i]), minLag))
	}
	return summarize(lat, len(lat), errs, elapsed), t.lags(all.at), nil
}

// watchSettle is how long n new watchers are given to catch up.
func watchSettle(n int) time.Duration {
	return max(time.Second, time.Duration(n)*time.Second/2000)
}

// waitWatchers waits until the service has subscribed n watchers.
func waitWatchers(ctx context.Context, st *stack, n int) error {
	deadline := time.Now().Add(2 * time.Minute)
	for st.gauge("unisson_watch_watchers") < float64(n) {
		if time.Now().After(deadline) {
			return fmt.Errorf("only %.0f of %d watchers subscribed after 2 minutes", st.gauge("unisson_watch_watchers"), n)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

func waitGroup(wg *sync.WaitGroup, limit time.Duration) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(limit):
	}
}
