// Package projection turns interactions from the log into changes of the
// citizen projections: it resolves identity, builds the store changes,
// applies them in batches and tells readers and watchers what moved.
package projection

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"unisson.dev/platform/interaction"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"

	"unisson.dev/services/context/internal/contextstore"
	"unisson.dev/services/context/internal/identity"
	"unisson.dev/services/context/internal/ledger"
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
}

// Notifier is told about every applied interaction, after the store has it.
type Notifier interface {
	Notify(applied []Applied)
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
}

// NewProjector returns a projector over store; metrics may be nil.
func NewProjector(store contextstore.Store, w *Watermark, n Notifier, m *Metrics, log *slog.Logger) *Projector {
	return &Projector{store: store, watermark: w, notifier: n, metrics: m, log: log}
}

// Start reads the store's epoch and applied position. An empty epoch means
// the store lost its data: Start resets it, so the caller replays the log
// from the beginning. It returns the position to resume after.
func (p *Projector) Start(ctx context.Context, newEpoch string) (uint64, error) {
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
	if err := p.store.Reset(ctx, newEpoch); err != nil {
		return fmt.Errorf("reset store: %w", err)
	}
	p.epoch = newEpoch
	p.watermark.Set(0)
	return nil
}

// Apply applies consecutive messages. Messages at or below the applied
// position are skipped (redelivery is normal); invalid ones are logged,
// counted and skipped so one bad event cannot stop the projections. It
// returns contextstore.ErrEpochMismatch when the store was emptied.
func (p *Projector) Apply(ctx context.Context, msgs []Message) error {
	applied := p.watermark.Seq()
	events := make([]event, 0, len(msgs))
	last := applied
	for _, m := range msgs {
		if m.Seq <= applied {
			continue
		}
		last = max(last, m.Seq)
		ix, err := decode(m.Data)
		if err != nil {
			p.metrics.rejected()
			p.log.Warn("skipping invalid interaction", "seq", m.Seq, "err", err)
			continue
		}
		events = append(events, event{seq: m.Seq, ix: ix})
	}
	if last == applied {
		return nil
	}
	var out []Applied
	for len(events) > 0 {
		n, done, err := p.applyRun(ctx, events, last)
		if err != nil {
			return err
		}
		out = append(out, done...)
		events = events[n:]
	}
	if len(msgs) > 0 && len(out) == 0 {
		if err := p.store.Apply(ctx, contextstore.Batch{Epoch: p.epoch, AppliedSeq: last}); err != nil {
			return p.applyErr(err)
		}
	}
	p.watermark.Set(last)
	p.metrics.appliedN(len(out))
	if p.notifier != nil && len(out) > 0 {
		p.notifier.Notify(out)
	}
	return nil
}

type event struct {
	seq uint64
	ix  *interactionv1.Interaction
}

// applyRun applies a prefix of events with one lookup and one store call.
// A merge ends the prefix, since it moves links the next lookup must see.
func (p *Projector) applyRun(ctx context.Context, events []event, last uint64) (int, []Applied, error) {
	keys := make([]string, 0, len(events)*2)
	linksOf := make([][]contextstore.Link, len(events))
	for i, e := range events {
		linksOf[i] = identity.Keys(e.ix)
		for _, l := range linksOf[i] {
			keys = append(keys, l.Key)
		}
	}
	owners, err := p.store.Lookup(ctx, keys)
	if err != nil {
		return 0, nil, fmt.Errorf("look up identifiers: %w", err)
	}
	changes := make([]contextstore.Change, 0, len(events))
	applied := make([]Applied, 0, len(events))
	n := 0
	for n < len(events) {
		e := events[n]
		c := change(e, linksOf[n], owners)
		changes = append(changes, c)
		for _, l := range c.Links {
			o := contextstore.Owner{CitizenID: c.CitizenID, Assurance: l.Assurance}
			if prev, ok := owners[l.Key]; ok && prev.CitizenID == c.CitizenID {
				o.Assurance = max(o.Assurance, prev.Assurance)
			}
			owners[l.Key] = o
		}
		n++
		if len(c.MergeFrom) > 0 {
			break
		}
	}
	if err := p.chainLedger(ctx, changes); err != nil {
		return 0, nil, err
	}
	// Encoded once, after the ledger filled in its hashes, for the store
	// and the watchers alike.
	for i := range changes {
		c := &changes[i]
		entry, err := contextstore.NewEntry(c.Seq, c.Interaction)
		if err != nil {
			return 0, nil, err
		}
		c.Data = entry.Data
		applied = append(applied, Applied{CitizenID: c.CitizenID, Entry: entry, Merged: c.MergeFrom})
	}
	upTo := last
	if n < len(events) {
		upTo = events[n-1].seq
	}
	if err := p.store.Apply(ctx, contextstore.Batch{Epoch: p.epoch, Changes: changes, AppliedSeq: upTo}); err != nil {
		return 0, nil, p.applyErr(err)
	}
	return n, applied, nil
}

func change(e event, links []contextstore.Link, owners map[string]contextstore.Owner) contextstore.Change {
	newID := identity.CitizenIDPrefix + strings.ToLower(e.ix.GetId())
	d := identity.Resolve(e.ix.GetSubject().GetCitizenId(), links, owners, newID)
	for i := range d.Links {
		d.Links[i].Seq = e.seq
	}
	ix := proto.Clone(e.ix).(*interactionv1.Interaction)
	if ix.Subject == nil {
		ix.Subject = &interactionv1.Subject{}
	}
	ix.Subject.CitizenId = d.CitizenID
	c := contextstore.Change{
		Seq: e.seq, CitizenID: d.CitizenID, OccurredAt: ix.GetOccurredAt().AsTime(),
		Links: d.Links, MergeFrom: d.MergeFrom, Interaction: ix,
	}
	if ref := ix.GetCaseReference(); ref != "" {
		status := ix.GetCaseStatus()
		if status == interactionv1.CaseStatus_CASE_STATUS_UNSPECIFIED && ix.GetKind() == interactionv1.Kind_KIND_FORM_SUBMISSION {
			status = interactionv1.CaseStatus_CASE_STATUS_SUBMITTED
		}
		if status != interactionv1.CaseStatus_CASE_STATUS_UNSPECIFIED {
			at := ix.GetOccurredAt().AsTime()
			c.Case = &contextstore.Case{Reference: ref, Topic: ix.GetTopic(), Status: status, OpenedAt: at, UpdatedAt: at, UpdatedSeq: e.seq}
		}
	}
	return c
}

func (p *Projector) applyErr(err error) error {
	if errors.Is(err, contextstore.ErrEpochMismatch) {
		return err
	}
	p.metrics.failed()
	return fmt.Errorf("apply to store: %w", err)
}

// decode reads and checks one event. Identifiers are normalised again so
// that an event written by an older or foreign publisher still resolves.
func decode(data []byte) (*interactionv1.Interaction, error) {
	ix := &interactionv1.Interaction{}
	if err := proto.Unmarshal(data, ix); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if err := interaction.Normalize(ix); err != nil {
		return nil, err
	}
	if err := interaction.Validate(ix); err != nil {
		return nil, err
	}
	return ix, nil
}

// Applied is the log position the projector has applied.
func (p *Projector) Applied() uint64 { return p.watermark.Seq() }

// Epoch is the store epoch the projector applies under.
func (p *Projector) Epoch() string { return p.epoch }

// chainLedger links each `answer given` change to its citizen's previous
// ledger entry, in log order, and records it for the answer reports. A
// change at or below a citizen's ledger head was applied before (the store
// skips it), so it neither moves nor uses the head.
func (p *Projector) chainLedger(ctx context.Context, changes []contextstore.Change) error {
	var ids []string
	for _, c := range changes {
		if ledger.IsEntry(c.Interaction) {
			ids = append(ids, c.CitizenID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	heads, err := p.store.LedgerHeads(ctx, ids)
	if err != nil {
		return fmt.Errorf("read ledger heads: %w", err)
	}
	for i := range changes {
		c := &changes[i]
		if !ledger.IsEntry(c.Interaction) || heads[c.CitizenID].Seq >= c.Seq {
			continue
		}
		head, err := ledger.Chain(heads[c.CitizenID].Hash, c.Interaction)
		if err != nil {
			return err
		}
		heads[c.CitizenID] = contextstore.LedgerHead{Hash: head, Seq: c.Seq}
		a := c.Interaction.GetAnswer()
		c.Ledger = &contextstore.LedgerEntry{Hash: head}
		c.Answer = &contextstore.AnswerRecord{Topic: c.Interaction.GetTopic(), AnswerID: a.GetAnswerId(),
			Version: a.GetAnswerVersion(), ContextVersion: a.GetContextVersion(), Channel: c.Interaction.GetChannel()}
	}
	return nil
}

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
