package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"time"

	"unisson.dev/services/bench/internal/dataset"
)

// mode measures one way of running Unisson: separate services on Redis
// (over TCP) or the single binary with the embedded store (in-process).
func (b *runner) mode(ctx context.Context, embedded bool) error {
	name := "redis"
	if embedded {
		name = "embedded"
	}
	b.log.Info("measuring", "mode", name)
	c, err := b.in.connect(embedded)
	if err != nil {
		return err
	}
	defer c.close()
	raw, err := b.rawBaselines(ctx, c)
	if err != nil {
		return err
	}
	var memberBytes float64
	if !embedded {
		var r Result
		r = b.timed("raw-redis-pipeline", func() Result {
			var res Result
			res, memberBytes = rawRedisWrites(ctx, b.in, b.payloads, b.cfg.Citizens, b.cfg.Duration, false)
			return res
		})
		b.rep.baseline("raw_redis_pipeline", fmt.Sprintf("Redis pipelined ZADD, %d per round trip", rawBatch), "tcp", "writes/s", r.Rate, &r)
		b.rep.baseline("raw_redis_member_bytes", "Redis used_memory per sorted-set member of the same payload", "tcp", "B", memberBytes, nil)
		// The timelines are lists: the same payloads as list elements are
		// the memory figure's building block.
		r = b.timed("raw-redis-list", func() Result {
			var res Result
			res, memberBytes = rawRedisWrites(ctx, b.in, b.payloads, b.cfg.Citizens, b.cfg.Duration, true)
			return res
		})
		b.rep.baseline("raw_redis_list", fmt.Sprintf("Redis pipelined RPUSH, %d per round trip", rawBatch), "tcp", "writes/s", r.Rate, &r)
		b.rep.baseline("raw_redis_element_bytes", "Redis used_memory per list element of the same payload", "tcp", "B", memberBytes, nil)
	}
	small, err := b.smallStore(ctx, c, name)
	if small != nil {
		defer func() { _ = small.stop() }()
	}
	if err != nil {
		return err
	}
	return b.mainStore(ctx, c, name, raw, memberBytes, small)
}

// storeConfig is the stack of mode name on stream, with its own Redis
// prefix and durable consumer.
func (b *runner) storeConfig(c *logConn, name, store string, small bool) stackConfig {
	sc := stackConfig{conn: c, stream: c.mainStream, durable: "bench-" + name, snapshotCacheMB: b.cfg.SnapshotCacheMB}
	if small {
		sc.stream, sc.durable = c.small, sc.durable+"-small"
	}
	if name == "redis" {
		sc.redisURL, sc.redisPrefix = b.in.redisURL, fmt.Sprintf("bench:%s:%s:", b.in.id, store)
	}
	return sc
}

// load publishes set into stream once per server.
func (b *runner) load(ctx context.Context, c *logConn, stream string, set *dataset.Set, phase string) (loaded, error) {
	key := c.server + "/" + stream
	if l, ok := b.loaded[key]; ok {
		return l, nil
	}
	sc := c.mainStream
	if stream == c.small.Name {
		sc = c.small
	}
	var l loaded
	var err error
	l.publish = b.timed(phase, func() Result {
		var r loaded
		r, err = publishSet(ctx, c, sc, set)
		l.lastSeq = r.lastSeq
		return r.publish
	})
	if err != nil {
		return loaded{}, err
	}
	b.loaded[key] = l
	return l, nil
}

// smallStore loads the small data set and returns its stack, applied
// and serving, for the scaling figure.
func (b *runner) smallStore(ctx context.Context, c *logConn, name string) (*stack, error) {
	l, err := b.load(ctx, c, c.small.Name, b.small, "load-small-"+c.transport)
	if err != nil {
		return nil, err
	}
	st, err := startStack(ctx, b.storeConfig(c, name, "small", true))
	if err != nil {
		return nil, err
	}
	last, err := streamLast(ctx, c.js, c.small.Name)
	if err != nil {
		return st, err
	}
	return st, st.waitApplied(ctx, max(last, l.lastSeq), emailRef(&b.small.Citizens()[0]))
}

// mainStore measures apply, reads, writes, lag, fan-out and footprint on
// the main data set.
func (b *runner) mainStore(ctx context.Context, c *logConn, name string, raw rawLog, memberBytes float64, small *stack) error {
	l, err := b.load(ctx, c, c.mainStream.Name, b.set, "load-main-"+c.transport)
	if err != nil {
		return err
	}
	b.rep.figure("load_publish", fmt.Sprintf("load: data set through the publisher alone (%d writers)", loadWriters), name, "msg/s",
		l.publish.Rate, "JetStream atomic batches of 500, flush before ack", raw.batch.Rate, target{text: "reported", reportOnly: true}, &l.publish)
	last, err := streamLast(ctx, c.js, c.mainStream.Name)
	if err != nil {
		return err
	}
	memBefore := b.memory(ctx, name)
	var st *stack
	apply := b.timed("apply-"+name, func() Result {
		if st, err = startStack(ctx, b.storeConfig(c, name, "main", false)); err != nil {
			return Result{}
		}
		if err = st.waitApplied(ctx, last, emailRef(&b.set.Citizens()[0])); err != nil {
			return Result{}
		}
		return summarize(nil, int(last), 0, time.Since(st.started))
	})
	if st != nil {
		defer func() { _ = st.stop() }()
	}
	if err != nil {
		return err
	}
	b.rep.figure("apply_rate", "apply: log → projection", name, "interactions/s", apply.Rate,
		"JetStream durable fetch, explicit acks", raw.fetch.Rate, target{text: "≥ 0.8× raw", ratioMin: 0.8}, &apply)
	if err := b.reads(ctx, st, small, name); err != nil {
		return err
	}
	b.footprint(ctx, name, memBefore, float64(last), memberBytes)
	web := b.timed("web-write-"+name, func() Result { return webWrite(ctx, st, b.set, b.cfg.WebConcurrency, b.cfg.Duration) })
	b.rep.figure("web_write", fmt.Sprintf("web write: POST /v1/messages → 202, c=%d", b.cfg.WebConcurrency), name, "req/s", web.Rate,
		"JetStream atomic batches of 500, flush before ack", raw.batch.Rate, target{text: "≥ 0.5× raw", ratioMin: 0.5}, &web)
	in := b.timed("ingest-"+name, func() Result {
		var r Result
		r, err = ingest(ctx, st, c, b.set, ingestSize(b.cfg.Interactions))
		return r
	})
	if err != nil {
		return err
	}
	b.rep.figure("ingest", fmt.Sprintf("ingest: publish → visible, projections running (%d writers)", loadWriters), name, "interactions/s",
		in.Rate, "JetStream atomic batches of 500, flush before ack", raw.batch.Rate, target{text: "reported", reportOnly: true}, &in)
	return b.lag(ctx, st, c, name, in.Rate/2)
}

// ingestSize is how many interactions the ingest figure writes.
func ingestSize(n int) int { return min(max(n/20, 500), 50_000) }

// scalingRounds is how many alternating slices each operation of a read
// phase gets.
const scalingRounds = 5

// reads measures GetContext at each concurrency against its building
// blocks, in alternating slices within one phase: the same reads on the
// small store (the scaling figure), a bare gRPC health Check (the
// GetContext targets' denominator) and a bare call answering a response of
// GetContext's mean size (what the targets allow at best). Measured apart,
// minutes earlier, the Check moved by up to 1.7× between runs while
// GetContext did not, and every ratio moved with it.
func (b *runner) reads(ctx context.Context, st, small *stack, name string) error {
	respSize, err := responseSize(ctx, st, b.set)
	if err != nil {
		return err
	}
	check, err := startBareGRPC(ctx, 0)
	if err != nil {
		return err
	}
	defer check.stop()
	sized, err := startBareGRPC(ctx, respSize)
	if err != nil {
		return err
	}
	defer sized.stop()
	hits, misses := st.gauge("unisson_snapshot_cache_hits_total"), st.gauge("unisson_snapshot_cache_misses_total")
	defer func() {
		h, m := st.gauge("unisson_snapshot_cache_hits_total")-hits, st.gauge("unisson_snapshot_cache_misses_total")-misses
		if hits >= 0 && h+m > 0 {
			b.rep.figure("snapshot_cache_hits", fmt.Sprintf("snapshot cache: GetContext reads served from memory, %s store", size(b.cfg.Interactions)),
				name, "%", 100*h/(h+m), "", 0, target{text: "reported", reportOnly: true}, nil)
		}
	}()
	for _, conc := range b.cfg.Concurrency {
		var out []Result
		b.timed(fmt.Sprintf("getcontext-%s-c%d", name, conc), func() Result {
			out = interleaved(ctx, conc, scalingRounds, b.meter,
				slot{func(ctx context.Context, _ int, rr *rand.Rand) error { return getContextOnce(ctx, st, b.set, rr) }, 2 * b.cfg.Duration},
				slot{func(ctx context.Context, _ int, rr *rand.Rand) error { return getContextOnce(ctx, small, b.small, rr) }, 2 * b.cfg.Duration},
				slot{check.check, b.cfg.Duration},
				slot{sized.sized, b.cfg.Duration})
			return out[0]
		})
		r, rs, g, gs := out[0], out[1], out[2], out[3]
		b.rep.baseline(fmt.Sprintf("raw_grpc_c%d", conc), fmt.Sprintf("bare gRPC health Check, c=%d (alternating with GetContext)", conc), name, "req/s", g.Rate, &g)
		b.rep.baseline(fmt.Sprintf("raw_grpc_sized_c%d", conc),
			fmt.Sprintf("bare gRPC unary, %d B response (GetContext's mean), c=%d (alternating)", respSize, conc), name, "req/s", gs.Rate, &gs)
		if g.Rate > 0 && g.P99 > 0 {
			b.rep.bound(fmt.Sprintf("bound_getcontext_qps_c%d", conc),
				fmt.Sprintf("bound: GetContext qps ratio reachable, c=%d (same-size bare call ÷ Check)", conc), name, gs.Rate/g.Rate)
			b.rep.bound(fmt.Sprintf("bound_getcontext_p99_c%d", conc),
				fmt.Sprintf("bound: GetContext p99 ratio reachable, c=%d (same-size bare call ÷ Check)", conc), name, gs.P99/g.P99)
		}
		b.rep.figure(fmt.Sprintf("getcontext_qps_c%d", conc), fmt.Sprintf("GetContext first page of 20, c=%d", conc), name, "req/s",
			r.Rate, fmt.Sprintf("bare gRPC Check, c=%d (alternating)", conc), g.Rate, target{text: "≥ 0.7× raw", ratioMin: 0.7}, &r)
		b.rep.figure(fmt.Sprintf("getcontext_p99_c%d", conc), fmt.Sprintf("GetContext p99, c=%d", conc), name, "ms",
			r.P99, fmt.Sprintf("bare gRPC Check p99, c=%d (alternating)", conc), g.P99, target{text: "≤ 1.5× raw", ratioMax: 1.5}, nil)
		b.rep.figure(fmt.Sprintf("scaling_p99_c%d", conc), fmt.Sprintf("scaling: GetContext p99 at %s, c=%d", size(b.cfg.Interactions), conc), name, "ms",
			r.P99, fmt.Sprintf("same at %s interactions (alternating)", size(b.cfg.SmallInteractions)), rs.P99, target{text: "≤ 1.2× raw", ratioMax: 1.2}, &rs)
	}
	return nil
}

// memory is Redis's used memory, or this process's live heap for the
// embedded store.
func (b *runner) memory(ctx context.Context, name string) float64 {
	if name == "redis" {
		m, err := b.in.usedMemory(ctx)
		if err != nil {
			b.rep.Warnings = append(b.rep.Warnings, err.Error())
		}
		return m
	}
	return heapBytes()
}

// footprint is the memory the store took per interaction applied; it is
// measured after the read phases, so that the embedded NATS server's
// block caches, filled while applying, have expired.
func (b *runner) footprint(ctx context.Context, name string, before, n, memberBytes float64) {
	per := (b.memory(ctx, name) - before) / n
	if name == "redis" {
		b.rep.figure("memory", "memory: Redis used_memory per interaction", name, "B", per,
			"Redis list element of the same payload", memberBytes, target{text: "≤ 1024 B", valueMax: 1024}, nil)
		return
	}
	b.rep.figure("memory", "memory: Go heap per interaction (embedded store)", name, "B", per,
		"encoded interaction (mean)", meanSize(b.payloads), target{text: "reported", reportOnly: true}, nil)
}

func size(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

// redact hides credentials in a server URL.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}
