// Package redisstore keeps the context projections in Redis. All keys of
// one citizen share the hash tag {c:ID}, so they live on one Redis
// Cluster slot and every script touches one slot only. Apply reads what a
// batch depends on in one pipelined round trip and writes it in a second
// one, with plain commands: a citizen's record, written last, commits the
// citizen's changes (see Apply). The answer indexes that span citizens
// live in other slots: a batch with answers takes a third round trip,
// driven by what the answer scripts return.
//
// Key layout under prefix P (layout version 2, kept in Pmeta):
//
//	P{c:ID}:c     hash: citizen record (created_seq, created_at, version,
//	              updated_at, n, merged_into, merged, ledger_head,
//	              ledger_seq); n is the committed length of the timeline
//	P{c:ID}:l     hash: identifier key → "assurance:type:seq[:value]"
//	P{c:ID}:k     hash: case reference → "seq:n:" + protobuf contextv1.Case
//	P{c:ID}:t     list, oldest first: 8-byte big-endian seq + protobuf
//	              interaction; only its first n elements are committed
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
//	Pmeta         hash: epoch, applied_seq, layout
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
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

	reads readGroups
}

var _ contextstore.Store = (*Store)(nil)

// New returns a store keeping its keys under prefix; every Redis round trip
// is bounded by timeout. prefix must not be a prefix of another store's
// prefix (end it with ":"), since Reset deletes every key that starts with
// it. The store owns client: Close closes it.
func New(client redis.UniversalClient, prefix string, timeout time.Duration) *Store {
	return &Store{client: client, prefix: prefix, timeout: timeout}
}

// citizenKeys is the start shared by one citizen's keys, "P{c:ID}:"; its
// methods name the keys, built when needed.
type citizenKeys string

func (s *Store) citizenKeys(id string) citizenKeys { return citizenKeys(s.prefix + "{c:" + id + "}:") }

func (k citizenKeys) c() string { return string(k) + "c" }
func (k citizenKeys) l() string { return string(k) + "l" }
func (k citizenKeys) k() string { return string(k) + "k" }
func (k citizenKeys) t() string { return string(k) + "t" }
func (k citizenKeys) a() string { return string(k) + "a" }
func (k citizenKeys) v() string { return string(k) + "v" }
func (k citizenKeys) o() string { return string(k) + "o" }

// names returns the keys of the given suffixes, sharing one allocation.
func (k citizenKeys) names(suffixes string) []string {
	var b strings.Builder
	b.Grow(len(suffixes) * (len(k) + 1))
	for i := range suffixes {
		b.WriteString(string(k))
		b.WriteByte(suffixes[i])
	}
	all, n := b.String(), len(k)+1
	out := make([]string, len(suffixes))
	for i := range out {
		out[i] = all[i*n : (i+1)*n]
	}
	return out
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

// layout is the version of the key layout this package reads and writes,
// kept in the meta hash by Reset. Version 1 (no field) kept timelines in
// sorted sets; 2 keeps them in lists, with their committed length in the
// citizen record.
const layout = "2"

// Epoch identifies the store's current life; "" once Redis was emptied, or
// when its keys are in another layout than this package's: the caller then
// resets the store and rebuilds it from the log, rather than misread it.
func (s *Store) Epoch(ctx context.Context) (string, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	v, err := s.client.HMGet(ctx, s.metaKey(), "epoch", "layout").Result()
	if err != nil {
		return "", fmt.Errorf("epoch: %w", err)
	}
	epoch, _ := v[0].(string)
	if l, _ := v[1].(string); l != layout {
		return "", nil
	}
	return epoch, nil
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
