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

// consume applies messages in batches until ctx ends, the store's epoch
// changes, a rebuild is requested or (until > 0) the projections reach until.
func (c *Consumer) consume(ctx context.Context, cons jetstream.Consumer, until uint64) error {
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
	}, jetstream.PullMaxMessages(2*c.cfg.MaxBatch), jetstream.PullExpiry(5*time.Second))
	if err != nil {
		return fmt.Errorf("consume %s: %w", c.cfg.Durable, err)
	}
	defer cc.Stop()
	tick := time.NewTicker(c.cfg.EpochCheck)
	defer tick.Stop()
	for {
		var batch []jetstream.Msg
		select {
		case m := <-msgs:
			batch = c.drain(append(batch, m), msgs)
		case <-tick.C:
			if err := c.checkEpoch(ctx); err != nil {
				return err
			}
			if err := c.refreshLease(ctx); err != nil {
				return err
			}
			continue
		case done := <-c.rebuild:
			// Run answers once the projections are reset, so that a caller
			// reading with a token afterwards waits for the replay.
			c.rebuildDone = done
			return errRebuild
		case <-ctx.Done():
			return ctx.Err()
		}
		last, err := c.apply(ctx, batch)
		if err != nil {
			return err
		}
		if until > 0 && last >= until {
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

// apply applies a batch, retrying while the store fails, then acks it.
func (c *Consumer) apply(ctx context.Context, batch []jetstream.Msg) (uint64, error) {
	pm := make([]projection.Message, 0, len(batch))
	var last uint64
	for _, m := range batch {
		md, err := m.Metadata()
		if err != nil {
			c.log.Warn("message without metadata skipped", "err", err)
			continue
		}
		pm = append(pm, projection.Message{Seq: md.Sequence.Stream, Data: m.Data()})
		last = max(last, md.Sequence.Stream)
	}
	backoff := 50 * time.Millisecond
	for {
		err := c.proj.Apply(ctx, pm)
		if err == nil {
			break
		}
		if errors.Is(err, contextstore.ErrEpochMismatch) || ctx.Err() != nil {
			return 0, err
		}
		c.log.Error("apply failed; retrying", "err", err, "retry_in", backoff)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return 0, ctx.Err()
		}
		backoff = min(2*backoff, 5*time.Second)
	}
	for _, m := range batch {
		// A lost ack only causes a redelivery, which the projector skips.
		_ = m.Ack()
	}
	return last, nil
}

func (c *Consumer) checkEpoch(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	epoch, err := c.store.Epoch(ctx)
	if err != nil {
		c.log.Warn("epoch check failed", "err", err)
		return nil
	}
	if epoch != c.proj.Epoch() {
		return contextstore.ErrEpochMismatch
	}
	// A store that came back older (a failover to a lagging replica, a
	// restore) keeps its epoch but forgets what it applied last: resume
	// from what it has.
	applied, err := c.store.AppliedSeq(ctx)
	if err == nil && applied < c.proj.Applied() {
		c.log.Warn("store is behind what was applied: replaying the missing part of the log",
			"store_position", applied, "applied", c.proj.Applied())
		return contextstore.ErrEpochMismatch
	}
	return nil
}

// refreshLease extends the applier lease; the epoch tick is well under the
// lease's time to live.
func (c *Consumer) refreshLease(ctx context.Context) error {
	if c.cfg.Lease == nil {
		return nil
	}
	if err := c.cfg.Lease.Refresh(ctx); err != nil {
		return fmt.Errorf("%w: %v", errLeaseLost, err)
	}
	return nil
}
