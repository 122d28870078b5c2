package bench

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"unisson.dev/services/bench/internal/dataset"
)

// runner holds what the phases of a run share.
type runner struct {
	cfg      Config
	log      *slog.Logger
	in       *infra
	rep      *Report
	set      *dataset.Set
	small    *dataset.Set
	payloads [][]byte
	meter    cpuMeter
	// loaded remembers data sets already in a server's stream, so that
	// two modes on one server publish them once.
	loaded map[string]loaded
}

// Run measures what cfg asks for and returns the report. Figures measured
// before a failure are in the report returned with the error.
func Run(ctx context.Context, cfg Config, log *slog.Logger) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	started := time.Now()
	rep := &Report{Machine: machine(), Config: cfg, Started: started, Command: strings.Join(os.Args, " ")}
	defer func() { rep.Machine.LoadEnd, rep.Elapsed = loadAvg(), time.Since(started) }()
	b := &runner{cfg: cfg, log: log, rep: rep, loaded: map[string]loaded{}}
	if err := b.makeData(); err != nil {
		return nil, err
	}
	in, err := startInfra(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	defer in.close()
	b.in, b.meter = in, cpuMeter{natsPID: in.natsPID(), redisPID: in.redisPID()}
	log.Info("servers ready", "nats", redact(in.natsURL), "redis", redact(in.redisURL), "data_dir", in.dir)
	for _, embedded := range []bool{false, true} {
		if (embedded && !cfg.Embedded) || (!embedded && !cfg.Redis) {
			continue
		}
		if err := b.mode(ctx, embedded); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

func (b *runner) makeData() error {
	var err error
	if b.set, err = dataset.New(dataset.Config{Interactions: b.cfg.Interactions, Citizens: b.cfg.Citizens, Seed: b.cfg.Seed}); err != nil {
		return err
	}
	if b.small, err = dataset.New(dataset.Config{Interactions: b.cfg.SmallInteractions, Citizens: b.cfg.SmallCitizens, Seed: b.cfg.Seed + 1}); err != nil {
		return err
	}
	sample, err := dataset.New(dataset.Config{Interactions: 4000, Citizens: 400, Seed: b.cfg.Seed + 2})
	if err != nil {
		return err
	}
	if b.payloads, err = samplePayloads(sample, 2000); err != nil {
		return err
	}
	b.rep.Dataset, b.rep.Small = b.set.Stats(), b.small.Stats()
	return nil
}

// timed runs one measured phase: it notes the CPU time this process and
// redis-server spent, the load average, and writes a CPU profile and a
// heap profile (live objects at the phase's last collection) when asked
// to.
func (b *runner) timed(name string, f func() Result) Result {
	var prof *os.File
	if b.cfg.ProfileDir != "" {
		if err := os.MkdirAll(b.cfg.ProfileDir, 0o755); err == nil {
			if prof, err = os.Create(filepath.Join(b.cfg.ProfileDir, name+".pprof")); err == nil {
				if err := pprof.StartCPUProfile(prof); err != nil {
					_ = prof.Close()
					prof = nil
				}
			}
		}
	}
	self0, redis0 := b.meter.read()
	r := f()
	self1, redis1 := b.meter.read()
	if prof != nil {
		pprof.StopCPUProfile()
		_ = prof.Close()
		b.writeHeapProfile(name)
	}
	r.CPUSelf, r.CPURedis, r.Load1 = self1-self0, redis1-redis0, loadAvg()[0]
	b.log.Info("phase", "name", name, "ops", r.Ops, "errors", r.Errors, "rate", round(r.Rate), "p50_ms", round(r.P50),
		"p99_ms", round(r.P99), "cpu_self_s", round(r.CPUSelf), "cpu_redis_s", round(r.CPURedis), "load1", r.Load1)
	if r.Errors > 0 {
		b.rep.Warnings = append(b.rep.Warnings, strings.TrimSuffix(fmt.Sprintf("%s: %d errors, first: %s", name, r.Errors, r.FirstError), ", first: "))
	}
	return r
}

func round(v float64) float64 { return float64(int64(v*100+0.5)) / 100 }

// writeHeapProfile writes the heap profile of the phase that just ended
// next to its CPU profile: what the collector had to mark during it.
func (b *runner) writeHeapProfile(name string) {
	f, err := os.Create(filepath.Join(b.cfg.ProfileDir, name+".heap.pprof"))
	if err != nil {
		b.log.Warn("heap profile", "err", err)
		return
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		b.log.Warn("heap profile", "err", err)
	}
}
