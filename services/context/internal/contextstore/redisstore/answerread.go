package redisstore

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"unisson.dev/services/context/internal/contextstore"
)

// LedgerHeads reads the ledger heads of citizenIDs in one pipelined round
// trip.
func (s *Store) LedgerHeads(ctx context.Context, citizenIDs []string) (map[string]contextstore.LedgerHead, error) {
	heads := make(map[string]contextstore.LedgerHead, len(citizenIDs))
	if len(citizenIDs) == 0 {
		return heads, nil
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	pipe := s.client.Pipeline()
	cmds := make([]*redis.SliceCmd, len(citizenIDs))
	for i, id := range citizenIDs {
		cmds[i] = pipe.HMGet(ctx, s.citizenKeys(id).c(), "ledger_head", "ledger_seq")
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("ledger heads: %w", err)
	}
	for i, cmd := range cmds {
		v := cmd.Val()
		hash, ok1 := v[0].(string)
		seq, ok2 := v[1].(string)
		if !ok1 || !ok2 {
			continue
		}
		n, err := strconv.ParseUint(seq, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("ledger head of %s: %w", citizenIDs[i], errCorrupt)
		}
		heads[citizenIDs[i]] = contextstore.LedgerHead{Hash: hash, Seq: n}
	}
	return heads, nil
}

// Divergences reads up to limit divergences after afterSeq: one lexical
// range of the divergence index, O(log n + limit).
func (s *Store) Divergences(ctx context.Context, afterSeq uint64, limit int) ([]contextstore.Divergence, error) {
	if limit <= 0 {
		return nil, nil
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	// Members of afterSeq start with its 20 digits then ":"; ";" follows
	// ":", so the range starts right after them.
	members, err := s.client.ZRangeByLex(ctx, s.divergencesKey(), &redis.ZRangeBy{
		Min: fmt.Sprintf("(%020d;", afterSeq), Max: "+", Count: int64(limit),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("divergences: %w", err)
	}
	out := make([]contextstore.Divergence, 0, len(members))
	for _, m := range members {
		d, err := decodeDivergence(m)
		if err != nil {
			return nil, fmt.Errorf("divergences: %w", err)
		}
		out = append(out, d)
	}
	return out, nil
}

// AnswerHolders reads up to limit holders of answerID below belowVersion
// after afterCitizen in one round trip. holdersScript reads, for each of
// the k versions below the bound, up to limit members after the citizen:
// O(k·(log n + limit)), and k is the number of versions the answer went
// through. The ranges are merged here; a citizen holding the answer at
// two versions (on two topics) is listed once, at the lower.
func (s *Store) AnswerHolders(ctx context.Context, answerID string, belowVersion uint32, afterCitizen string, limit int) ([]contextstore.AnswerHolder, error) {
	if limit <= 0 {
		return nil, nil
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	members, err := holdersScript.Run(ctx, s.client, []string{s.holdersKey(answerID)},
		belowVersion, afterCitizen, limit).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("answer holders: %w", err)
	}
	out := make([]contextstore.AnswerHolder, 0, len(members))
	for _, m := range members {
		h, err := decodeHolder(m)
		if err != nil {
			return nil, fmt.Errorf("answer holders of %s: %w", answerID, err)
		}
		out = append(out, h)
	}
	// Versions come lowest first and the sort is stable: Compact keeps
	// each citizen's lowest version.
	slices.SortStableFunc(out, func(a, b contextstore.AnswerHolder) int { return strings.Compare(a.CitizenID, b.CitizenID) })
	out = slices.CompactFunc(out, func(a, b contextstore.AnswerHolder) bool { return a.CitizenID == b.CitizenID })
	return out[:min(limit, len(out))], nil
}

// AnswerIDs reads the answers index, then keeps the answers that still
// have holders: two round trips. An answer whose last holder moved on
// stays in the index, which only grows with the knowledge base.
func (s *Store) AnswerIDs(ctx context.Context) ([]string, error) {
	ids, err := s.answerIndex(ctx)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	pipe := s.client.Pipeline()
	cmds := make([]*redis.IntCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.Exists(ctx, s.holdersKey(id))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("answer ids: %w", err)
	}
	out := ids[:0]
	for i, id := range ids {
		if cmds[i].Val() == 1 {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out, nil
}

func (s *Store) answerIndex(ctx context.Context) ([]string, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	ids, err := s.client.SMembers(ctx, s.answersKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("answer ids: %w", err)
	}
	return ids, nil
}
