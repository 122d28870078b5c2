package redisstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"unisson.dev/services/context/internal/contextstore"
)

// Snapshot reads a citizen's record, links, cases and recent interactions
// in one pipelined round trip, shared with the snapshots read at the same
// time (see readGroups); a second one when the timeline ends with entries
// a cut-short Apply left uncommitted. Those are the entries above the
// record's version: a change is applied only above it, and its record,
// written after its entries, moves the version.
func (s *Store) Snapshot(ctx context.Context, citizenID string, recent int) (contextstore.Snapshot, error) {
	keys := s.citizenKeys(citizenID).names("clkt")
	r := &snapshotRead{keys: keys, recent: recent}
	if err := s.read(ctx, r); err != nil {
		return contextstore.Snapshot{}, fmt.Errorf("snapshot: %w", err)
	}
	rec, links, cases, recentCmd := r.rec, r.links, r.cases, r.recentCmd
	if len(rec.Val()) == 0 {
		return contextstore.Snapshot{}, fmt.Errorf("snapshot: %w", contextstore.ErrNotFound)
	}
	snap, err := decodeSnapshot(citizenID, rec.Val(), links.Val(), cases.Val())
	if err != nil {
		return contextstore.Snapshot{}, fmt.Errorf("snapshot %s: %w", citizenID, err)
	}
	if recentCmd != nil {
		elements := recentCmd.Val()
		if uncommitted(elements, snap.Citizen.Version) {
			if elements, err = s.committed(ctx, keys[3], snap.InteractionCount, recent); err != nil {
				return contextstore.Snapshot{}, fmt.Errorf("snapshot %s: %w", citizenID, err)
			}
		}
		if snap.Recent, err = decodeEntries(elements); err != nil {
			return contextstore.Snapshot{}, fmt.Errorf("snapshot %s: %w", citizenID, err)
		}
		slices.Reverse(snap.Recent)
	}
	return snap, nil
}

// uncommitted reports whether the newest of elements, the end of a
// timeline, lies above version: a cut-short Apply appended it.
func uncommitted(elements []string, version uint64) bool {
	if len(elements) == 0 {
		return false
	}
	e, err := decodeEntry(elements[len(elements)-1])
	// A corrupt entry is read again, and reported, among the committed.
	return err != nil || e.Seq > version
}

// committed reads the newest recent entries among the first n.
func (s *Store) committed(ctx context.Context, key string, n int64, recent int) ([]string, error) {
	if n == 0 {
		return nil, nil
	}
	return s.timelinePage(ctx, key, max(0, n-int64(recent)), n-1)
}

func decodeSnapshot(id string, rec, links, cases map[string]string) (contextstore.Snapshot, error) {
	c, err := decodeCitizen(id, rec)
	if err != nil {
		return contextstore.Snapshot{}, err
	}
	n, err := strconv.ParseInt(rec["n"], 10, 64)
	if err != nil {
		return contextstore.Snapshot{}, fmt.Errorf("citizen record: timeline length: %w", errCorrupt)
	}
	snap := contextstore.Snapshot{Citizen: c, InteractionCount: n}
	if len(links) > 0 {
		snap.Links = make([]contextstore.Link, 0, len(links))
	}
	if len(cases) > 0 {
		snap.Cases = make([]contextstore.Case, 0, len(cases))
	}
	for key, v := range links {
		l, err := decodeLink(key, v)
		if err != nil {
			return contextstore.Snapshot{}, err
		}
		snap.Links = append(snap.Links, l)
	}
	slices.SortFunc(snap.Links, func(a, b contextstore.Link) int { return strings.Compare(a.Key, b.Key) })
	for ref, v := range cases {
		k, err := decodeCase(ref, v)
		if err != nil {
			return contextstore.Snapshot{}, err
		}
		snap.Cases = append(snap.Cases, k)
	}
	slices.SortFunc(snap.Cases, func(a, b contextstore.Case) int { return strings.Compare(a.Reference, b.Reference) })
	return snap, nil
}

func decodeCitizen(id string, rec map[string]string) (contextstore.Citizen, error) {
	created, err1 := strconv.ParseUint(rec["created_seq"], 10, 64)
	version, err2 := strconv.ParseUint(rec["version"], 10, 64)
	createdAt, err3 := decodeTime(rec["created_at"])
	updatedAt, err4 := decodeTime(rec["updated_at"])
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return contextstore.Citizen{}, fmt.Errorf("citizen record: %w: %w", errCorrupt, err)
	}
	c := contextstore.Citizen{
		ID: id, CreatedSeq: created, Version: version,
		CreatedAt: createdAt, UpdatedAt: updatedAt, MergedInto: rec["merged_into"],
	}
	if m := rec["merged"]; m != "" {
		c.Merged = strings.Split(m, "\n")
	}
	if v, ok := rec["ledger_seq"]; ok {
		seq, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return contextstore.Citizen{}, fmt.Errorf("citizen record: %w: %w", errCorrupt, err)
		}
		c.LedgerHead, c.LedgerSeq = rec["ledger_head"], seq
	}
	return c, nil
}
