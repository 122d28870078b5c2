package projection

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"google.golang.org/protobuf/proto"

	"unisson.dev/platform/interaction"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"

	"unisson.dev/services/context/internal/contextstore"
	"unisson.dev/services/context/internal/identity"
	"unisson.dev/services/context/internal/ledger"
)

// event is a decoded log message. ix is the projector's own: change sets
// its citizen id and the ledger its hashes, with no copy.
type event struct {
	seq uint64
	ix  *interactionv1.Interaction
	// data is the message ix was decoded from; changed is true when
	// decoding rewrote a field, so that data no longer encodes ix.
	data    []byte
	changed bool
	// known is the citizen id the message named, "" when it named none.
	known string
}

// decode reads and checks one event. Identifiers are normalised again so
// that an event written by an older or foreign publisher still resolves.
func decode(m Message) (event, error) {
	ix := &interactionv1.Interaction{}
	if err := proto.Unmarshal(m.Data, ix); err != nil {
		return event{}, fmt.Errorf("decode: %w", err)
	}
	changed, err := interaction.Canonicalize(ix)
	if err != nil {
		return event{}, err
	}
	return event{seq: m.Seq, ix: ix, data: m.Data, changed: changed, known: ix.GetSubject().GetCitizenId()}, nil
}

// decodeAll decodes the messages after position from; invalid ones are
// logged, counted and skipped so one bad event cannot stop the
// projections. last is the highest position among the messages, or from.
func (p *Projector) decodeAll(msgs []Message, from uint64) (events []event, last uint64) {
	events = make([]event, 0, len(msgs))
	last = from
	for _, m := range msgs {
		if m.Seq <= from {
			continue
		}
		last = max(last, m.Seq)
		e, err := decode(m)
		if err != nil {
			p.metrics.rejected()
			p.log.Warn("skipping invalid interaction", "seq", m.Seq, "err", err)
			continue
		}
		events = append(events, e)
	}
	return events, last
}

// run is a prefix of a batch's events made ready for one store call.
type run struct {
	batch   contextstore.Batch
	applied []Applied
	// merge is true when the run ends with a merge: it moves links that
	// no overlay knows, so the next run is resolved only once this one is
	// in the store.
	merge bool
	// owners and heads are the identifier owners and ledger heads the run
	// sets. Until the store has the run, the next one sees them over what
	// the store answers.
	owners map[string]contextstore.Owner
	heads  map[string]contextstore.LedgerHead
	// stored is closed once the store has the run.
	stored chan struct{}
}

// prepare builds the run of a prefix of events with one lookup; a merge
// ends it. pending, when not nil, is the run the store may not have yet.
// last is the position the whole batch ends at. It returns the run and
// how many events it takes.
func (p *Projector) prepare(ctx context.Context, events []event, last uint64, pending *run) (*run, int, error) {
	keys := make([]string, 0, len(events)*2)
	linksOf := make([][]contextstore.Link, len(events))
	for i, e := range events {
		linksOf[i] = identity.Keys(e.ix)
		for _, l := range linksOf[i] {
			keys = append(keys, l.Key)
		}
	}
	owners := make(map[string]contextstore.Owner, len(keys))
	// With every key known the lookup is empty, which stores answer
	// without a round trip.
	found, err := p.store.Lookup(ctx, p.index.known(keys, owners))
	if err != nil {
		return nil, 0, fmt.Errorf("look up identifiers: %w", err)
	}
	maps.Copy(owners, found)
	if pending != nil {
		for _, k := range keys {
			if o, ok := pending.owners[k]; ok {
				owners[k] = o
			}
		}
	}
	// The index as the store will have it when it takes the run: the store
	// need not read it again (see contextstore.Batch.Owners).
	before := make(map[string]contextstore.Owner, len(keys))
	for _, k := range keys {
		before[k] = owners[k]
	}
	r := &run{owners: make(map[string]contextstore.Owner), stored: make(chan struct{})}
	changes := make([]contextstore.Change, 0, len(events))
	for n := 0; n < len(events) && !r.merge; n++ {
		c := change(events[n], linksOf[n], owners)
		changes = append(changes, c)
		for _, l := range c.Links {
			o := contextstore.Owner{CitizenID: c.CitizenID, Assurance: l.Assurance}
			if prev, ok := owners[l.Key]; ok && prev.CitizenID == c.CitizenID {
				o.Assurance = max(o.Assurance, prev.Assurance)
			}
			owners[l.Key], r.owners[l.Key] = o, o
		}
		r.merge = len(c.MergeFrom) > 0
	}
	p.index.remember(keys, owners)
	if r.merge {
		// The store moves the merged citizens' links: the next run looks
		// them up once the store has this one.
		last := changes[len(changes)-1]
		p.index.merged(last.CitizenID, last.MergeFrom)
	}
	if r.heads, err = p.chainLedger(ctx, changes, pending); err != nil {
		return nil, 0, err
	}
	// Encoded after the ledger filled in its hashes, for the store and the
	// watchers alike.
	r.applied = make([]Applied, len(changes))
	for i := range changes {
		c := &changes[i]
		entry, err := entryOf(events[i], c)
		if err != nil {
			return nil, 0, err
		}
		c.Data = entry.Data
		r.applied[i] = Applied{CitizenID: c.CitizenID, Entry: entry, Merged: c.MergeFrom, Links: c.Links}
	}
	n := len(changes)
	upTo := last
	if n < len(events) {
		upTo = events[n-1].seq
	}
	r.batch = contextstore.Batch{Epoch: p.epoch, Changes: changes, AppliedSeq: upTo, Owners: before}
	return r, n, nil
}

func change(e event, links []contextstore.Link, owners map[string]contextstore.Owner) contextstore.Change {
	newID := identity.CitizenIDPrefix + strings.ToLower(e.ix.GetId())
	d := identity.Resolve(e.ix.GetSubject().GetCitizenId(), links, owners, newID)
	for i := range d.Links {
		d.Links[i].Seq = e.seq
	}
	ix := e.ix
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

// chainLedger links each `answer given` change to its citizen's previous
// ledger entry, in log order, and records it for the answer reports; the
// heads of pending, the run the store may not have yet, stand over the
// store's. A change at or below a citizen's ledger head was applied before
// (the store skips it), so it neither moves nor uses the head. It returns
// the heads it moved.
func (p *Projector) chainLedger(ctx context.Context, changes []contextstore.Change, pending *run) (map[string]contextstore.LedgerHead, error) {
	var ids []string
	for _, c := range changes {
		if ledger.IsEntry(c.Interaction) {
			ids = append(ids, c.CitizenID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	heads, err := p.store.LedgerHeads(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read ledger heads: %w", err)
	}
	if heads == nil {
		heads = make(map[string]contextstore.LedgerHead)
	}
	if pending != nil {
		for _, id := range ids {
			if h, ok := pending.heads[id]; ok {
				heads[id] = h
			}
		}
	}
	moved := make(map[string]contextstore.LedgerHead)
	for i := range changes {
		c := &changes[i]
		if !ledger.IsEntry(c.Interaction) || heads[c.CitizenID].Seq >= c.Seq {
			continue
		}
		head, err := ledger.Chain(heads[c.CitizenID].Hash, c.Interaction)
		if err != nil {
			return nil, err
		}
		heads[c.CitizenID] = contextstore.LedgerHead{Hash: head, Seq: c.Seq}
		moved[c.CitizenID] = heads[c.CitizenID]
		a := c.Interaction.GetAnswer()
		c.Ledger = &contextstore.LedgerEntry{Hash: head}
		c.Answer = &contextstore.AnswerRecord{Topic: c.Interaction.GetTopic(), AnswerID: a.GetAnswerId(),
			Version: a.GetAnswerVersion(), ContextVersion: a.GetContextVersion(), Channel: c.Interaction.GetChannel()}
	}
	return moved, nil
}
