// Package logconsumer feeds the interaction log to the projector through a
// durable JetStream consumer with explicit acks, and rebuilds the
// projections from the log when asked to or when the store lost its data.
package logconsumer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"unisson.dev/platform/eventlog"

	"unisson.dev/services/context/internal/contextstore"
	"unisson.dev/services/context/internal/lease"
	"unisson.dev/services/context/internal/projection"
)

// Config tunes the consumer.
type Config struct {
	Stream eventlog.StreamConfig
	// Durable names the consumer; one applier uses it at a time.
	Durable string
	// MaxBatch caps how many messages one store round trip applies.
	MaxBatch int
	// AckWait is how long the server waits for an ack before redelivering.
	AckWait time.Duration
	// EpochCheck is how often the store's epoch marker is checked, to
	// notice a store emptied behind the service's back, and the lease
	// extended; both beside the applying, which they never hold up.
	EpochCheck time.Duration
	// Lease, when set, is held while applying: one applier per store.
	Lease *lease.Lease
	// InactiveThreshold lets the server delete the consumer after that long
	// without a client; for consumers of a store that dies with its process.
	InactiveThreshold time.Duration
}

// Consumer applies the log to the projections.
type Consumer struct {
	js      jetstream.JetStream
	cfg     Config
	proj    *projection.Projector
	store   contextstore.Store
	log     *slog.Logger
	rebuild chan chan error
	// rebuildDone answers the Rebuild call being served, once the reset is
	// done; only Run's goroutine touches it.
	rebuildDone chan error
	// applying is true while this consumer holds the lease and applies.
	applying atomic.Bool
}

// Applying reports whether this consumer applies the log (it may be a
// standby waiting for the lease).
func (c *Consumer) Applying() bool { return c.applying.Load() }

// New returns a consumer; nothing happens until Run.
func New(js jetstream.JetStream, cfg Config, proj *projection.Projector, store contextstore.Store, log *slog.Logger) *Consumer {
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 500
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = 30 * time.Second
	}
	if cfg.EpochCheck <= 0 {
		cfg.EpochCheck = 2 * time.Second
	}
	return &Consumer{js: js, cfg: cfg, proj: proj, store: store, log: log, rebuild: make(chan chan error)}
}

// errRebuild ends a consume loop so that Run restarts it after a reset.
var errRebuild = errors.New("rebuild requested")

// errLeaseLost ends a consume loop when another applier may have started.
var errLeaseLost = errors.New("lease lost")

// Run applies the log until ctx ends. When the store loses its data or a
// rebuild is requested, it resets the projections and replays the log.
// With until > 0 it returns once the projections reach that position.
func (c *Consumer) Run(ctx context.Context, until uint64) error {
	if c.cfg.Lease != nil {
		if err := c.standBy(ctx); err != nil {
			return nil
		}
		defer c.cfg.Lease.Release(context.WithoutCancel(ctx))
	}
	c.applying.Store(true)
	defer c.applying.Store(false)
	reset := false
	for {
		var start uint64
		var err error
		if reset {
			err = c.proj.Reset(ctx, NewEpoch())
			if c.rebuildDone != nil {
				c.rebuildDone <- err
				c.rebuildDone = nil
			}
		} else {
			start, err = c.proj.Start(ctx, NewEpoch())
		}
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		if until > 0 && start >= until {
			return nil
		}
		cons, err := c.position(ctx, start)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		err = c.consume(ctx, cons, until)
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, contextstore.ErrEpochMismatch):
			c.log.Warn("store epoch changed: rebuilding projections from the log")
			reset = false
		case errors.Is(err, errRebuild):
			c.log.Info("rebuilding projections from the log")
			reset = true
		case errors.Is(err, errLeaseLost):
			c.log.Warn("applier lease lost; waiting to take it again", "err", err)
			c.applying.Store(false)
			if err := c.standBy(ctx); err != nil {
				return nil
			}
			c.applying.Store(true)
			reset = false
		default:
			return err
		}
	}
}

// Rebuild asks a running consumer to drop the projections and replay the
// log. It returns once the reset is done; readers holding tokens wait until
// the replay reaches them.
func (c *Consumer) Rebuild(ctx context.Context) error {
	done := make(chan error, 1)
	select {
	case c.rebuild <- done:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// position (re)creates the durable consumer so that it delivers from just
// after start. The store, not the consumer, knows what was applied: a
// consumer left by an earlier run may hold unacknowledged messages that it
// would redeliver after newer ones, so it is replaced.
func (c *Consumer) position(ctx context.Context, start uint64) (jetstream.Consumer, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err := c.js.DeleteConsumer(ctx, c.cfg.Stream.Name, c.cfg.Durable)
	if err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil, fmt.Errorf("delete consumer %s: %w", c.cfg.Durable, err)
	}
	cc := jetstream.ConsumerConfig{
		Durable:           c.cfg.Durable,
		Description:       "context service projections",
		AckPolicy:         jetstream.AckExplicitPolicy,
		AckWait:           c.cfg.AckWait,
		MaxAckPending:     4 * c.cfg.MaxBatch,
		MaxDeliver:        -1,
		DeliverPolicy:     jetstream.DeliverAllPolicy,
		InactiveThreshold: c.cfg.InactiveThreshold,
	}
	if start > 0 {
		cc.DeliverPolicy, cc.OptStartSeq = jetstream.DeliverByStartSequencePolicy, start+1
	}
	cons, err := c.js.CreateConsumer(ctx, c.cfg.Stream.Name, cc)
	if err != nil {
		return nil, fmt.Errorf("create consumer %s: %w", c.cfg.Durable, err)
	}
	return cons, nil
}

// NewEpoch returns a fresh store epoch.
func NewEpoch() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// followEvery is how often a standby reads the applied position of the
// store another service applies to.
const followEvery = 50 * time.Millisecond

// standBy waits for the lease; meanwhile the projector follows the store's
// applied position, so reads with consistency tokens keep working.
func (c *Consumer) standBy(ctx context.Context) error {
	if err := c.cfg.Lease.TryAcquire(ctx); err == nil {
		return nil
	}
	fctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { c.proj.Follow(fctx, followEvery); close(done) }()
	err := c.cfg.Lease.Acquire(ctx)
	stop()
	<-done
	return err
}
