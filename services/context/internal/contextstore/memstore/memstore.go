// Package memstore keeps the context projections in memory, for the single
// binary where no Redis runs. It loses everything on exit, which is fine:
// the projections are rebuilt from the interaction log at start.
package memstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"sync"

	"unisson.dev/services/context/internal/contextstore"
)

// errEmptyEpoch is returned by Reset: "" is the epoch of an emptied store.
var errEmptyEpoch = errors.New("empty epoch")

// Store is an in-memory contextstore.Store. Apply holds the write lock for
// the whole batch, so readers see batches whole.
type Store struct {
	mu       sync.RWMutex
	epoch    string
	applied  uint64
	citizens map[string]*citizen
	index    map[string]contextstore.Owner
	// holders are the citizens whose last answer on a topic is the answer,
	// by answer id; divergences are sorted by Seq.
	holders     map[string]map[holder]struct{}
	divergences []contextstore.Divergence
}

var _ contextstore.Store = (*Store)(nil)

// New returns an empty store with a random epoch: memory cannot be emptied
// behind the service's back, so Epoch is never "".
func New() *Store {
	s := &Store{}
	s.reset(rand.Text())
	return s
}

func (s *Store) reset(epoch string) {
	s.epoch = epoch
	s.applied = 0
	s.citizens = make(map[string]*citizen)
	s.index = make(map[string]contextstore.Owner)
	s.holders = make(map[string]map[holder]struct{})
	s.divergences = nil
}

// Lookup returns the owners of the linked keys among keys.
func (s *Store) Lookup(_ context.Context, keys []string) (map[string]contextstore.Owner, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	owners := make(map[string]contextstore.Owner, len(keys))
	for _, k := range keys {
		if o, ok := s.index[k]; ok {
			owners[k] = o
		}
	}
	return owners, nil
}

// Apply applies the batch's changes in order. A wrong epoch fails the batch
// before any change is applied.
func (s *Store) Apply(_ context.Context, b contextstore.Batch) error {
	// Entries are encoded before the lock: a change that cannot be encoded
	// fails the batch before anything is applied.
	entries := make([]entry, len(b.Changes))
	for i, c := range b.Changes {
		e, ok, err := c.Entry()
		if err != nil {
			return fmt.Errorf("apply: %w", err)
		}
		entries[i] = entry{Entry: e, ok: ok}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b.Epoch != s.epoch {
		return fmt.Errorf("apply: %w", contextstore.ErrEpochMismatch)
	}
	for i, c := range b.Changes {
		s.apply(c, entries[i])
	}
	s.applied = max(s.applied, b.AppliedSeq)
	return nil
}

// AppliedSeq is the log position applied so far.
func (s *Store) AppliedSeq(context.Context) (uint64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.applied, nil
}

// Epoch identifies the store's current life.
func (s *Store) Epoch(context.Context) (string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.epoch, nil
}

// Reset drops every projection and starts a new life with epoch.
func (s *Store) Reset(_ context.Context, epoch string) error {
	if epoch == "" {
		return fmt.Errorf("reset: %w", errEmptyEpoch)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reset(epoch)
	return nil
}

// Snapshot returns a citizen with its links, cases and recent interactions.
func (s *Store) Snapshot(_ context.Context, citizenID string, recent int) (contextstore.Snapshot, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.citizens[citizenID]
	if !ok {
		return contextstore.Snapshot{}, fmt.Errorf("snapshot: %w", contextstore.ErrNotFound)
	}
	return c.snapshot(recent), nil
}

// Timeline returns up to limit entries older than beforeSeq, newest first.
func (s *Store) Timeline(_ context.Context, citizenID string, beforeSeq uint64, limit int) ([]contextstore.Entry, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.citizens[citizenID]
	if !ok {
		return nil, nil
	}
	return c.before(beforeSeq, limit), nil
}

// After returns up to limit entries newer than afterSeq, oldest first.
func (s *Store) After(_ context.Context, citizenID string, afterSeq uint64, limit int) ([]contextstore.Entry, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.citizens[citizenID]
	if !ok {
		return nil, nil
	}
	return c.after(afterSeq, limit), nil
}

// CitizenIDs calls fn with every citizen id in ascending order. The ids
// are copied first, so fn may call the store.
func (s *Store) CitizenIDs(_ context.Context, fn func(id string) error) error {
	s.mu.RLock()
	ids := make([]string, 0, len(s.citizens))
	for id := range s.citizens {
		ids = append(ids, id)
	}
	s.mu.RUnlock()
	slices.Sort(ids)
	for _, id := range ids {
		if err := fn(id); err != nil {
			return err
		}
	}
	return nil
}

// Close does nothing: the store holds no connections.
func (s *Store) Close() error { return nil }
