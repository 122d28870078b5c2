package eventlog_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"

	"unisson.dev/platform/eventlog"
	"unisson.dev/platform/testenv"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
)

// benchPayload is about the size of a web write's encoded interaction.
var benchPayload = make([]byte, 600)

// benchIDs makes message ids unique across the b.N rounds of one server.
var benchIDs atomic.Uint64

func benchMsg(subject string) *nats.Msg {
	m := nats.NewMsg(subject)
	m.Header.Set(jetstream.MsgIDHeader, "bench-"+strconv.FormatUint(benchIDs.Add(1), 10))
	m.Data = benchPayload
	return m
}

// benchServer starts an embedded server that flushes before acknowledging
// (NATS_URL when set), with the interaction stream; extra changes the
// stream's configuration.
func benchServer(b *testing.B, extra func(*jetstream.StreamConfig)) (jetstream.JetStream, string) {
	b.Helper()
	n := testenv.StartNATS(b)
	_, js := n.Connect(b)
	cfg := n.Stream.JetStreamConfig()
	if extra != nil {
		extra(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := js.CreateOrUpdateStream(ctx, cfg); err != nil {
		b.Fatalf("create stream: %v", err)
	}
	return js, n.Stream.Subject(interactionv1.Channel_CHANNEL_WEB)
}

// latencies collects the duration of each operation of a benchmark round.
type latencies struct {
	mu  sync.Mutex
	all []time.Duration
}

func (l *latencies) add(d []time.Duration) {
	l.mu.Lock()
	l.all = append(l.all, d...)
	l.mu.Unlock()
}

// report sets msg/s from n messages in elapsed, the process's CPU time per
// message, and the p50 and p99 of the operations in milliseconds.
func (l *latencies) report(b *testing.B, n int, elapsed, cpu time.Duration) {
	b.ReportMetric(float64(n)/elapsed.Seconds(), "msg/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-µs/msg")
	if len(l.all) == 0 {
		return
	}
	slices.Sort(l.all)
	at := func(q float64) float64 {
		return float64(l.all[int(q*float64(len(l.all)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
	b.ReportMetric(0, "ns/op")
}

// runConcurrent runs op b.N times from c goroutines and reports the rate
// and the latency of op.
func runConcurrent(b *testing.B, c int, op func() error) {
	var next atomic.Int64
	var lat latencies
	var wg sync.WaitGroup
	b.ResetTimer()
	start, cpu := time.Now(), processCPU()
	for range c {
		wg.Go(func() {
			var mine []time.Duration
			for next.Add(1) <= int64(b.N) {
				t := time.Now()
				if err := op(); err != nil {
					b.Error(err)
					return
				}
				mine = append(mine, time.Since(t))
			}
			lat.add(mine)
		})
	}
	wg.Wait()
	elapsed, cpu := time.Since(start), processCPU()-cpu
	b.StopTimer()
	lat.report(b, b.N, elapsed, cpu)
}

// BenchmarkPublisher measures Publish through the default configuration,
// at the concurrencies of a quiet service, of the web write's 64 clients
// and of a bulk load.
func BenchmarkPublisher(b *testing.B) {
	for _, c := range []int{1, 8, 64, 512} {
		b.Run("c="+strconv.Itoa(c), func(b *testing.B) {
			benchPublisher(b, c, eventlog.DefaultPublisherConfig())
		})
	}
}

func benchPublisher(b *testing.B, c int, cfg eventlog.PublisherConfig) {
	js, subject := benchServer(b, nil)
	p := eventlog.NewPublisher(js, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = p.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	runConcurrent(b, c, func() error {
		_, err := p.Publish(context.Background(), benchMsg(subject))
		return err
	})
}

// BenchmarkCommitStrategy compares, for groups of n messages committed one
// group at a time, the three ways the server offers: one atomic batch,
// pipelined single publishes, and a fast-ingest batch (which needs
// AllowBatchPublish and answers only the last sequence, so the publisher
// cannot use it). PublisherConfig.MinAtomicBatch comes from these figures:
// atomic/n=1 is an atomic batch's fixed cost, async/n=32 ÷ 32 one flush.
func BenchmarkCommitStrategy(b *testing.B) {
	strategies := []struct {
		name   string
		commit func(js jetstream.JetStream, msgs []*nats.Msg) error
	}{
		{"atomic", commitAtomicBatch},
		{"async", commitAsync},
		{"fast", commitFastBatch},
	}
	for _, s := range strategies {
		for _, n := range []int{1, 2, 4, 8, 16, 32, 64} {
			b.Run(fmt.Sprintf("%s/n=%d", s.name, n), func(b *testing.B) {
				js, subject := benchServer(b, func(c *jetstream.StreamConfig) { c.AllowBatchPublish = true })
				var lat latencies
				b.ResetTimer()
				start, cpu := time.Now(), processCPU()
				for range b.N {
					msgs := make([]*nats.Msg, n)
					for i := range msgs {
						msgs[i] = benchMsg(subject)
					}
					t := time.Now()
					if err := s.commit(js, msgs); err != nil {
						b.Fatal(err)
					}
					lat.add([]time.Duration{time.Since(t)})
				}
				elapsed, cpu := time.Since(start), processCPU()-cpu
				b.StopTimer()
				lat.report(b, b.N*n, elapsed, cpu)
			})
		}
	}
}

func commitAtomicBatch(js jetstream.JetStream, msgs []*nats.Msg) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := jetstreamext.PublishMsgBatch(ctx, js, msgs, jetstreamext.BatchFlowControl{AckTimeout: 10 * time.Second})
	return err
}

func commitAsync(js jetstream.JetStream, msgs []*nats.Msg) error {
	futures := make([]jetstream.PubAckFuture, len(msgs))
	for i, m := range msgs {
		f, err := js.PublishMsgAsync(m)
		if err != nil {
			return err
		}
		futures[i] = f
	}
	for _, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return err
		case <-time.After(10 * time.Second):
			return fmt.Errorf("no ack in time")
		}
	}
	return nil
}

func commitFastBatch(js jetstream.JetStream, msgs []*nats.Msg) error {
	fp, err := jetstreamext.NewFastPublisher(js, jetstreamext.FastPublishFlowControl{AckTimeout: 10 * time.Second})
	if err != nil {
		return err
	}
	for _, m := range msgs[:len(msgs)-1] {
		if _, err := fp.AddMsg(m); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = fp.CommitMsg(ctx, msgs[len(msgs)-1])
	return err
}
