package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
	"unisson.dev/services/context/internal/contextstore"
)

// testMerge checks History's merge of B (and an unknown citizen) into A.
func testMerge(t *testing.T, open func(t *testing.T) contextstore.Store) {
	s := Fresh(t, open)
	history := History(Epoch)
	ApplyAll(t, s, history...)
	check := func(t *testing.T) {
		t.Helper()
		wantSnapshot(t, s, "A", mergedA())
		wantSnapshot(t, s, "B", keptB())
		wantOwners := map[string]contextstore.Owner{
			keyA:      {CitizenID: "A", Assurance: verified},
			keyShared: {CitizenID: "A", Assurance: verified},
			keyPhone:  {CitizenID: "A", Assurance: verified},
			// C took the device before the merge: it stays C's.
			keyDevice: {CitizenID: "C", Assurance: claimed},
			keyIDP:    {CitizenID: "C", Assurance: verified},
		}
		if diff := cmp.Diff(wantOwners, lookup(t, s, keyA, keyShared, keyPhone, keyDevice, keyIDP)); diff != "" {
			t.Errorf("Lookup mismatch (-want +got):\n%s", diff)
		}
		// Copied entries are B's interactions, byte for byte.
		copied, err := s.After(t.Context(), "A", 1, 2)
		if err != nil {
			t.Fatalf("After: %v", err)
		}
		wantInteractions(t, copied)
		if diff := cmp.Diff([]string{"A", "B", "C"}, citizenIDs(t, s)); diff != "" {
			t.Errorf("CitizenIDs mismatch (-want +got):\n%s", diff)
		}
	}
	t.Run("merged", check)
	ApplyAll(t, s, history[2])
	t.Run("merged twice", check)
}

func wantSnapshot(t *testing.T, s contextstore.Store, id string, want contextstore.Snapshot) {
	t.Helper()
	got := snapshot(t, s, id, 100)
	if diff := cmp.Diff(want.Citizen, got.Citizen, Opts); diff != "" {
		t.Errorf("%s: citizen mismatch (-want +got):\n%s", id, diff)
	}
	if diff := cmp.Diff(want.Links, got.Links, Opts); diff != "" {
		t.Errorf("%s: links mismatch (-want +got):\n%s", id, diff)
	}
	if diff := cmp.Diff(want.Cases, got.Cases, Opts); diff != "" {
		t.Errorf("%s: cases mismatch (-want +got):\n%s", id, diff)
	}
	if diff := cmp.Diff(seqs(want.Recent), seqs(got.Recent)); diff != "" {
		t.Errorf("%s: timeline mismatch (-want +got):\n%s", id, diff)
	}
	if got.InteractionCount != want.InteractionCount {
		t.Errorf("%s: InteractionCount = %d, want %d", id, got.InteractionCount, want.InteractionCount)
	}
}

// mergedA is A after History: B's links, cases and timeline added; the
// unknown citizen ignored.
func mergedA() contextstore.Snapshot {
	return contextstore.Snapshot{
		Citizen: contextstore.Citizen{
			ID: "A", CreatedSeq: 1, Version: 8, CreatedAt: At(1), UpdatedAt: At(8), Merged: []string{"B"},
			// A's own chain: B's ends with B.
			LedgerHead: "ledger-8", LedgerSeq: 8,
		},
		Links: []contextstore.Link{
			link(keyDevice, claimed, 2),
			link(keyA, verified, 1),
			link(keyShared, verified, 4),
			link(keyPhone, verified, 8),
		},
		Cases: []contextstore.Case{
			// B's newer state, A's opening time.
			{Reference: "DOS-1", Topic: "housing.benefit", Status: interactionv1.CaseStatus_CASE_STATUS_IN_REVIEW,
				OpenedAt: At(1), UpdatedAt: At(2), UpdatedSeq: 2},
			{Reference: "DOS-2", Topic: "housing.benefit", Status: interactionv1.CaseStatus_CASE_STATUS_SUBMITTED,
				OpenedAt: At(3), UpdatedAt: At(3), UpdatedSeq: 3},
		},
		Recent:           entries(8, 7, 4, 3, 2, 1),
		InteractionCount: 6,
	}
}

// keptB is B after History: its own data, MergedInto set.
func keptB() contextstore.Snapshot {
	return contextstore.Snapshot{
		Citizen: contextstore.Citizen{
			ID: "B", CreatedSeq: 2, Version: 3, CreatedAt: At(2), UpdatedAt: At(3), MergedInto: "A",
			LedgerHead: "ledger-3", LedgerSeq: 3,
		},
		Links: []contextstore.Link{
			link(keyDevice, claimed, 2),
			link(keyShared, claimed, 2),
			link(keyPhone, claimed, 2),
		},
		Cases: []contextstore.Case{
			{Reference: "DOS-1", Topic: "housing.benefit", Status: interactionv1.CaseStatus_CASE_STATUS_IN_REVIEW,
				OpenedAt: At(2), UpdatedAt: At(2), UpdatedSeq: 2},
			{Reference: "DOS-2", Topic: "housing.benefit", Status: interactionv1.CaseStatus_CASE_STATUS_SUBMITTED,
				OpenedAt: At(3), UpdatedAt: At(3), UpdatedSeq: 3},
		},
		Recent:           entries(3, 2),
		InteractionCount: 2,
	}
}

func entries(seq ...uint64) []contextstore.Entry {
	var out []contextstore.Entry
	for _, s := range seq {
		out = append(out, contextstore.Entry{Seq: s})
	}
	return out
}
