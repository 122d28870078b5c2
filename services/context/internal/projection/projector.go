// Package projection turns interactions from the log into changes of the
// citizen projections: it resolves identity, builds the store changes,
// applies them in batches and tells readers and watchers what moved.
package projection

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"unisson.dev/services/context/internal/contextstore"
)

// Message is one log message to apply.
type Message struct {
	Seq  uint64
	Data []byte
}

// Applied is an interaction that reached a citizen's projection.
type Applied struct {
	CitizenID string
	Entry     contextstore.Entry
	// Merged lists citizens merged into CitizenID by this interaction.
	Merged []string
	// Links are the identifiers this interaction linked to CitizenID, or
	// upgraded: their owner is CitizenID once applied.
	Links []contextstore.Link
}

// Notifier is told about every applied interaction, after the store has it.
type Notifier interface {
	Notify(applied []Applied)
}

// Notifiers tells each of its notifiers in turn.
type Notifiers []Notifier

// Notify tells every notifier.
func (ns Notifiers) Notify(applied []Applied) {
	for _, n := range ns {
		n.Notify(applied)
	}
}

// Projector applies log messages to a store. One projector at a time may
// apply to a store: identity resolution depends on the order of the log.
type Projector struct {
	store     contextstore.Store
	watermark *Watermark
	notifier  Notifier
	log       *slog.Logger
	metrics   *Metrics
	epoch     string
	// index, when not nil, remembers the identifier index between runs.
	index *indexCache
}

// NewProjector returns a projector over store; metrics may be nil.
func NewProjector(store contextstore.Store, w *Watermark, n Notifier, m *Metrics, log *slog.Logger) *Projector {
	return &Projector{store: store, watermark: w, notifier: n, metrics: m, log: log}
}

// CacheIndex makes the projector remember the owners of up to size
// identifier keys between runs, so that a run's lookup asks the store
// only for the keys it has not seen lately. It pays when the lookup is a
// round trip (Redis), not with the memory store. Call it before Start.
func (p *Projector) CacheIndex(size int) {
	p.index = newIndexCache(size)
}

// Start reads the store's epoch and applied position. An empty epoch means
// the store lost its data: Start resets it, so the caller replays the log
// from the beginning. It returns the position to resume after.
func (p *Projector) Start(ctx context.Context, newEpoch string) (uint64, error) {
	// Another applier may have written the index since this one last did.
	p.index.forget()
	epoch, err := p.store.Epoch(ctx)
	if err != nil {
		return 0, fmt.Errorf("read store epoch: %w", err)
	}
	if epoch == "" {
		p.log.Warn("store has no epoch marker: projections are rebuilt from the log")
		return 0, p.Reset(ctx, newEpoch)
	}
	seq, err := p.store.AppliedSeq(ctx)
	if err != nil {
		return 0, fmt.Errorf("read applied position: %w", err)
	}
	p.epoch = epoch
	p.watermark.Set(seq)
	return seq, nil
}

// Reset drops every projection and starts a new epoch.
func (p *Projector) Reset(ctx context.Context, newEpoch string) error {
	p.index.forget()
	if err := p.store.Reset(ctx, newEpoch); err != nil {
		return fmt.Errorf("reset store: %w", err)
	}
	p.epoch = newEpoch
	p.watermark.Set(0)
	return nil
}

// Apply applies consecutive messages and returns once the store has them.
// Messages at or below the applied position are skipped (redelivery is
// normal); invalid ones are logged, counted and skipped so one bad event
// cannot stop the projections. It returns contextstore.ErrEpochMismatch
// when the store was emptied. A consumer keeps the store busier with a
// Pipeline.
func (p *Projector) Apply(ctx context.Context, msgs []Message) error {
	pl := p.Pipeline(ctx)
	err := pl.Apply(ctx, msgs)
	if cerr := pl.Close(); err == nil {
		err = cerr
	}
	return err
}

// commit writes a run, then moves the watermark and tells the notifier.
func (p *Projector) commit(ctx context.Context, r *run) error {
	if err := p.store.Apply(ctx, r.batch); err != nil {
		return p.applyErr(err)
	}
	p.watermark.Set(r.batch.AppliedSeq)
	p.metrics.appliedN(len(r.applied))
	if p.notifier != nil && len(r.applied) > 0 {
		p.notifier.Notify(r.applied)
	}
	return nil
}

func (p *Projector) applyErr(err error) error {
	if errors.Is(err, contextstore.ErrEpochMismatch) {
		return err
	}
	p.metrics.failed()
	return fmt.Errorf("apply to store: %w", err)
}

// Applied is the log position the projector has applied.
func (p *Projector) Applied() uint64 { return p.watermark.Seq() }

// Epoch is the store epoch the projector applies under.
func (p *Projector) Epoch() string { return p.epoch }

// Follow moves the watermark with the store's applied position until ctx
// ends. A standby service runs it while another applies to a shared store,
// so that its reads with consistency tokens still succeed.
func (p *Projector) Follow(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if seq, err := p.store.AppliedSeq(ctx); err == nil {
				p.watermark.Set(seq)
			}
		}
	}
}
