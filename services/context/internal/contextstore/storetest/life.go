package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"unisson.dev/services/context/internal/contextstore"
)

func testEpochReset(t *testing.T, open func(t *testing.T) contextstore.Store) {
	s := Fresh(t, open)
	ctx := t.Context()
	wantEpoch(t, s, Epoch)
	ApplyAll(t, s, History(Epoch)...)
	if err := s.Reset(ctx, "life-2"); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	wantEpoch(t, s, "life-2")
	if got := appliedSeq(t, s); got != 0 {
		t.Errorf("AppliedSeq after Reset = %d, want 0", got)
	}
	for _, id := range []string{"A", "B", "C"} {
		wantNotFound(t, s, id)
	}
	if got := lookup(t, s, keyA, keyShared, keyPhone, keyDevice); len(got) != 0 {
		t.Errorf("Lookup after Reset = %v, want empty", got)
	}
	if got := citizenIDs(t, s); len(got) != 0 {
		t.Errorf("CitizenIDs after Reset = %v, want none", got)
	}
	if err := s.Apply(ctx, History(Epoch)[0]); !errors.Is(err, contextstore.ErrEpochMismatch) {
		t.Errorf("Apply with the old epoch: error = %v, want ErrEpochMismatch", err)
	}
	ApplyAll(t, s, History("life-2")...)
	if got := appliedSeq(t, s); got != 9 {
		t.Errorf("AppliedSeq after rebuild = %d, want 9", got)
	}
	if err := s.Reset(ctx, ""); err == nil {
		t.Errorf("Reset with an empty epoch succeeded, want an error")
	}
}

func wantEpoch(t *testing.T, s contextstore.Store, want string) {
	t.Helper()
	got, err := s.Epoch(t.Context())
	if err != nil {
		t.Fatalf("Epoch: %v", err)
	}
	if got != want {
		t.Errorf("Epoch = %q, want %q", got, want)
	}
}

// testWrongEpoch checks what every store guarantees on a wrong epoch: the
// error, and AppliedSeq and Epoch untouched. Whether the batch's changes
// were written is the adapter's to say.
func testWrongEpoch(t *testing.T, open func(t *testing.T) contextstore.Store) {
	s := Fresh(t, open)
	history := History(Epoch)
	ApplyAll(t, s, history[:2]...)
	for _, epoch := range []string{"", "life-0"} {
		b := history[2]
		b.Epoch = epoch
		if err := s.Apply(t.Context(), b); !errors.Is(err, contextstore.ErrEpochMismatch) {
			t.Errorf("Apply with epoch %q: error = %v, want ErrEpochMismatch", epoch, err)
		}
		if got := appliedSeq(t, s); got != history[1].AppliedSeq {
			t.Errorf("AppliedSeq = %d, want %d", got, history[1].AppliedSeq)
		}
		wantEpoch(t, s, Epoch)
	}
}

func testCitizenIDs(t *testing.T, open func(t *testing.T) contextstore.Store) {
	many := make([]string, 2345)
	for i := range many {
		many[i] = fmt.Sprintf("c%05d", len(many)-i)
	}
	tests := []struct {
		name string
		ids  []string
		want []string
	}{
		{"bytewise ascending", []string{"c", "a", "b", "a-1", "B", "a"}, []string{"B", "a", "a-1", "b", "c"}},
		{"more than a page", many, reversed(many)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := Fresh(t, open)
			var changes []contextstore.Change
			for i, id := range tc.ids {
				changes = append(changes, Change(uint64(i+1), id))
			}
			ApplyAll(t, s, batch(uint64(len(changes)), changes...))
			if diff := cmp.Diff(tc.want, citizenIDs(t, s)); diff != "" {
				t.Errorf("CitizenIDs mismatch (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("stops on error", func(t *testing.T) {
		s := Fresh(t, open)
		ApplyAll(t, s, batch(2, Change(1, "a"), Change(2, "b")))
		stop := errors.New("stop")
		var seen []string
		err := s.CitizenIDs(t.Context(), func(id string) error { seen = append(seen, id); return stop })
		if !errors.Is(err, stop) || len(seen) != 1 {
			t.Errorf("CitizenIDs = %v after %v, want stop after one id", err, seen)
		}
	})
}

func reversed(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

func testChecksum(t *testing.T, open func(t *testing.T) contextstore.Store) {
	history := History(Epoch)
	a, b, partial := Fresh(t, open), Fresh(t, open), Fresh(t, open)
	ApplyAll(t, a, history...)
	ApplyAll(t, b, history...)
	ApplyAll(t, partial, history[:2]...)
	sumA, sumB := Checksum(t, a), Checksum(t, b)
	if sumA != sumB {
		t.Errorf("checksums of two stores given the same batches differ: %s, %s", sumA, sumB)
	}
	if diff := cmp.Diff(Snapshots(t, a), Snapshots(t, b), Opts); diff != "" {
		t.Errorf("snapshots differ (-a +b):\n%s", diff)
	}
	if sum := Checksum(t, partial); sum == sumA {
		t.Errorf("checksum of a store missing a batch equals the full one")
	}
	ApplyAll(t, b, batch(10, Change(10, "C")))
	if Checksum(t, b) == sumA {
		t.Errorf("checksum did not change with a new interaction")
	}
}
