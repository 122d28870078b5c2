package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
	"unisson.dev/services/context/internal/contextstore"
)

func testEmpty(t *testing.T, open func(t *testing.T) contextstore.Store) {
	tests := []struct {
		name  string
		store func(t *testing.T) contextstore.Store
	}{
		{"new", open},
		{"reset", func(t *testing.T) contextstore.Store { return Fresh(t, open) }},
		{"reset after use", func(t *testing.T) contextstore.Store {
			s := Fresh(t, open)
			ApplyAll(t, s, History(Epoch)...)
			if err := s.Reset(t.Context(), "life-2"); err != nil {
				t.Fatalf("Reset: %v", err)
			}
			return s
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.store(t)
			if got := appliedSeq(t, s); got != 0 {
				t.Errorf("AppliedSeq = %d, want 0", got)
			}
			wantNotFound(t, s, "A")
			if got := lookup(t, s, keyA, keyPhone); len(got) != 0 {
				t.Errorf("Lookup = %v, want empty", got)
			}
			if got := citizenIDs(t, s); len(got) != 0 {
				t.Errorf("CitizenIDs = %v, want none", got)
			}
			entries, err := s.Timeline(t.Context(), "A", 0, 10)
			if err != nil || len(entries) != 0 {
				t.Errorf("Timeline = %v, %v; want none", seqs(entries), err)
			}
			if diff := cmp.Diff(AnswerState{}, Answers(t, s), Opts); diff != "" {
				t.Errorf("answers mismatch (-want +got):\n%s", diff)
			}
			if got := ledgerHeads(t, s, "A", "B"); len(got) != 0 {
				t.Errorf("LedgerHeads = %v, want empty", got)
			}
		})
	}
}

func testApplyCreates(t *testing.T, open func(t *testing.T) contextstore.Store) {
	s := Fresh(t, open)
	// A key not made by identifier.Key must keep its value.
	odd := contextstore.Link{Key: "legacy:42", Type: interactionv1.IdentifierType_IDENTIFIER_TYPE_DEVICE_ID,
		Value: "device:42", Assurance: claimed, Seq: 1}
	ApplyAll(t, s, batch(4,
		withCase(withLinks(Change(1, "A"), link(keyA, claimed, 1), link(keyPhone, verified, 1), odd),
			"DOS-1", interactionv1.CaseStatus_CASE_STATUS_SUBMITTED),
		Change(2, "A"),
	))
	if got := appliedSeq(t, s); got != 4 {
		t.Errorf("AppliedSeq = %d, want 4", got)
	}
	want := contextstore.Snapshot{
		Citizen: contextstore.Citizen{ID: "A", CreatedSeq: 1, Version: 2, CreatedAt: At(1), UpdatedAt: At(2)},
		Links:   []contextstore.Link{link(keyA, claimed, 1), odd, link(keyPhone, verified, 1)},
		Cases: []contextstore.Case{{
			Reference: "DOS-1", Topic: "housing.benefit", Status: interactionv1.CaseStatus_CASE_STATUS_SUBMITTED,
			OpenedAt: At(1), UpdatedAt: At(1), UpdatedSeq: 1,
		}},
		Recent: []contextstore.Entry{
			entry(t, 2, Interaction(2, "message 2")),
			entry(t, 1, Interaction(1, "message 1")),
		},
		InteractionCount: 2,
	}
	if diff := cmp.Diff(want, snapshot(t, s, "A", 10), Opts); diff != "" {
		t.Errorf("Snapshot mismatch (-want +got):\n%s", diff)
	}
	wantOwners := map[string]contextstore.Owner{
		keyA:     {CitizenID: "A", Assurance: claimed},
		keyPhone: {CitizenID: "A", Assurance: verified},
	}
	if diff := cmp.Diff(wantOwners, lookup(t, s, keyA, keyPhone, keyDevice)); diff != "" {
		t.Errorf("Lookup mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"A"}, citizenIDs(t, s)); diff != "" {
		t.Errorf("CitizenIDs mismatch (-want +got):\n%s", diff)
	}
}

func testIdempotent(t *testing.T, open func(t *testing.T) contextstore.Store) {
	s := Fresh(t, open)
	history := History(Epoch)
	ApplyAll(t, s, history...)
	sum, snaps, answers := Checksum(t, s), Snapshots(t, s), Answers(t, s)
	tests := []struct {
		name    string
		batches []contextstore.Batch
	}{
		{"last batch again", history[len(history)-1:]},
		{"whole log again", history},
		{"merge batch twice", []contextstore.Batch{history[2], history[2]}},
		{"empty batch at an older position", []contextstore.Batch{batch(1)}},
	}
	for _, tc := range tests {
		ApplyAll(t, s, tc.batches...)
		if got := Checksum(t, s); got != sum {
			t.Errorf("%s: checksum changed", tc.name)
		}
		if diff := cmp.Diff(snaps, Snapshots(t, s), Opts); diff != "" {
			t.Errorf("%s: snapshots changed (-before +after):\n%s", tc.name, diff)
		}
		if diff := cmp.Diff(answers, Answers(t, s), Opts); diff != "" {
			t.Errorf("%s: answer indexes changed (-before +after):\n%s", tc.name, diff)
		}
	}
}

func testInteractionCount(t *testing.T, open func(t *testing.T) contextstore.Store) {
	s := Fresh(t, open)
	linkOnly := contextstore.Change{Seq: 4, CitizenID: "A", OccurredAt: At(4),
		Links: []contextstore.Link{link(keyA, claimed, 4)}}
	b := batch(4, Change(1, "A"), Change(2, "A"), Change(3, "A"), linkOnly)
	ApplyAll(t, s, b, b)
	tests := []struct {
		recent     int
		wantRecent []uint64
	}{
		{recent: 0, wantRecent: nil},
		{recent: 2, wantRecent: []uint64{3, 2}},
		{recent: 10, wantRecent: []uint64{3, 2, 1}},
	}
	for _, tc := range tests {
		snap := snapshot(t, s, "A", tc.recent)
		if snap.InteractionCount != 3 {
			t.Errorf("recent %d: InteractionCount = %d, want 3", tc.recent, snap.InteractionCount)
		}
		if diff := cmp.Diff(tc.wantRecent, seqs(snap.Recent)); diff != "" {
			t.Errorf("recent %d: Recent seqs mismatch (-want +got):\n%s", tc.recent, diff)
		}
		if snap.Citizen.Version != 4 {
			t.Errorf("Version = %d, want 4 (the link-only change)", snap.Citizen.Version)
		}
	}
}
