// Package snapcache keeps the snapshots GetContext reads in the memory of
// the context service that applies the log, in front of its store.
//
// A cached snapshot is right only as long as nothing changed the citizen
// since it was read, so the cache serves one only while this process is
// the store's only writer: while it holds the applier lease (Holder), in
// the lease's tenure the snapshot was read in. Every write of this process
// goes through the cache (it wraps the Store the projector writes to):
// Apply forgets the citizens a batch changes, before the batch's position
// becomes visible to readers holding its token, and Reset forgets
// everything. A standby, or an applier whose lease lapsed, reads through
// to the store and keeps nothing.
//
// A read that misses goes to the store and keeps what it read, unless a
// write to that part of the cache ended while the read was under way: the
// store may have answered from before the write. So a cached snapshot is
// never older than the store's state at the time of the last write of its
// citizen.
package snapcache

import (
	"context"
	"hash/maphash"
	"sync"
	"sync/atomic"

	"unisson.dev/services/context/internal/contextstore"
)

// Holder tells whether this process holds the store's applier lease, and
// the term of its tenure (lease.Lease.Held).
type Holder func() (term uint64, ok bool)

// Stats are the cache's counters since it was made.
type Stats struct {
	Hits, Misses uint64
	// Bytes is an estimate of the memory the cached snapshots hold.
	Bytes int64
	// Entries is how many snapshots are cached.
	Entries int
}

// Store is a contextstore.Store whose Snapshot reads are cached.
type Store struct {
	contextstore.Store
	held         Holder
	seed         maphash.Seed
	shards       [shardCount]shard
	maxShard     int64
	hits, misses atomic.Uint64
}

// shardCount splits the cache so concurrent reads rarely share a lock, and
// a batch's invalidations refuse few concurrent reads' results.
const shardCount = 64

type shard struct {
	mu sync.Mutex
	m  map[string]*cached
	// gen counts the writes that touched the shard: a read keeps its
	// result only if gen did not move while it ran.
	gen   uint64
	bytes int64
	// clock orders the uses of the shard's snapshots, for eviction.
	clock uint64
}

type cached struct {
	term uint64
	// recent is how many entries the snapshot was read with.
	recent int
	snap   contextstore.Snapshot
	size   int64
	// used is the shard's clock at the snapshot's last use.
	used uint64
}

// New wraps store with a cache of about maxBytes of snapshots, served
// while held reports the lease held.
func New(store contextstore.Store, held Holder, maxBytes int64) *Store {
	s := &Store{Store: store, held: held, seed: maphash.MakeSeed(), maxShard: max(1, maxBytes/shardCount)}
	for i := range s.shards {
		s.shards[i].m = make(map[string]*cached)
	}
	return s
}

func (s *Store) shard(citizenID string) *shard {
	return &s.shards[maphash.String(s.seed, citizenID)%shardCount]
}

// Snapshot returns the cached snapshot of citizenID when this process
// holds the lease and has one read with at least recent entries (or the
// whole timeline); otherwise it reads the store, and keeps the result.
// The snapshot returned shares its slices with the cache: callers must
// not modify them, as with any store's snapshot.
func (s *Store) Snapshot(ctx context.Context, citizenID string, recent int) (contextstore.Snapshot, error) {
	term, ok := s.held()
	if !ok {
		return s.Store.Snapshot(ctx, citizenID, recent)
	}
	sh := s.shard(citizenID)
	sh.mu.Lock()
	c := sh.m[citizenID]
	gen := sh.gen
	if c != nil {
		sh.clock++
		c.used = sh.clock
	}
	sh.mu.Unlock()
	if c != nil && c.term == term && c.covers(recent) {
		s.hits.Add(1)
		snap := c.snap
		n := min(recent, len(snap.Recent))
		snap.Recent = snap.Recent[:n:n]
		return snap, nil
	}
	s.misses.Add(1)
	snap, err := s.Store.Snapshot(ctx, citizenID, recent)
	if err != nil {
		// Not found is not kept: the citizen may be created any time.
		return snap, err
	}
	s.keep(sh, citizenID, gen, &cached{term: term, recent: recent, snap: snap, size: sizeOf(snap)})
	return snap, nil
}

// covers reports whether the snapshot holds the recent newest entries.
func (c *cached) covers(recent int) bool {
	return recent <= c.recent || int64(len(c.snap.Recent)) >= c.snap.InteractionCount
}

// keep caches c unless the shard was written since gen, evicting
// snapshots to stay within the shard's share of the budget: of a few
// taken at random, the least recently used, as Redis approximates LRU.
func (s *Store) keep(sh *shard, citizenID string, gen uint64, c *cached) {
	if c.size > s.maxShard/4 {
		return // one snapshot would push out too many others
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.gen != gen {
		return
	}
	if old := sh.m[citizenID]; old != nil {
		sh.bytes -= old.size
		delete(sh.m, citizenID)
	}
	for sh.bytes+c.size > s.maxShard && len(sh.m) > 0 {
		sh.evict()
	}
	sh.clock++
	c.used = sh.clock
	sh.m[citizenID] = c
	sh.bytes += c.size
}

// evictSample is how many snapshots eviction compares.
const evictSample = 5

// evict drops the least recently used of a few snapshots; map iteration
// starts at a random place, so they are a sample.
func (sh *shard) evict() {
	var oldest string
	var victim *cached
	n := 0
	for id, c := range sh.m {
		if victim == nil || c.used < victim.used {
			oldest, victim = id, c
		}
		if n++; n == evictSample {
			break
		}
	}
	sh.bytes -= victim.size
	delete(sh.m, oldest)
}

// Apply applies the batch to the store, then forgets every citizen it
// changed, whether it succeeded or not (a failed batch may be partly in).
func (s *Store) Apply(ctx context.Context, b contextstore.Batch) error {
	err := s.Store.Apply(ctx, b)
	for _, c := range b.Changes {
		s.forget(c.CitizenID)
		for _, id := range c.MergeFrom {
			s.forget(id)
		}
	}
	return err
}

func (s *Store) forget(citizenID string) {
	sh := s.shard(citizenID)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.gen++
	if c := sh.m[citizenID]; c != nil {
		sh.bytes -= c.size
		delete(sh.m, citizenID)
	}
}

// Reset resets the store, then forgets every snapshot.
func (s *Store) Reset(ctx context.Context, epoch string) error {
	err := s.Store.Reset(ctx, epoch)
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		sh.gen++
		clear(sh.m)
		sh.bytes = 0
		sh.mu.Unlock()
	}
	return err
}

// Stats returns the cache's counters.
func (s *Store) Stats() Stats {
	st := Stats{Hits: s.hits.Load(), Misses: s.misses.Load()}
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		st.Bytes += sh.bytes
		st.Entries += len(sh.m)
		sh.mu.Unlock()
	}
	return st
}

// Per-item overheads of the size estimate: slice headers, struct fields
// and map entry, rounded up.
const (
	snapshotOverhead = 256
	entryOverhead    = 48
	linkOverhead     = 96
	caseOverhead     = 128
)

// sizeOf estimates the memory a cached snapshot holds.
func sizeOf(snap contextstore.Snapshot) int64 {
	c := snap.Citizen
	n := snapshotOverhead + len(c.ID) + len(c.MergedInto) + len(c.LedgerHead)
	for _, id := range c.Merged {
		n += 16 + len(id)
	}
	for _, l := range snap.Links {
		n += linkOverhead + len(l.Key) + len(l.Value)
	}
	for _, cs := range snap.Cases {
		n += caseOverhead + len(cs.Reference) + len(cs.Topic)
	}
	for _, e := range snap.Recent {
		n += entryOverhead + len(e.Data)
	}
	return int64(n)
}
