package memstore

import (
	"cmp"
	"context"
	"slices"
	"strings"

	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
	"unisson.dev/services/context/internal/contextstore"
)

// answerRef is an answer given at a log position.
type answerRef struct {
	id      string
	version uint32
	channel interactionv1.Channel
	seq     uint64
}

// same reports whether r and o are the same answer, whatever the channel.
func (r answerRef) same(o answerRef) bool { return r.id == o.id && r.version == o.version }

func (r answerRef) label() string {
	return contextstore.AnswerRecord{AnswerID: r.id, Version: r.version, Channel: r.channel}.Label()
}

// firstKey is a topic at a context version.
type firstKey struct {
	topic   string
	version uint64
}

// holder is a citizen holding an answer at a version.
type holder struct {
	citizen string
	version uint32
}

// answer records an answer given to cz: its last answer on the topic moves
// between holder sets, and an answer that differs from the first one given
// on the topic at the same context version is a divergence.
func (s *Store) answer(cz *citizen, seq uint64, a contextstore.AnswerRecord) {
	ref := answerRef{id: a.AnswerID, version: a.Version, channel: a.Channel, seq: seq}
	prev, had := cz.answers[a.Topic]
	if cz.answers == nil {
		cz.answers = make(map[string]answerRef)
	}
	cz.answers[a.Topic] = ref
	if !had || !prev.same(ref) {
		if had && !cz.holds(prev) {
			s.unhold(prev, cz.rec.ID)
		}
		s.hold(ref, cz.rec.ID)
	}
	k := firstKey{topic: a.Topic, version: a.ContextVersion}
	first, ok := cz.firsts[k]
	if !ok {
		if cz.firsts == nil {
			cz.firsts = make(map[firstKey]answerRef)
		}
		cz.firsts[k] = ref
		return
	}
	if first.same(ref) {
		return
	}
	i, found := slices.BinarySearchFunc(s.divergences, seq, byDivergenceSeq)
	if !found {
		s.divergences = slices.Insert(s.divergences, i, contextstore.Divergence{
			Seq: seq, CitizenID: cz.rec.ID, Topic: a.Topic, ContextVersion: a.ContextVersion,
			First: first.label(), Second: ref.label(),
		})
	}
}

// holds reports whether one of c's topics has r as its last answer.
func (c *citizen) holds(r answerRef) bool {
	for _, a := range c.answers {
		if a.same(r) {
			return true
		}
	}
	return false
}

func (s *Store) hold(r answerRef, citizen string) {
	set, ok := s.holders[r.id]
	if !ok {
		set = make(map[holder]struct{})
		s.holders[r.id] = set
	}
	set[holder{citizen: citizen, version: r.version}] = struct{}{}
}

func (s *Store) unhold(r answerRef, citizen string) {
	set := s.holders[r.id]
	delete(set, holder{citizen: citizen, version: r.version})
	if len(set) == 0 {
		delete(s.holders, r.id)
	}
}

func byDivergenceSeq(d contextstore.Divergence, seq uint64) int { return cmp.Compare(d.Seq, seq) }

// LedgerHeads returns the ledger heads of the citizens that have one.
func (s *Store) LedgerHeads(_ context.Context, citizenIDs []string) (map[string]contextstore.LedgerHead, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	heads := make(map[string]contextstore.LedgerHead, len(citizenIDs))
	for _, id := range citizenIDs {
		if c, ok := s.citizens[id]; ok && c.rec.LedgerSeq > 0 {
			heads[id] = contextstore.LedgerHead{Hash: c.rec.LedgerHead, Seq: c.rec.LedgerSeq}
		}
	}
	return heads, nil
}

// Divergences returns up to limit divergences after afterSeq.
func (s *Store) Divergences(_ context.Context, afterSeq uint64, limit int) ([]contextstore.Divergence, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i, found := slices.BinarySearchFunc(s.divergences, afterSeq, byDivergenceSeq)
	if found {
		i++
	}
	n := min(max(limit, 0), len(s.divergences)-i)
	return slices.Clone(s.divergences[i : i+n]), nil
}

// AnswerHolders returns up to limit holders of answerID below belowVersion
// after afterCitizen. It goes through all of the answer's holders, which
// suits the single binary's sizes; redisstore pages in O(log n + limit).
func (s *Store) AnswerHolders(_ context.Context, answerID string, belowVersion uint32, afterCitizen string, limit int) ([]contextstore.AnswerHolder, error) {
	s.mu.RLock()
	lowest := make(map[string]uint32)
	for h := range s.holders[answerID] {
		if (belowVersion > 0 && h.version >= belowVersion) || h.citizen <= afterCitizen {
			continue
		}
		if v, ok := lowest[h.citizen]; !ok || h.version < v {
			lowest[h.citizen] = h.version
		}
	}
	s.mu.RUnlock()
	out := make([]contextstore.AnswerHolder, 0, len(lowest))
	for id, v := range lowest {
		out = append(out, contextstore.AnswerHolder{CitizenID: id, Version: v})
	}
	slices.SortFunc(out, func(a, b contextstore.AnswerHolder) int { return strings.Compare(a.CitizenID, b.CitizenID) })
	return out[:min(max(limit, 0), len(out))], nil
}

// AnswerIDs returns the ids of the answers that have holders.
func (s *Store) AnswerIDs(context.Context) ([]string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := make([]string, 0, len(s.holders))
	for id := range s.holders {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}
