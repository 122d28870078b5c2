package projection_test

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"unisson.dev/platform/testenv"

	"unisson.dev/services/context/internal/contextstore"
	"unisson.dev/services/context/internal/contextstore/memstore"
	"unisson.dev/services/context/internal/contextstore/redisstore"
	"unisson.dev/services/context/internal/projection"
)

const (
	benchInteractions = 20_000
	benchCitizens     = 2_000
	benchBatch        = 500
)

// BenchmarkProjectorApply applies a realistic log of 20,000 interactions
// to an empty store in batches of 500, as the log consumer does; one
// iteration is the whole log. interactions/s is the applier's rate
// without the log's transport. serial waits for the store after each
// batch (Projector.Apply); pipelined prepares a batch while the store
// writes the one before (Pipeline).
func BenchmarkProjectorApply(b *testing.B) {
	msgs := benchLog(b, benchInteractions, benchCitizens, 50)
	stores := []struct {
		name  string
		start func(*testing.B) benchStore
	}{
		{"mem", func(*testing.B) benchStore {
			return benchStore{fresh: func(*testing.B) contextstore.Store { return memstore.New() }}
		}},
		{"redis", startRedis},
	}
	for _, st := range stores {
		b.Run("store="+st.name, func(b *testing.B) {
			s := st.start(b)
			b.Run("serial", func(b *testing.B) { benchApply(b, msgs, s, applySerial) })
			b.Run("pipelined", func(b *testing.B) { benchApply(b, msgs, s, applyPipelined) })
		})
	}
}

// benchStore gives an empty store for each iteration and, for Redis, the
// CPU time the server has used.
type benchStore struct {
	fresh     func(*testing.B) contextstore.Store
	serverCPU func(*testing.B) time.Duration
}

// startRedis starts a redis-server for b, emptied for each iteration.
func startRedis(b *testing.B) benchStore {
	r := testenv.StartRedis(b)
	c := r.Client(b)
	s := redisstore.New(c, r.Prefix, 5*time.Second)
	return benchStore{
		fresh: func(b *testing.B) contextstore.Store {
			r.Flush(b)
			return s
		},
		serverCPU: func(b *testing.B) time.Duration {
			info, err := c.Info(b.Context(), "cpu").Result()
			if err != nil {
				b.Fatalf("info cpu: %v", err)
			}
			var used time.Duration
			for line := range strings.Lines(info) {
				k, v, _ := strings.Cut(strings.TrimSpace(line), ":")
				if k == "used_cpu_user" || k == "used_cpu_sys" {
					sec, err := strconv.ParseFloat(v, 64)
					if err != nil {
						b.Fatalf("info cpu: %s: %v", line, err)
					}
					used += time.Duration(sec * float64(time.Second))
				}
			}
			return used
		},
	}
}

func applySerial(b *testing.B, p *projection.Projector, msgs []projection.Message) {
	for i := 0; i < len(msgs); i += benchBatch {
		if err := p.Apply(b.Context(), msgs[i:min(i+benchBatch, len(msgs))]); err != nil {
			b.Fatalf("Apply: %v", err)
		}
	}
}

func applyPipelined(b *testing.B, p *projection.Projector, msgs []projection.Message) {
	pl := p.Pipeline(b.Context())
	for i := 0; i < len(msgs); i += benchBatch {
		if err := pl.Apply(b.Context(), msgs[i:min(i+benchBatch, len(msgs))]); err != nil {
			b.Fatalf("Apply: %v", err)
		}
	}
	if err := pl.Close(); err != nil {
		b.Fatalf("Close: %v", err)
	}
}

// benchApply applies msgs to a fresh store per iteration.
func benchApply(b *testing.B, msgs []projection.Message, s benchStore,
	apply func(*testing.B, *projection.Projector, []projection.Message)) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	b.ReportAllocs()
	var server, writing time.Duration
	cpu := cpuTime(b)
	for b.Loop() {
		b.StopTimer()
		w := projection.NewWatermark(0)
		ts := &timedStore{Store: s.fresh(b)}
		p := projection.NewProjector(ts, w, nil, nil, log)
		if _, err := p.Start(b.Context(), "bench"); err != nil {
			b.Fatalf("Start: %v", err)
		}
		if s.serverCPU != nil {
			server -= s.serverCPU(b)
		}
		b.StartTimer()
		apply(b, p, msgs)
		b.StopTimer()
		if s.serverCPU != nil {
			server += s.serverCPU(b)
		}
		writing += ts.busy
		b.StartTimer()
		if w.Seq() != uint64(len(msgs)) {
			b.Fatalf("applied up to %d, want %d", w.Seq(), len(msgs))
		}
	}
	n := float64(b.N * len(msgs))
	b.ReportMetric(n/b.Elapsed().Seconds(), "interactions/s")
	// CPU time is steadier than the rate on a shared machine.
	b.ReportMetric(float64((cpuTime(b)-cpu).Microseconds())/n, "cpu-µs/interaction")
	if s.serverCPU != nil {
		b.ReportMetric(float64(server.Microseconds())/n, "redis-cpu-µs/interaction")
	}
	// The share of the time the store was writing: what pipelining raises.
	b.ReportMetric(100*writing.Seconds()/b.Elapsed().Seconds(), "%writing")
}

// timedStore adds up the time the store spends in Apply.
type timedStore struct {
	contextstore.Store
	busy time.Duration
}

func (s *timedStore) Apply(ctx context.Context, b contextstore.Batch) error {
	start := time.Now()
	defer func() { s.busy += time.Since(start) }()
	return s.Store.Apply(ctx, b)
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
