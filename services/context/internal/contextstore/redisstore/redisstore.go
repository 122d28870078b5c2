// Package redisstore keeps the context projections in Redis. All keys of
// one citizen share the hash tag {c:ID}, so a change is one atomic Lua
// script on one Redis Cluster slot, and a batch of changes is one
// pipelined round trip. The answer indexes that span citizens live in
// other slots: a batch with answers takes a second pipelined round trip,
// driven by what the scripts return.
//
// Key layout under prefix P:
//
//	P{c:ID}:c     hash: citizen record (created_seq, created_at, version,
//	              updated_at, merged_into, merged, ledger_head, ledger_seq)
//	P{c:ID}:l     hash: identifier key → "assurance:type:seq[:value]"
//	P{c:ID}:k     hash: case reference → "seq:n:" + protobuf contextv1.Case
//	P{c:ID}:t     sorted set: score seq, member 8-byte seq + protobuf interaction
//	P{c:ID}:a     hash: topic → "seq:version:answerID", the last answer
//	P{c:ID}:v     hash: "contextVersion:topic" → "seq:version:channel:answerID",
//	              the first answer given from that context version
//	P{c:ID}:o     hash: seq → JSON global writes of the answer at seq, the
//	              outbox; an entry goes once its writes are known done
//	P{i:KEY}      string: "assurance:citizenID", the identifier index
//	P{a:ANSWER}   sorted set, score 0, member "%010d(version):citizenID":
//	              the citizens whose last answer on a topic is ANSWER
//	Panswers      set: answer ids that had holders
//	Pdivergences  sorted set, score 0, member "%020d(seq):" + JSON divergence
//	Pcitizens     sorted set of citizen ids, score 0
//	Pmeta         hash: epoch, applied_seq
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"unisson.dev/services/context/internal/contextstore"
)

// errEmptyEpoch is returned by Reset: "" is the epoch of an emptied store.
var errEmptyEpoch = errors.New("empty epoch")

// Store is a contextstore.Store on Redis or Redis Cluster.
type Store struct {
	client  redis.UniversalClient
	prefix  string
	timeout time.Duration

	// done lists the outbox entries whose global writes succeeded; the
	// next main pipeline deletes them.
	mu   sync.Mutex
	done []outboxEntry
}

var _ contextstore.Store = (*Store)(nil)

// New returns a store keeping its keys under prefix; every Redis round trip
// is bounded by timeout. prefix must not be a prefix of another store's
// prefix (end it with ":"), since Reset deletes every key that starts with
// it. The store owns client: Close closes it.
func New(client redis.UniversalClient, prefix string, timeout time.Duration) *Store {
	return &Store{client: client, prefix: prefix, timeout: timeout}
}

// citizenKeys are the keys of one citizen's projections.
type citizenKeys struct{ c, l, k, t, a, v, o string }

func (s *Store) citizenKeys(id string) citizenKeys {
	base := s.prefix + "{c:" + id + "}:"
	return citizenKeys{
		c: base + "c", l: base + "l", k: base + "k", t: base + "t",
		a: base + "a", v: base + "v", o: base + "o",
	}
}

func (s *Store) indexKey(key string) string      { return s.prefix + "{i:" + key + "}" }
func (s *Store) holdersKey(answer string) string { return s.prefix + "{a:" + answer + "}" }
func (s *Store) answersKey() string              { return s.prefix + "answers" }
func (s *Store) divergencesKey() string          { return s.prefix + "divergences" }
func (s *Store) citizensKey() string             { return s.prefix + "citizens" }
func (s *Store) metaKey() string                 { return s.prefix + "meta" }

// call bounds one round trip.
func (s *Store) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

// Lookup returns the owners of the linked keys among keys, in one round
// trip.
func (s *Store) Lookup(ctx context.Context, keys []string) (map[string]contextstore.Owner, error) {
	owners := make(map[string]contextstore.Owner, len(keys))
	if len(keys) == 0 {
		return owners, nil
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	pipe := s.client.Pipeline()
	cmds := make([]*redis.StringCmd, len(keys))
	for i, k := range keys {
		cmds[i] = pipe.Get(ctx, s.indexKey(k))
	}
	_, _ = pipe.Exec(ctx) // each command carries its own error
	for i, cmd := range cmds {
		if errors.Is(cmd.Err(), redis.Nil) {
			continue
		}
		if cmd.Err() != nil {
			return nil, fmt.Errorf("lookup: %w", cmd.Err())
		}
		o, err := decodeOwner(cmd.Val())
		if err != nil {
			return nil, fmt.Errorf("lookup %s: %w", keys[i], err)
		}
		owners[keys[i]] = o
	}
	return owners, nil
}

// AppliedSeq is the log position applied so far; 0 without a marker.
func (s *Store) AppliedSeq(ctx context.Context) (uint64, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	v, err := s.client.HGet(ctx, s.metaKey(), "applied_seq").Result()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("applied seq: %w", err)
	}
	seq, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("applied seq: %w", err)
	}
	return seq, nil
}

// Epoch identifies the store's current life; "" once Redis was emptied.
func (s *Store) Epoch(ctx context.Context) (string, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	v, err := s.client.HGet(ctx, s.metaKey(), "epoch").Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("epoch: %w", err)
	}
	return v, nil
}

// CitizenIDs calls fn with every citizen id in ascending order, reading
// them a page at a time; fn runs between round trips.
func (s *Store) CitizenIDs(ctx context.Context, fn func(id string) error) error {
	const page = 1000
	from := "-"
	for {
		ids, err := s.citizenPage(ctx, from, page)
		if err != nil {
			return fmt.Errorf("citizen ids: %w", err)
		}
		for _, id := range ids {
			if err := fn(id); err != nil {
				return err
			}
		}
		if len(ids) < page {
			return nil
		}
		from = "(" + ids[len(ids)-1]
	}
}

func (s *Store) citizenPage(ctx context.Context, from string, n int64) ([]string, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	return s.client.ZRangeByLex(ctx, s.citizensKey(), &redis.ZRangeBy{
		Min: from, Max: "+", Count: n,
	}).Result()
}

// Close closes the Redis client.
func (s *Store) Close() error {
	if err := s.client.Close(); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	return nil
}
