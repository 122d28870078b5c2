package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
	"unisson.dev/services/context/internal/contextstore"
)

// testSeqGuard: a change at or below the citizen's version was applied
// already and is skipped whole, even when its content differs, as when a
// batch is built again after a failure from a store that holds part of it.
func testSeqGuard(t *testing.T, open func(t *testing.T) contextstore.Store) {
	s := Fresh(t, open)
	email := interactionv1.Channel_CHANNEL_EMAIL
	first := withLedger(withAnswer(withCase(withLinks(Change(1, "A"), link(keyA, claimed, 1)),
		"DOS-1", interactionv1.CaseStatus_CASE_STATUS_SUBMITTED), topicAid, answerElig, 1, 0, email), "ledger-1")
	ApplyAll(t, s, batch(2, first, Change(2, "A")))
	sum, snaps, answers := Checksum(t, s), Snapshots(t, s), Answers(t, s)
	heads := ledgerHeads(t, s, "A")

	// The links are those applied before, as identity resolution makes
	// them: the identifier index lives outside the citizen and an adapter
	// may write it again.
	changed := func(seq uint64) contextstore.Change {
		c := withLedger(withAnswer(withCase(withLinks(Change(seq, "A"), link(keyA, claimed, seq)),
			"DOS-1", interactionv1.CaseStatus_CASE_STATUS_REJECTED), topicAid, answerDocs, 3, 0, email), "other")
		c.Interaction.Text = "changed on the way"
		c.Interaction.Topic = "other.topic"
		return c
	}
	tests := []struct {
		name    string
		batches []contextstore.Batch
	}{
		{"same seq, other content", []contextstore.Batch{batch(2, changed(1))}},
		{"version's seq, other content", []contextstore.Batch{batch(2, changed(2))}},
		{"whole batch, other content", []contextstore.Batch{batch(2, changed(1), changed(2))}},
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
		if diff := cmp.Diff(heads, ledgerHeads(t, s, "A")); diff != "" {
			t.Errorf("%s: ledger head changed (-before +after):\n%s", tc.name, diff)
		}
	}
	entries, err := s.After(t.Context(), "A", 0, 10)
	if err != nil {
		t.Fatalf("After: %v", err)
	}
	if diff := cmp.Diff([]uint64{1, 2}, seqs(entries)); diff != "" {
		t.Errorf("timeline seqs mismatch (-want +got):\n%s", diff)
	}
	wantInteractions(t, entries)
}

// testGuardKeepsMerge: a merge change sent again is skipped, but its merge
// is carried out, so that one cut short is finished.
func testGuardKeepsMerge(t *testing.T, open func(t *testing.T) contextstore.Store) {
	s := Fresh(t, open)
	history := History(Epoch)
	ApplyAll(t, s, history[:2]...)
	// The merge change alone first, as if its merge had not happened.
	b := history[2]
	merge := b.Changes[0]
	ApplyAll(t, s, batch(7, func() contextstore.Change { c := merge; c.MergeFrom = nil; return c }()))
	ApplyAll(t, s, b)
	wantSnapshot(t, s, "A", mergedA())
	wantSnapshot(t, s, "B", keptB())
}
