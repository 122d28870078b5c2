package bench

import (
	"context"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Result is what one timed phase measured.
type Result struct {
	Ops     int           `json:"ops"`
	Errors  int           `json:"errors"`
	Elapsed time.Duration `json:"elapsed_ns"`
	// Rate is successful operations per second.
	Rate float64 `json:"rate"`
	// Latencies in milliseconds; zero when the phase measures none.
	P50 float64 `json:"p50_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
	// CPU seconds spent meanwhile by this process (the services, the
	// embedded NATS and the load generator) and by redis-server.
	CPUSelf  float64 `json:"cpu_self_s"`
	CPURedis float64 `json:"cpu_redis_s"`
	Load1    float64 `json:"load1"`
	// FirstError is the first failure of the phase, if any.
	FirstError string `json:"first_error,omitempty"`
}

func summarize(lat []time.Duration, ops, errs int, elapsed time.Duration) Result {
	r := Result{Ops: ops, Errors: errs, Elapsed: elapsed}
	if elapsed > 0 {
		r.Rate = float64(ops) / elapsed.Seconds()
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		r.P50, r.P99, r.Max = ms(quantile(lat, 0.50)), ms(quantile(lat, 0.99)), ms(lat[len(lat)-1])
	}
	return r
}

func quantile(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// op is one operation of a closed-loop phase; worker w owns r.
type op func(ctx context.Context, w int, r *rand.Rand) error

// closedLoop runs op back to back in conc workers for d and measures each
// call.
func closedLoop(ctx context.Context, conc int, d time.Duration, f op) Result {
	var s samples
	s.run(ctx, conc, d, f)
	return s.result()
}

// samples gathers the latencies of one or more closed-loop runs.
type samples struct {
	lat      []time.Duration
	errs     int
	firstErr string
	elapsed  time.Duration
}

func (s *samples) result() Result {
	r := summarize(s.lat, len(s.lat), s.errs, s.elapsed)
	r.FirstError = s.firstErr
	return r
}

// run runs op back to back in conc workers for d and adds the latencies.
func (s *samples) run(ctx context.Context, conc int, d time.Duration, f op) {
	type out struct {
		lat      []time.Duration
		errs     int
		firstErr string
	}
	outs := make([]out, conc)
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(d)
	for w := range conc {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), uint64(start.UnixNano())))
			lat := make([]time.Duration, 0, 4096)
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(end) {
					break
				}
				cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				err := f(cctx, w, r)
				cancel()
				if err != nil {
					if outs[w].errs == 0 {
						outs[w].firstErr = err.Error()
					}
					outs[w].errs++
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			outs[w].lat = lat
		})
	}
	wg.Wait()
	s.elapsed += time.Since(start)
	for _, o := range outs {
		s.lat = append(s.lat, o.lat...)
		s.errs += o.errs
		if s.firstErr == "" {
			s.firstErr = o.firstErr
		}
	}
}

// slot is one operation of an interleaved measurement and the time it
// gets in all.
type slot struct {
	f op
	d time.Duration
}

// interleaved measures each slot's operation in turn, rounds times, in
// slices of slot.d/rounds, so that what else runs on the machine weighs on
// all of them alike. Each result carries the CPU time of its own slices.
func interleaved(ctx context.Context, conc, rounds int, m cpuMeter, slots ...slot) []Result {
	s := make([]samples, len(slots))
	cpuSelf := make([]float64, len(slots))
	cpuRedis := make([]float64, len(slots))
	for range rounds {
		for i, sl := range slots {
			self0, redis0 := m.read()
			s[i].run(ctx, conc, sl.d/time.Duration(rounds), sl.f)
			self1, redis1 := m.read()
			cpuSelf[i] += self1 - self0
			cpuRedis[i] += redis1 - redis0
		}
	}
	load := loadAvg()[0]
	out := make([]Result, len(slots))
	for i := range slots {
		out[i] = s[i].result()
		out[i].CPUSelf, out[i].CPURedis, out[i].Load1 = cpuSelf[i], cpuRedis[i], load
	}
	return out
}

// paced starts f(i) at rate per second for d, each in its own goroutine,
// at most limit at once (an open loop: a slow system does not slow the
// arrivals until limit is reached). It returns once every call returned.
func paced(ctx context.Context, rate float64, d time.Duration, limit int, f func(i int)) int {
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	start := time.Now()
	n := int(rate * d.Seconds())
	i := 0
	for ; i < n && ctx.Err() == nil; i++ {
		at := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
		if wait := time.Until(at); wait > 0 {
			time.Sleep(wait)
		}
		sem <- struct{}{}
		j := i // i outlives the iteration
		wg.Go(func() {
			defer func() { <-sem }()
			f(j)
		})
	}
	wg.Wait()
	return i
}

// cpuMeter reads the CPU time of this process, with the NATS server's
// process when it has one, and of redis-server.
type cpuMeter struct{ natsPID, redisPID int }

func (m cpuMeter) read() (self, redis float64) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		self = tv(ru.Utime) + tv(ru.Stime)
	}
	if m.natsPID > 0 {
		self += procCPU(m.natsPID)
	}
	if m.redisPID > 0 {
		redis = procCPU(m.redisPID)
	}
	return self, redis
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

// procCPU is a process's user and system time from /proc (clock ticks of
// 1/100 s on Linux).
func procCPU(pid int) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	// Fields after the command name, which is in parentheses.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (u + st) / 100
}

// loadAvg is the 1, 5 and 15 minute load averages.
func loadAvg() [3]float64 {
	var out [3]float64
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return out
	}
	f := strings.Fields(string(b))
	for i := 0; i < 3 && i < len(f); i++ {
		out[i], _ = strconv.ParseFloat(f[i], 64)
	}
	return out
}
