package projection_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	v1 "unisson.dev/proto/unisson/interaction/v1"

	"unisson.dev/services/context/internal/contextstore"
	"unisson.dev/services/context/internal/contextstore/memstore"
	"unisson.dev/services/context/internal/projection"
)

var errStoreDown = errors.New("store down")

// gateStore is a memstore that, while gated, holds Apply call n until
// the next run has looked its identifiers up (lookup n+1) and, if it has
// answers, read its ledger heads: so the next run is prepared against a
// store without this one, the case the pipeline's overlay exists for. A
// run ending with a merge is held a little only: the next lookup must
// wait for the store. The run that reaches last is not held. It fails the
// Apply calls in failOn (counted from 1) after writing half of their
// changes, as a Redis that goes away in the middle of a batch.
type gateStore struct {
	*memstore.Store
	last    uint64
	mu      sync.Mutex
	gated   bool
	lookups int
	heads   int
	calls   int
	// ownHeads counts the ledger head reads of the runs applied so far.
	ownHeads int
	failOn   map[int]bool
	changed  chan struct{}
}

func newGateStore(last uint64, failOn ...int) *gateStore {
	s := &gateStore{Store: memstore.New(), last: last, gated: true, failOn: map[int]bool{}, changed: make(chan struct{})}
	for _, n := range failOn {
		s.failOn[n] = true
	}
	return s
}

func (s *gateStore) Lookup(ctx context.Context, keys []string) (map[string]contextstore.Owner, error) {
	defer s.read(&s.lookups)
	return s.Store.Lookup(ctx, keys)
}

func (s *gateStore) LedgerHeads(ctx context.Context, ids []string) (map[string]contextstore.LedgerHead, error) {
	defer s.read(&s.heads)
	return s.Store.LedgerHeads(ctx, ids)
}

func (s *gateStore) read(count *int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*count++
	close(s.changed)
	s.changed = make(chan struct{})
}

// waitFor waits until ok holds, or d passes; ok runs under mu.
func (s *gateStore) waitFor(d time.Duration, ok func() bool) {
	deadline := time.After(d)
	for {
		s.mu.Lock()
		done, changed := ok(), s.changed
		s.mu.Unlock()
		if done {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			return
		}
	}
}

func (s *gateStore) ungate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gated = false
}

func (s *gateStore) Apply(ctx context.Context, b contextstore.Batch) error {
	s.mu.Lock()
	s.calls++
	s.ownHeads += countHeads(b)
	n, gated, fail, heads := s.calls, s.gated && b.AppliedSeq < s.last, s.failOn[s.calls], s.ownHeads
	s.mu.Unlock()
	if gated {
		wait := 5 * time.Second
		if k := len(b.Changes); k > 0 && len(b.Changes[k-1].MergeFrom) > 0 {
			wait = 20 * time.Millisecond
		}
		s.waitFor(wait, func() bool { return s.lookups > n })
		s.waitFor(10*time.Millisecond, func() bool { return s.heads > heads })
	}
	if !fail {
		return s.Store.Apply(ctx, b)
	}
	half := contextstore.Batch{Epoch: b.Epoch, Changes: b.Changes[:len(b.Changes)/2]}
	if err := s.Store.Apply(ctx, half); err != nil {
		return err
	}
	return errStoreDown
}

// countHeads is how many ledger head reads b's preparation made: one when
// it has answers.
func countHeads(b contextstore.Batch) int {
	for _, c := range b.Changes {
		if c.Interaction.GetKind() == v1.Kind_KIND_ANSWER_GIVEN {
			return 1
		}
	}
	return 0
}

// newProjector is a projector over s that reports to a new recorder. It
// remembers up to cache identifier keys (see Projector.CacheIndex); none
// with 0.
func newProjector(t *testing.T, s contextstore.Store, cache int) (*projection.Projector, *projection.Watermark, *recorder) {
	t.Helper()
	w, seen := projection.NewWatermark(0), &recorder{}
	p := projection.NewProjector(s, w, seen, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if cache > 0 {
		p.CacheIndex(cache)
	}
	if _, err := p.Start(t.Context(), "life-1"); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return p, w, seen
}

// oneByOne applies msgs one message at a time: the reference every
// batching and pipelining must reproduce.
func oneByOne(t *testing.T, msgs []projection.Message) (contextstore.Store, []projection.Applied) {
	t.Helper()
	s := memstore.New()
	p, _, seen := newProjector(t, s, 0)
	for _, m := range msgs {
		if err := p.Apply(t.Context(), []projection.Message{m}); err != nil {
			t.Fatalf("Apply %d: %v", m.Seq, err)
		}
	}
	return s, seen.all()
}

func batches(msgs []projection.Message, size int) [][]projection.Message {
	var out [][]projection.Message
	for i := 0; i < len(msgs); i += size {
		out = append(out, msgs[i:min(i+size, len(msgs))])
	}
	return out
}

// told is what notifications say, but the entries' bytes.
func told(applied []projection.Applied) []string {
	out := make([]string, len(applied))
	for i, a := range applied {
		out[i] = fmt.Sprint(a.Entry.Seq, a.CitizenID, a.Merged)
	}
	return out
}

// acked drops the messages the store has.
func acked(msgs []projection.Message, stored uint64) []projection.Message {
	return slices.DeleteFunc(msgs, func(m projection.Message) bool { return m.Seq <= stored })
}

func storedSeqsOf(t *testing.T, s contextstore.Store) []uint64 {
	t.Helper()
	seqs := []uint64{0}
	err := s.CitizenIDs(t.Context(), func(id string) error {
		entries, err := s.After(t.Context(), id, 0, 100_000)
		for _, e := range entries {
			seqs = append(seqs, e.Seq)
		}
		return err
	})
	if err != nil {
		t.Fatalf("walk: %v", err)
	}
	return seqs
}

// equalBytes compares entries' bytes at once, not byte by byte.
var equalBytes = cmp.Comparer(bytes.Equal)
