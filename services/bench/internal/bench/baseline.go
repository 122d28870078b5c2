package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"unisson.dev/platform/eventlog"
	contextv1 "unisson.dev/proto/unisson/context/v1"

	"unisson.dev/services/bench/internal/dataset"
)

// committers is eventlog.DefaultPublisherConfig's: the raw batches are
// published with the same parallelism.
var committers = eventlog.DefaultPublisherConfig().Committers

// rawLog are the log's raw figures over one transport.
type rawLog struct {
	async, batch, fetch Result
}

// rawBaselines measures JetStream over c's transport, on the server that
// flushes before acknowledging and on the one with the NATS default sync.
func (b *runner) rawBaselines(ctx context.Context, c *logConn) (rawLog, error) {
	if err := ensureRaw(ctx, c); err != nil {
		return rawLog{}, err
	}
	defer func() {
		_ = c.js.DeleteStream(context.WithoutCancel(ctx), c.raw.Name)
		_ = c.relaxedJS.DeleteStream(context.WithoutCancel(ctx), c.raw.Name)
	}()
	var durable rawLog
	for _, srv := range []struct {
		name, label string
		out         *rawLog
	}{{"durable", "flush before ack", &durable}, {"default", "NATS default sync", &rawLog{}}} {
		nc, js := c.nc, c.js
		if srv.name == "default" {
			nc, js = c.relaxedNC, c.relaxedJS
		}
		subject := c.raw.SubjectPrefix + ".web"
		tag := func(what string) string { return fmt.Sprintf("raw-js-%s-%s-%s", what, srv.name, c.transport) }
		next := &atomic.Uint64{}
		srv.out.async = b.timed(tag("async"), func() Result {
			return rawPublishAsync(ctx, nc, subject, b.payloads, b.cfg.Duration, next)
		})
		srv.out.batch = b.timed(tag("batch500"), func() Result {
			return rawPublishBatch(ctx, js, subject, b.payloads, rawBatch, b.cfg.Duration, committers, next)
		})
		if srv.name == "durable" {
			// The batches the publisher can form when WebConcurrency
			// writers share its committers.
			size := max(1, b.cfg.WebConcurrency/committers)
			r := b.timed(tag(fmt.Sprintf("batch%d", size)), func() Result {
				return rawPublishBatch(ctx, js, subject, b.payloads, size, b.cfg.Duration, committers, next)
			})
			b.rep.baseline(fmt.Sprintf("raw_js_batch_web_%s", srv.name), fmt.Sprintf("JetStream atomic batches of %d (%d in flight), %s", size, committers, srv.label), c.transport, "msg/s", r.Rate, &r)
			if srv.out.batch.Rate > 0 {
				b.rep.bound("bound_web_write", fmt.Sprintf("bound: web write ratio reachable at c=%d (batches of %d ÷ batches of %d)", b.cfg.WebConcurrency, size, rawBatch),
					c.transport, r.Rate/srv.out.batch.Rate)
			}
		}
		srv.out.fetch = b.fetchBaseline(ctx, js, c.raw.Name, tag("fetch"))
		for _, x := range []struct {
			key, name string
			r         Result
		}{
			{"async", "single async publishes", srv.out.async},
			{"batch500", fmt.Sprintf("atomic batches of %d (%d in flight)", rawBatch, committers), srv.out.batch},
			{"fetch", "durable fetch, explicit acks", srv.out.fetch},
		} {
			r := x.r
			b.rep.baseline(fmt.Sprintf("raw_js_%s_%s", x.key, srv.name), fmt.Sprintf("JetStream %s, %s", x.name, srv.label), c.transport, "msg/s", r.Rate, &r)
		}
	}
	return durable, nil
}

// responseSize is the mean size of GetContext's responses on st, from a
// sample of the reads the read phases make.
func responseSize(ctx context.Context, st *stack, set *dataset.Set) (int, error) {
	r := rand.New(rand.NewPCG(3, 4))
	total, n := 0, 200
	for range n {
		resp, err := st.client.GetContext(ctx, &contextv1.GetContextRequest{Citizen: readRef(set, r), TimelineLimit: 20})
		if err != nil {
			return 0, fmt.Errorf("sample GetContext: %w", err)
		}
		total += proto.Size(resp)
	}
	return total / n, nil
}

// stallGap is a pause between two deliveries worth a warning.
const stallGap = 2 * time.Second

// fetchBaseline is the better of two fetch trials: the raw capability of
// the building block, without a stall of the client library (each stall is
// reported as a warning).
func (b *runner) fetchBaseline(ctx context.Context, js jetstream.JetStream, stream, name string) Result {
	var best Result
	for i := range 2 {
		var gap time.Duration
		r := b.timed(fmt.Sprintf("%s-%d", name, i+1), func() Result {
			var r Result
			r, gap = rawFetch(ctx, js, stream, fmt.Sprintf("bench-raw-fetch-%d", i+1))
			return r
		})
		if gap > stallGap {
			b.rep.Warnings = append(b.rep.Warnings, fmt.Sprintf("%s trial %d: deliveries paused for %s", name, i+1, gap.Round(time.Millisecond)))
		}
		if r.Rate > best.Rate {
			best = r
		}
	}
	return best
}
