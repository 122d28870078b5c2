package logconsumer_test

import (
	"fmt"
	"io"
	"log/slog"
	"syscall"
	"testing"
	"time"

	"unisson.dev/platform/eventlog"
	"unisson.dev/platform/testenv"

	"unisson.dev/services/context/internal/contextstore"
	"unisson.dev/services/context/internal/contextstore/memstore"
	"unisson.dev/services/context/internal/contextstore/redisstore"
	"unisson.dev/services/context/internal/logconsumer"
	"unisson.dev/services/context/internal/projection"
	"unisson.dev/services/context/internal/projection/projectiontest"
)

// BenchmarkConsume applies a realistic log of 20,000 interactions, kept
// by an embedded NATS server reached over loopback TCP, to an empty store.
// One iteration is the whole log, from the creation of the durable
// consumer to the last interaction applied. batch is Config.MaxBatch.
func BenchmarkConsume(b *testing.B) {
	n := testenv.StartNATS(b)
	nc, js := n.Connect(b)
	if _, err := eventlog.EnsureStream(b.Context(), nc, js, n.Stream); err != nil {
		b.Fatal(err)
	}
	last := uint64(len(publish(b, js, n.Stream, projectiontest.Log(20_000, 2_000, 50))))
	stores := []struct {
		name  string
		fresh func(*testing.B) func(*testing.B) contextstore.Store
	}{
		{"mem", func(*testing.B) func(*testing.B) contextstore.Store {
			return func(*testing.B) contextstore.Store { return memstore.New() }
		}},
		{"redis", func(b *testing.B) func(*testing.B) contextstore.Store {
			r := testenv.StartRedis(b)
			s := redisstore.New(r.Client(b), r.Prefix, 5*time.Second)
			return func(b *testing.B) contextstore.Store { r.Flush(b); return s }
		}},
	}
	durable := 0
	for _, st := range stores {
		b.Run("store="+st.name, func(b *testing.B) {
			fresh := st.fresh(b)
			for _, batch := range []int{500, 1000, 2000} {
				b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
					log := slog.New(slog.NewTextHandler(io.Discard, nil))
					cpu := cpuTime(b)
					for b.Loop() {
						b.StopTimer()
						s := fresh(b)
						proj := projection.NewProjector(s, projection.NewWatermark(0), nil, nil, log)
						durable++
						cfg := logconsumer.Config{Stream: n.Stream, Durable: fmt.Sprintf("bench-%d", durable), MaxBatch: batch}
						c := logconsumer.New(js, cfg, proj, s, log)
						b.StartTimer()
						if err := c.Run(b.Context(), last); err != nil || proj.Applied() != last {
							b.Fatalf("Run: %v; applied %d, want %d", err, proj.Applied(), last)
						}
					}
					n := float64(b.N) * float64(last)
					b.ReportMetric(n/b.Elapsed().Seconds(), "interactions/s")
					b.ReportMetric(float64((cpuTime(b)-cpu).Microseconds())/n, "cpu-µs/interaction")
				})
			}
		})
	}
}

// cpuTime is the CPU time the process has used, user and system: with
// the NATS server, without redis-server.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
