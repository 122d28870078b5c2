package redisstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"unisson.dev/services/context/internal/contextstore"
)

// Snapshot reads a citizen's record, links, cases, recent interactions and
// timeline length in one pipelined round trip.
func (s *Store) Snapshot(ctx context.Context, citizenID string, recent int) (contextstore.Snapshot, error) {
	k := s.citizenKeys(citizenID)
	cctx, cancel := s.call(ctx)
	defer cancel()
	pipe := s.client.Pipeline()
	rec := pipe.HGetAll(cctx, k.c)
	links := pipe.HGetAll(cctx, k.l)
	cases := pipe.HGetAll(cctx, k.k)
	count := pipe.ZCard(cctx, k.t)
	var recentCmd *redis.StringSliceCmd
	if recent > 0 {
		recentCmd = pipe.ZRevRange(cctx, k.t, 0, int64(recent)-1)
	}
	if _, err := pipe.Exec(cctx); err != nil {
		return contextstore.Snapshot{}, fmt.Errorf("snapshot: %w", err)
	}
	if len(rec.Val()) == 0 {
		return contextstore.Snapshot{}, fmt.Errorf("snapshot: %w", contextstore.ErrNotFound)
	}
	snap, err := decodeSnapshot(citizenID, rec.Val(), links.Val(), cases.Val())
	if err != nil {
		return contextstore.Snapshot{}, fmt.Errorf("snapshot %s: %w", citizenID, err)
	}
	snap.InteractionCount = count.Val()
	if recentCmd != nil {
		if snap.Recent, err = decodeEntries(recentCmd.Val()); err != nil {
			return contextstore.Snapshot{}, fmt.Errorf("snapshot %s: %w", citizenID, err)
		}
	}
	return snap, nil
}

func decodeSnapshot(id string, rec, links, cases map[string]string) (contextstore.Snapshot, error) {
	c, err := decodeCitizen(id, rec)
	if err != nil {
		return contextstore.Snapshot{}, err
	}
	snap := contextstore.Snapshot{Citizen: c}
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

// Timeline returns up to limit entries older than beforeSeq, newest first.
func (s *Store) Timeline(ctx context.Context, citizenID string, beforeSeq uint64, limit int) ([]contextstore.Entry, error) {
	if limit <= 0 {
		return nil, nil
	}
	upper := "+inf"
	if beforeSeq > 0 {
		upper = "(" + strconv.FormatUint(beforeSeq, 10)
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	members, err := s.client.ZRevRangeByScore(ctx, s.citizenKeys(citizenID).t, &redis.ZRangeBy{
		Min: "-inf", Max: upper, Count: int64(limit),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("timeline: %w", err)
	}
	entries, err := decodeEntries(members)
	if err != nil {
		return nil, fmt.Errorf("timeline %s: %w", citizenID, err)
	}
	return entries, nil
}

// After returns up to limit entries newer than afterSeq, oldest first.
func (s *Store) After(ctx context.Context, citizenID string, afterSeq uint64, limit int) ([]contextstore.Entry, error) {
	if limit <= 0 {
		return nil, nil
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	members, err := s.client.ZRangeByScore(ctx, s.citizenKeys(citizenID).t, &redis.ZRangeBy{
		Min: "(" + strconv.FormatUint(afterSeq, 10), Max: "+inf", Count: int64(limit),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("after: %w", err)
	}
	entries, err := decodeEntries(members)
	if err != nil {
		return nil, fmt.Errorf("after %s: %w", citizenID, err)
	}
	return entries, nil
}
