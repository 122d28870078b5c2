package memstore_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"unisson.dev/services/context/internal/contextstore"
	"unisson.dev/services/context/internal/contextstore/memstore"
	"unisson.dev/services/context/internal/contextstore/storetest"
)

func open(*testing.T) contextstore.Store { return memstore.New() }

func TestStore(t *testing.T) {
	storetest.Run(t, open)
}

func TestWireForm(t *testing.T) {
	storetest.WireForm(t, open)
}

func TestNewEpoch(t *testing.T) {
	a, err1 := memstore.New().Epoch(t.Context())
	b, err2 := memstore.New().Epoch(t.Context())
	if err := errors.Join(err1, err2); err != nil {
		t.Fatalf("Epoch: %v", err)
	}
	if a == "" || a == b {
		t.Errorf("epochs of two new stores = %q, %q; want distinct and non-empty", a, b)
	}
}

// TestWrongEpochLeavesNothing: memstore checks the epoch before applying
// anything.
func TestWrongEpochLeavesNothing(t *testing.T) {
	s := storetest.Fresh(t, open)
	history := storetest.History(storetest.Epoch)
	storetest.ApplyAll(t, s, history[:2]...)
	before := storetest.Checksum(t, s)
	if err := s.Apply(t.Context(), storetest.History("other")[2]); !errors.Is(err, contextstore.ErrEpochMismatch) {
		t.Fatalf("Apply error = %v, want ErrEpochMismatch", err)
	}
	if storetest.Checksum(t, s) != before {
		t.Errorf("a batch with a wrong epoch changed the store")
	}
}

// TestCopies: the store keeps the interaction as it was applied, not the
// caller's message, which the caller may change afterwards.
func TestCopies(t *testing.T) {
	s := storetest.Fresh(t, open)
	c := storetest.Change(1, "A")
	storetest.ApplyAll(t, s, contextstore.Batch{Epoch: storetest.Epoch, AppliedSeq: 1, Changes: []contextstore.Change{c}})
	c.Interaction.Text = "changed by the caller"
	got, err := s.Timeline(t.Context(), "A", 0, 1)
	if err != nil {
		t.Fatalf("Timeline: %v", err)
	}
	ix, err := got[0].Interaction()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(storetest.Interaction(1, "message 1"), ix, storetest.Opts); diff != "" {
		t.Errorf("stored interaction changed (-want +got):\n%s", diff)
	}
}
