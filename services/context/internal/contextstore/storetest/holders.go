package storetest

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
	"unisson.dev/services/context/internal/contextstore"
)

// testAnswerHolders pages through holders of several versions.
func testAnswerHolders(t *testing.T, open func(t *testing.T) contextstore.Store) {
	s := Fresh(t, open)
	versions := []uint32{1, 2, 3, 1, 3, 2, 1}
	var changes []contextstore.Change
	for i, v := range versions {
		id := fmt.Sprintf("c%d", i+1)
		changes = append(changes, withAnswer(Change(uint64(i+1), id), topicAid, answerElig, v, 0, interactionv1.Channel_CHANNEL_WEB))
	}
	changes = append(changes, withAnswer(Change(8, "c8"), topicAid, answerDocs, 1, 0, interactionv1.Channel_CHANNEL_WEB))
	ApplyAll(t, s, batch(8, changes...))
	tests := []struct {
		name  string
		id    string
		below uint32
		after string
		limit int
		want  []contextstore.AnswerHolder
	}{
		{"any version", answerElig, 0, "", 10, held("c1", 1, "c2", 2, "c3", 3, "c4", 1, "c5", 3, "c6", 2, "c7", 1)},
		{"below 3", answerElig, 3, "", 10, held("c1", 1, "c2", 2, "c4", 1, "c6", 2, "c7", 1)},
		{"below 2", answerElig, 2, "", 10, held("c1", 1, "c4", 1, "c7", 1)},
		{"below 1", answerElig, 1, "", 10, nil},
		{"above every version", answerElig, 9, "", 10, held("c1", 1, "c2", 2, "c3", 3, "c4", 1, "c5", 3, "c6", 2, "c7", 1)},
		{"page after c2", answerElig, 3, "c2", 2, held("c4", 1, "c6", 2)},
		{"after a non-holder", answerElig, 0, "c35", 2, held("c4", 1, "c5", 3)},
		{"after the last", answerElig, 0, "c7", 10, nil},
		{"limit 0", answerElig, 0, "", 0, nil},
		{"other answer", answerDocs, 0, "", 10, held("c8", 1)},
		{"unknown answer", "nope", 0, "", 10, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := holders(t, s, tc.id, tc.below, tc.after, tc.limit)
			if diff := cmp.Diff(tc.want, got, Opts); diff != "" {
				t.Errorf("AnswerHolders mismatch (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("paging", func(t *testing.T) {
		var all []contextstore.AnswerHolder
		after := ""
		for range 10 {
			page := holders(t, s, answerElig, 3, after, 2)
			if len(page) == 0 {
				break
			}
			all = append(all, page...)
			after = page[len(page)-1].CitizenID
		}
		if diff := cmp.Diff(held("c1", 1, "c2", 2, "c4", 1, "c6", 2, "c7", 1), all); diff != "" {
			t.Errorf("paged holders mismatch (-want +got):\n%s", diff)
		}
	})
}

// testHistoryAnswers checks History's answers and ledger, merge included:
// each citizen keeps its own.
func testHistoryAnswers(t *testing.T, open func(t *testing.T) contextstore.Store) {
	s := Fresh(t, open)
	history := History(Epoch)
	want := AnswerState{
		Divergences: HistoryDivergences(),
		Holders: map[string][]contextstore.AnswerHolder{
			answerElig: held("B", 1),
			answerDocs: held("A", 2),
		},
	}
	wantHeads := map[string]contextstore.LedgerHead{
		"A": {Hash: "ledger-8", Seq: 8},
		"B": {Hash: "ledger-3", Seq: 3},
	}
	for _, round := range []string{"applied", "applied again"} {
		ApplyAll(t, s, history...)
		if diff := cmp.Diff(want, Answers(t, s), Opts); diff != "" {
			t.Errorf("%s: answers mismatch (-want +got):\n%s", round, diff)
		}
		if diff := cmp.Diff(wantHeads, ledgerHeads(t, s, "A", "B", "C", "ghost")); diff != "" {
			t.Errorf("%s: LedgerHeads mismatch (-want +got):\n%s", round, diff)
		}
	}
}
