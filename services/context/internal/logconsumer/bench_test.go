package logconsumer_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

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
	n, js := startLog(b)
	last := uint64(len(publish(b, js, n.Stream, projectiontest.Log(20_000, 2_000, 50))))
	// commands counts the commands the store's Redis has run; none for the
	// memory store.
	var commands func(*testing.B) int64
	// cache is the identifier keys the projector remembers, as the context
	// service sets it for each store.
	var cache int
	stores := []struct {
		name  string
		fresh func(*testing.B) func(*testing.B) contextstore.Store
	}{
		{"mem", func(*testing.B) func(*testing.B) contextstore.Store {
			commands, cache = func(*testing.B) int64 { return 0 }, 0
			return func(*testing.B) contextstore.Store { return memstore.New() }
		}},
		{"redis", func(b *testing.B) func(*testing.B) contextstore.Store {
			r := testenv.StartRedis(b)
			opts, err := redisstore.ParseURL(r.URL)
			if err != nil {
				b.Fatal(err)
			}
			client := redis.NewClient(opts)
			b.Cleanup(func() { _ = client.Close() })
			commands, cache = func(b *testing.B) int64 { return commandsProcessed(b, client) }, 1<<18
			s := redisstore.New(client, r.Prefix, 5*time.Second)
			return func(b *testing.B) contextstore.Store { r.Flush(b); return s }
		}},
	}
	durable := 0
	for _, st := range stores {
		b.Run("store="+st.name, func(b *testing.B) {
			fresh := st.fresh(b)
			for _, batch := range []int{100, 250, 500, 1000} {
				b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
					log := slog.New(slog.NewTextHandler(io.Discard, nil))
					cpu, allocs, cmds := cpuTime(b), mallocs(), int64(0)
					for b.Loop() {
						b.StopTimer()
						s := fresh(b)
						before := commands(b)
						proj := projection.NewProjector(s, projection.NewWatermark(0), nil, nil, log)
						if cache > 0 {
							proj.CacheIndex(cache)
						}
						durable++
						cfg := logconsumer.Config{Stream: n.Stream, Durable: fmt.Sprintf("bench-%d", durable), MaxBatch: batch}
						c := logconsumer.New(js, cfg, proj, s, log)
						b.StartTimer()
						if err := c.Run(b.Context(), last); err != nil || proj.Applied() != last {
							b.Fatalf("Run: %v; applied %d, want %d", err, proj.Applied(), last)
						}
						cmds += commands(b) - before
					}
					n := float64(b.N) * float64(last)
					b.ReportMetric(n/b.Elapsed().Seconds(), "interactions/s")
					b.ReportMetric(float64((cpuTime(b)-cpu).Microseconds())/n, "cpu-µs/interaction")
					b.ReportMetric(float64(mallocs()-allocs)/n, "allocs/interaction")
					b.ReportMetric(float64(cmds)/n, "redis-cmds/interaction")
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

// mallocs is the number of heap objects the process has allocated, the
// NATS server's included; counted outside the timer, so includes the
// stores' resets.
func mallocs() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.Mallocs
}

// commandsProcessed is the commands Redis has run since it started, the
// benchmark's own INFO calls and flushes included.
func commandsProcessed(b *testing.B, c *redis.Client) int64 {
	ctx, cancel := context.WithTimeout(b.Context(), 5*time.Second)
	defer cancel()
	info, err := c.Info(ctx, "stats").Result()
	if err != nil {
		b.Fatalf("INFO stats: %v", err)
	}
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "total_commands_processed:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				b.Fatalf("INFO stats: %v", err)
			}
			return n
		}
	}
	b.Fatal("INFO stats: no total_commands_processed")
	return 0
}
