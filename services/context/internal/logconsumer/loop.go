package logconsumer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"unisson.dev/services/context/internal/contextstore"
	"unisson.dev/services/context/internal/projection"
)

// pullExpiry is how long one pull request waits on the server.
const pullExpiry = 5 * time.Second

// pullHeartbeat bounds how long Consume can sit waiting for messages that
// the server was never asked for. nats.go (v1.55.0, jetstream/pull.go)
// skips the re-pull that checkPending owes when the previous pull request
// is still being published (fetchInProgress == 1), and nothing checks
// again once it is: when the handler drains every outstanding message in
// that window, the server has no request, sends nothing, and only the
// missed-heartbeat timer (two heartbeats) pulls again. The default
// heartbeat is half the expiry, so that was a pause of the whole expiry.
// The handler must drain about PullMaxMessages messages within that
// window, so it happens during catch-up, not at live rates: over the
// in-process connection of the single binary, 3 of 160 reads of 100,000
// messages stalled (see natsembed.Server.Connect). 500 ms is the client's
// minimum: a pause costs at most 1 s, and the server sends a heartbeat
// only while a request idles.
const pullHeartbeat = 500 * time.Millisecond

// consume applies messages in batches until ctx ends, the store's epoch
// changes, a rebuild is requested or (until > 0) the projections reach until.
//
// Batches go through a projection.Pipeline: the store writes batch N while
// batch N+1 is decoded, resolved and built, and the client fetches the
// next messages meanwhile. A message is acked once the store has it. When
// the store fails, what was prepared after the failed run is dropped and
// every message not acked yet is applied again, in order (see reapply).
// Meanwhile guard checks the store's epoch and extends the lease.
func (c *Consumer) consume(ctx context.Context, cons jetstream.Consumer, until uint64) error {
	gctx, stop := context.WithCancelCause(ctx)
	guarded := make(chan struct{})
	go func() {
		defer close(guarded)
		c.guard(gctx, stop)
	}()
	err := c.apply(gctx, cons, until)
	if cause := context.Cause(gctx); cause != nil && ctx.Err() == nil {
		err = cause // the guard ended the loop: its reason, not the cancellation
	}
	stop(nil)
	<-guarded
	return err
}

// guard checks, every EpochCheck, that the store is still the one the
// projections are applied to, and extends the lease. It runs beside the
// applying loop, not in it: a lease refresh is a durable JetStream write
// and an epoch check two store round trips, and in the loop they held up
// every message that arrived meanwhile (up to a third of a second under
// load, measured in services/bench). A failure cancels the loop with its
// reason as the context's cause.
func (c *Consumer) guard(ctx context.Context, stop context.CancelCauseFunc) {
	tick := time.NewTicker(c.cfg.EpochCheck)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
		err := c.checkEpoch(ctx)
		if err == nil {
			err = c.refreshLease(ctx)
		}
		if err != nil {
			stop(err)
			return
		}
	}
}

// apply is consume's loop.
func (c *Consumer) apply(ctx context.Context, cons jetstream.Consumer, until uint64) error {
	msgs := make(chan jetstream.Msg, 2*c.cfg.MaxBatch)
	// Once this loop returns nobody reads msgs: stopped releases a handler
	// blocked on a full msgs, which would otherwise hang forever.
	stopped := make(chan struct{})
	defer close(stopped)
	cc, err := cons.Consume(func(m jetstream.Msg) {
		select {
		case msgs <- m:
		case <-stopped:
		}
	}, jetstream.PullMaxMessages(2*c.cfg.MaxBatch), jetstream.PullExpiry(pullExpiry), jetstream.PullHeartbeat(pullHeartbeat),
		// nats.go handles these itself (a missed heartbeat pulls again);
		// without a handler they would go unseen.
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			c.log.Warn("pull consumer error", "durable", c.cfg.Durable, "err", err)
		}))
	if err != nil {
		return fmt.Errorf("consume %s: %w", c.cfg.Durable, err)
	}
	defer cc.Stop()
	pl := c.proj.Pipeline(ctx)
	// The run in the store finishes (or fails) before the loop returns:
	// a rebuild must not reset the store under it.
	defer func() { _ = pl.Close() }()
	var unacked pending
	for {
		var batch []jetstream.Msg
		select {
		case m := <-msgs:
			batch = c.drain(append(batch, m), msgs)
		case <-pl.Progress():
		case done := <-c.rebuild:
			// Run answers once the projections are reset, so that a caller
			// reading with a token afterwards waits for the replay.
			c.rebuildDone = done
			return errRebuild
		case <-ctx.Done():
			return ctx.Err()
		}
		// Without a batch, Progress fired: the last run handed on may have
		// failed, with no Apply to report it.
		err := pl.Err()
		if len(batch) > 0 {
			err = pl.Apply(ctx, unacked.add(batch, c.log))
		}
		if err != nil {
			if pl, err = c.reapply(ctx, pl, err, &unacked); err != nil {
				return err
			}
		}
		stored := pl.Stored()
		unacked.ack(stored)
		if until > 0 && stored >= until {
			return nil
		}
	}
}

// drain adds the messages already waiting, up to MaxBatch.
func (c *Consumer) drain(batch []jetstream.Msg, msgs <-chan jetstream.Msg) []jetstream.Msg {
	for len(batch) < c.cfg.MaxBatch {
		select {
		case m := <-msgs:
			batch = append(batch, m)
		default:
			return batch
		}
	}
	return batch
}

// reapply handles a failed pipeline. Once its writer stopped, the store
// holds the runs before the failed one, and perhaps part of that one: every
// message not acked is applied again, oldest first, until the store takes
// them (the projector skips what the store has). Then they are acked, and
// applying goes on with a new pipeline.
func (c *Consumer) reapply(ctx context.Context, pl *projection.Pipeline, err error, unacked *pending) (*projection.Pipeline, error) {
	if cerr := pl.Close(); cerr != nil {
		err = cerr
	}
	backoff := 50 * time.Millisecond
	for {
		if errors.Is(err, contextstore.ErrEpochMismatch) || ctx.Err() != nil {
			return pl, err
		}
		c.log.Error("apply failed; retrying", "err", err, "retry_in", backoff)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return pl, ctx.Err()
		}
		backoff = min(2*backoff, 5*time.Second)
		if err = c.applyAll(ctx, unacked.messages()); err == nil {
			unacked.ack(c.proj.Applied())
			return c.proj.Pipeline(ctx), nil
		}
	}
}

// applyAll applies msgs with the store taking at most MaxBatch at a time.
func (c *Consumer) applyAll(ctx context.Context, msgs []projection.Message) error {
	for len(msgs) > 0 {
		n := min(len(msgs), c.cfg.MaxBatch)
		if err := c.proj.Apply(ctx, msgs[:n]); err != nil {
			return err
		}
		msgs = msgs[n:]
	}
	return nil
}

func (c *Consumer) checkEpoch(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	// The watermark is read first: the pipeline commits while this runs,
	// and the store's position, read after, is then at least as far.
	watermark := c.proj.Applied()
	epoch, err := c.store.Epoch(cctx)
	if err != nil {
		if ctx.Err() == nil { // not the applying ending; a timeout is worth a warning
			c.log.Warn("epoch check failed", "err", err)
		}
		return nil
	}
	if epoch != c.proj.Epoch() {
		return contextstore.ErrEpochMismatch
	}
	// A store that came back older (a failover to a lagging replica, a
	// restore) keeps its epoch but forgets what it applied last: resume
	// from what it has.
	applied, err := c.store.AppliedSeq(cctx)
	if err == nil && applied < watermark {
		c.log.Warn("store is behind what was applied: replaying the missing part of the log",
			"store_position", applied, "applied", watermark)
		return contextstore.ErrEpochMismatch
	}
	return nil
}

// refreshLease extends the applier lease; the guard's tick is well under
// the lease's time to live.
func (c *Consumer) refreshLease(ctx context.Context) error {
	if c.cfg.Lease == nil {
		return nil
	}
	if err := c.cfg.Lease.Refresh(ctx); err != nil {
		return fmt.Errorf("%w: %v", errLeaseLost, err)
	}
	return nil
}
