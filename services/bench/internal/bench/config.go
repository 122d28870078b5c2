// Package bench measures Unisson against the raw building blocks it is made
// of, in one run on one machine: JetStream publish and fetch, Redis
// pipelined writes and a bare gRPC call on one side; applying the log,
// writing through the web API, reading a citizen's context, reading one's
// own writes and watching contexts on the other. Every figure is reported
// beside the raw figure of its building block, so the ratio, not the
// machine, tells Unisson's overhead. See docs/performance.md.
package bench

import (
	"errors"
	"flag"
	"fmt"
	"os/exec"
	"time"

	"unisson.dev/platform/config"
	"unisson.dev/services/context/contextsvc"
)

// Config sizes a run.
type Config struct {
	// Interactions and Citizens size the main store; SmallInteractions and
	// SmallCitizens the store the scaling figure compares it with.
	Interactions, Citizens           int
	SmallInteractions, SmallCitizens int
	// Watchers is how many WatchContext streams the fan-out opens.
	Watchers int
	// Duration is how long each timed phase lasts.
	Duration time.Duration
	// Concurrency lists the concurrencies of the GetContext and bare gRPC
	// phases; WebConcurrency is that of the web write.
	Concurrency    []int
	WebConcurrency int
	// SnapshotCacheMB is the context service's --snapshot-cache-mb.
	SnapshotCacheMB int
	Quick           bool
	// Redis runs the figures with the Redis store, Embedded those of the
	// single binary with the embedded store.
	Redis, Embedded bool
	// NATSURL and RedisURL name servers to use; empty starts our own.
	NATSURL, RedisURL string
	// DataDir holds the embedded NATS servers' stores; empty: a temporary
	// directory, removed at the end.
	DataDir string
	// JSONPath receives the report as JSON; ProfileDir a CPU profile of
	// every timed phase.
	JSONPath, ProfileDir string
	Seed                 uint64
	// NATSCommand, when set and NATSURL is empty, makes the command that
	// runs the redis mode's NATS server in a process of its own (see
	// ServeNATS), storing in dir. Without it that server runs in-process.
	NATSCommand func(dir string) *exec.Cmd `json:"-"`
}

// DefaultConfig is the full run of docs/performance.md.
func DefaultConfig() Config {
	return Config{
		Interactions: 1_000_000, Citizens: 100_000, SmallInteractions: 10_000, SmallCitizens: 1_000,
		Watchers: 10_000, Duration: 5 * time.Second, Concurrency: []int{1, 16, 64}, WebConcurrency: 64,
		SnapshotCacheMB: contextsvc.DefaultSnapshotCacheMB, Redis: true, Embedded: true, Seed: 1,
	}
}

// QuickConfig is the smoke run: every phase, tiny data, a few seconds.
func QuickConfig() Config {
	c := DefaultConfig()
	c.Interactions, c.Citizens, c.SmallInteractions, c.SmallCitizens = 3000, 300, 600, 60
	c.Watchers, c.Duration, c.Quick = 100, 300*time.Millisecond, true
	return c
}

// RegisterFlags registers the flags of the bench command. Apply Finish
// after parsing.
func RegisterFlags(fs *flag.FlagSet, c *Config, f *Flags) {
	d := DefaultConfig()
	fs.IntVar(&c.Interactions, "interactions", d.Interactions, "interactions in the main store")
	fs.IntVar(&c.Citizens, "citizens", d.Citizens, "citizens in the main store")
	fs.IntVar(&c.SmallInteractions, "small-interactions", d.SmallInteractions, "interactions in the small store of the scaling figure")
	fs.IntVar(&c.SmallCitizens, "small-citizens", d.SmallCitizens, "citizens in the small store")
	fs.IntVar(&c.Watchers, "watchers", d.Watchers, "concurrent WatchContext streams")
	fs.DurationVar(&c.Duration, "duration", d.Duration, "length of each timed phase")
	c.Concurrency = d.Concurrency
	fs.IntVar(&c.WebConcurrency, "web-concurrency", d.WebConcurrency, "concurrent clients of the web write")
	fs.IntVar(&c.SnapshotCacheMB, "snapshot-cache-mb", d.SnapshotCacheMB, "the context service's snapshot cache (redis mode), in MiB; 0: none")
	fs.BoolVar(&f.Quick, "quick", false, "smoke run: tiny data and short phases (sizes given as flags still apply)")
	fs.BoolVar(&f.EmbeddedOnly, "embedded-only", false, "only the single binary with the embedded store")
	fs.BoolVar(&f.RedisOnly, "redis-only", false, "only the Redis store")
	fs.StringVar(&c.JSONPath, "json", "", "write the report as JSON to this file")
	fs.StringVar(&c.ProfileDir, "profile", "", "write a CPU profile of every timed phase to this directory")
	fs.StringVar(&c.DataDir, "data-dir", "", "directory of the embedded NATS stores (default: a temporary directory)")
	fs.Uint64Var(&c.Seed, "seed", d.Seed, "seed of the data set")
	config.String(fs, &c.NATSURL, "nats-url", "NATS_URL", "", "NATS server to use; empty starts an embedded one")
	config.String(fs, &c.RedisURL, "redis-url", "REDIS_URL", "", "Redis to use; empty starts a redis-server on a random port")
}

// Flags are the flags that change several settings at once.
type Flags struct {
	Quick, EmbeddedOnly, RedisOnly bool
}

// Finish applies the flags to c: --quick takes the smoke sizes for every
// size not given explicitly.
func (f Flags) Finish(fs *flag.FlagSet, c *Config) {
	c.Redis, c.Embedded = !f.EmbeddedOnly, !f.RedisOnly
	if !f.Quick {
		return
	}
	given := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	q := QuickConfig()
	c.Quick = true
	for _, s := range []struct {
		flag     string
		dst, src *int
	}{
		{"interactions", &c.Interactions, &q.Interactions}, {"citizens", &c.Citizens, &q.Citizens},
		{"small-interactions", &c.SmallInteractions, &q.SmallInteractions},
		{"small-citizens", &c.SmallCitizens, &q.SmallCitizens}, {"watchers", &c.Watchers, &q.Watchers},
	} {
		if !given[s.flag] {
			*s.dst = *s.src
		}
	}
	if !given["duration"] {
		c.Duration = q.Duration
	}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.Citizens <= 0 || c.Interactions < c.Citizens {
		errs = append(errs, errors.New("interactions and citizens: need citizens > 0 and interactions ≥ citizens"))
	}
	if c.SmallCitizens <= 0 || c.SmallInteractions < c.SmallCitizens {
		errs = append(errs, errors.New("small-interactions and small-citizens: need citizens > 0 and interactions ≥ citizens"))
	}
	if c.Watchers <= 0 || c.Watchers > c.Citizens {
		errs = append(errs, fmt.Errorf("watchers: must be between 1 and the number of citizens (%d)", c.Citizens))
	}
	if c.Duration <= 0 {
		errs = append(errs, errors.New("duration: must be positive"))
	}
	if c.WebConcurrency <= 0 {
		errs = append(errs, errors.New("web-concurrency: must be positive"))
	}
	if c.SnapshotCacheMB < 0 {
		errs = append(errs, errors.New("snapshot-cache-mb: must not be negative"))
	}
	if !c.Redis && !c.Embedded {
		errs = append(errs, errors.New("--embedded-only and --redis-only exclude each other"))
	}
	return errors.Join(errs...)
}
