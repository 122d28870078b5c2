package memstore

import (
	"cmp"
	"slices"
	"strings"

	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
	"unisson.dev/services/context/internal/contextstore"
)

// citizen holds one citizen's projections; timeline is sorted by Seq. Its
// maps but links are made when first written: most citizens have no case
// or answer.
type citizen struct {
	rec      contextstore.Citizen
	links    map[string]contextstore.Link
	cases    map[string]contextstore.Case
	timeline []contextstore.Entry
	// answers is the last answer by topic, firsts the first answer by
	// topic and context version.
	answers map[string]answerRef
	firsts  map[firstKey]answerRef
}

// entry is a change's timeline entry, if it has one.
type entry struct {
	contextstore.Entry
	ok bool
}

// apply applies one change unless the citizen has it already; merges are
// carried out either way, as redisstore must to finish one cut short. The
// caller holds the write lock.
func (s *Store) apply(c contextstore.Change, e entry) {
	if cz, ok := s.citizens[c.CitizenID]; !ok || c.Seq > cz.rec.Version {
		s.applyNew(c, e)
	}
	for _, from := range c.MergeFrom {
		s.merge(c.CitizenID, from)
	}
}

// applyNew applies a change the citizen has not seen.
func (s *Store) applyNew(c contextstore.Change, e entry) {
	cz := s.citizen(c)
	cz.rec.Version = c.Seq
	cz.rec.UpdatedAt = c.OccurredAt.UTC()
	for _, l := range c.Links {
		l.Seq = c.Seq
		cz.link(l)
		s.indexLink(l.Key, c.CitizenID, l.Assurance, "")
	}
	if e.ok {
		cz.add(e.Entry)
	}
	if c.Case != nil {
		k := *c.Case
		k.UpdatedSeq = c.Seq
		cz.upsertCase(k)
	}
	if c.Ledger != nil {
		cz.rec.LedgerHead, cz.rec.LedgerSeq = c.Ledger.Hash, c.Seq
	}
	if c.Answer != nil {
		s.answer(cz, c.Seq, *c.Answer)
	}
}

// citizen returns the change's citizen, created at the change if missing.
func (s *Store) citizen(c contextstore.Change) *citizen {
	if cz, ok := s.citizens[c.CitizenID]; ok {
		return cz
	}
	at := c.OccurredAt.UTC()
	cz := &citizen{
		rec: contextstore.Citizen{
			ID: c.CitizenID, CreatedSeq: c.Seq, Version: c.Seq, CreatedAt: at, UpdatedAt: at,
		},
		links: make(map[string]contextstore.Link),
	}
	s.citizens[c.CitizenID] = cz
	return cz
}

// merge adds from's links, cases and timeline to target and re-points
// from's index entries; every step is idempotent.
func (s *Store) merge(target, from string) {
	src, ok := s.citizens[from]
	if !ok || from == target {
		return
	}
	dst := s.citizens[target]
	for _, l := range src.links {
		dst.link(l)
		s.indexLink(l.Key, target, dst.links[l.Key].Assurance, from)
	}
	for _, k := range src.cases {
		dst.upsertCase(k)
	}
	for _, e := range src.timeline {
		dst.add(e)
	}
	src.rec.MergedInto = target
	if !slices.Contains(dst.rec.Merged, from) {
		dst.rec.Merged = append(dst.rec.Merged, from)
	}
}

// indexLink points key at owner. With from == "" (Apply) it never lowers
// the assurance an owner already has; with from set (a merge) it only
// moves entries that point at from or owner.
func (s *Store) indexLink(key, owner string, a interactionv1.Assurance, from string) {
	if cur, ok := s.index[key]; ok {
		if from == "" && cur.CitizenID == owner && cur.Assurance >= a {
			return
		}
		if from != "" && cur.CitizenID != owner && cur.CitizenID != from {
			return
		}
	}
	s.index[key] = contextstore.Owner{CitizenID: owner, Assurance: a}
}

// link adds l, or upgrades the existing link when l's assurance is higher.
func (c *citizen) link(l contextstore.Link) {
	if cur, ok := c.links[l.Key]; ok && cur.Assurance >= l.Assurance {
		return
	}
	c.links[l.Key] = l
}

// upsertCase stores k unless the stored case is as new; an existing case
// keeps its OpenedAt.
func (c *citizen) upsertCase(k contextstore.Case) {
	k.OpenedAt, k.UpdatedAt = k.OpenedAt.UTC(), k.UpdatedAt.UTC()
	if cur, ok := c.cases[k.Reference]; ok {
		if cur.UpdatedSeq >= k.UpdatedSeq {
			return
		}
		k.OpenedAt = cur.OpenedAt
	}
	if c.cases == nil {
		c.cases = make(map[string]contextstore.Case)
	}
	c.cases[k.Reference] = k
}

// add inserts e at its position; an entry already at e.Seq is kept.
func (c *citizen) add(e contextstore.Entry) {
	i, found := slices.BinarySearchFunc(c.timeline, e.Seq, bySeq)
	if !found {
		c.timeline = slices.Insert(c.timeline, i, e)
	}
}

func bySeq(e contextstore.Entry, seq uint64) int { return cmp.Compare(e.Seq, seq) }

// before returns up to limit entries older than beforeSeq, newest first.
func (c *citizen) before(beforeSeq uint64, limit int) []contextstore.Entry {
	end := len(c.timeline)
	if beforeSeq > 0 {
		end, _ = slices.BinarySearchFunc(c.timeline, beforeSeq, bySeq)
	}
	var out []contextstore.Entry
	if n := min(end, limit); n > 0 {
		out = make([]contextstore.Entry, 0, n)
	}
	for i := end - 1; i >= 0 && len(out) < limit; i-- {
		out = append(out, c.timeline[i])
	}
	return out
}

// after returns up to limit entries newer than afterSeq, oldest first.
func (c *citizen) after(afterSeq uint64, limit int) []contextstore.Entry {
	start, found := slices.BinarySearchFunc(c.timeline, afterSeq, bySeq)
	if found {
		start++
	}
	var out []contextstore.Entry
	if n := min(len(c.timeline)-start, limit); n > 0 {
		out = make([]contextstore.Entry, 0, n)
	}
	for i := start; i < len(c.timeline) && len(out) < limit; i++ {
		out = append(out, c.timeline[i])
	}
	return out
}

func (c *citizen) snapshot(recent int) contextstore.Snapshot {
	snap := contextstore.Snapshot{
		Citizen:          c.rec,
		Recent:           c.before(0, recent),
		InteractionCount: int64(len(c.timeline)),
	}
	snap.Citizen.Merged = slices.Clone(c.rec.Merged)
	if len(c.links) > 0 {
		snap.Links = make([]contextstore.Link, 0, len(c.links))
	}
	for _, l := range c.links {
		snap.Links = append(snap.Links, l)
	}
	slices.SortFunc(snap.Links, func(a, b contextstore.Link) int { return strings.Compare(a.Key, b.Key) })
	if len(c.cases) > 0 {
		snap.Cases = make([]contextstore.Case, 0, len(c.cases))
	}
	for _, k := range c.cases {
		snap.Cases = append(snap.Cases, k)
	}
	slices.SortFunc(snap.Cases, func(a, b contextstore.Case) int { return strings.Compare(a.Reference, b.Reference) })
	return snap
}
