package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
	"unisson.dev/services/context/internal/contextstore"
)

// AnswerState is what a store shows of its answer indexes.
type AnswerState struct {
	Divergences []contextstore.Divergence
	// Holders by answer id, for every answer AnswerIDs lists.
	Holders map[string][]contextstore.AnswerHolder
}

// Answers reads the whole answer indexes.
func Answers(t testing.TB, s contextstore.Store) AnswerState {
	t.Helper()
	st := AnswerState{Holders: make(map[string][]contextstore.AnswerHolder)}
	divs, err := s.Divergences(t.Context(), 0, 1000)
	if err != nil {
		t.Fatalf("Divergences: %v", err)
	}
	st.Divergences = divs
	ids, err := s.AnswerIDs(t.Context())
	if err != nil {
		t.Fatalf("AnswerIDs: %v", err)
	}
	for _, id := range ids {
		st.Holders[id] = holders(t, s, id, 0, "", 1000)
	}
	return st
}

func holders(t testing.TB, s contextstore.Store, id string, below uint32, after string, limit int) []contextstore.AnswerHolder {
	t.Helper()
	h, err := s.AnswerHolders(t.Context(), id, below, after, limit)
	if err != nil {
		t.Fatalf("AnswerHolders(%s): %v", id, err)
	}
	return h
}

func ledgerHeads(t testing.TB, s contextstore.Store, ids ...string) map[string]contextstore.LedgerHead {
	t.Helper()
	heads, err := s.LedgerHeads(t.Context(), ids)
	if err != nil {
		t.Fatalf("LedgerHeads: %v", err)
	}
	return heads
}

func held(pairs ...any) []contextstore.AnswerHolder {
	var out []contextstore.AnswerHolder
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, contextstore.AnswerHolder{CitizenID: pairs[i].(string), Version: uint32(pairs[i+1].(int))})
	}
	return out
}

func testLedger(t *testing.T, open func(t *testing.T) contextstore.Store) {
	s := Fresh(t, open)
	steps := []struct {
		name   string
		change contextstore.Change
		want   map[string]contextstore.LedgerHead
	}{
		{"first entry", withLedger(Change(1, "A"), "h1"),
			map[string]contextstore.LedgerHead{"A": {Hash: "h1", Seq: 1}}},
		{"citizen without ledger", Change(2, "B"),
			map[string]contextstore.LedgerHead{"A": {Hash: "h1", Seq: 1}}},
		{"change without entry keeps the head", Change(3, "A"),
			map[string]contextstore.LedgerHead{"A": {Hash: "h1", Seq: 1}}},
		{"next entry", withLedger(Change(4, "A"), "h4"),
			map[string]contextstore.LedgerHead{"A": {Hash: "h4", Seq: 4}}},
		{"other citizen", withLedger(Change(5, "B"), "b5"),
			map[string]contextstore.LedgerHead{"A": {Hash: "h4", Seq: 4}, "B": {Hash: "b5", Seq: 5}}},
	}
	var changes []contextstore.Change
	for _, st := range steps {
		changes = append(changes, st.change)
		ApplyAll(t, s, batch(st.change.Seq, st.change))
		if diff := cmp.Diff(st.want, ledgerHeads(t, s, "A", "B", "nobody")); diff != "" {
			t.Errorf("%s: LedgerHeads mismatch (-want +got):\n%s", st.name, diff)
		}
	}
	ApplyAll(t, s, batch(5, changes...))
	want := steps[len(steps)-1].want
	if diff := cmp.Diff(want, ledgerHeads(t, s, "A", "B")); diff != "" {
		t.Errorf("applied again: LedgerHeads mismatch (-want +got):\n%s", diff)
	}
	c := snapshot(t, s, "A", 0).Citizen
	if c.LedgerHead != "h4" || c.LedgerSeq != 4 {
		t.Errorf("Snapshot ledger head = %q at %d, want h4 at 4", c.LedgerHead, c.LedgerSeq)
	}
	if got := ledgerHeads(t, s); len(got) != 0 {
		t.Errorf("LedgerHeads() = %v, want empty", got)
	}
}

// testLastAnswer moves citizens between answers' holder sets.
func testLastAnswer(t *testing.T, open func(t *testing.T) contextstore.Store) {
	s := Fresh(t, open)
	web := interactionv1.Channel_CHANNEL_WEB
	steps := []struct {
		name   string
		change contextstore.Change
		want   map[string][]contextstore.AnswerHolder
	}{
		{"first answer", withAnswer(Change(1, "A"), topicAid, answerElig, 1, 0, web),
			map[string][]contextstore.AnswerHolder{answerElig: held("A", 1)}},
		{"another citizen", withAnswer(Change(2, "B"), topicAid, answerElig, 2, 0, web),
			map[string][]contextstore.AnswerHolder{answerElig: held("A", 1, "B", 2)}},
		{"same answer on another topic", withAnswer(Change(3, "A"), topicTax, answerElig, 1, 0, web),
			map[string][]contextstore.AnswerHolder{answerElig: held("A", 1, "B", 2)}},
		{"moves one topic, still held on the other", withAnswer(Change(4, "A"), topicAid, answerDocs, 1, 0, web),
			map[string][]contextstore.AnswerHolder{answerElig: held("A", 1, "B", 2), answerDocs: held("A", 1)}},
		{"moves the other topic", withAnswer(Change(5, "A"), topicTax, answerDocs, 1, 0, web),
			map[string][]contextstore.AnswerHolder{answerElig: held("B", 2), answerDocs: held("A", 1)}},
		{"new version", withAnswer(Change(6, "B"), topicAid, answerElig, 3, 0, web),
			map[string][]contextstore.AnswerHolder{answerElig: held("B", 3), answerDocs: held("A", 1)}},
		{"last holder leaves", withAnswer(Change(7, "B"), topicAid, answerDocs, 2, 0, web),
			map[string][]contextstore.AnswerHolder{answerDocs: held("A", 1, "B", 2)}},
	}
	var changes []contextstore.Change
	for _, st := range steps {
		changes = append(changes, st.change)
		ApplyAll(t, s, batch(st.change.Seq, st.change))
		if diff := cmp.Diff(st.want, Answers(t, s).Holders, Opts); diff != "" {
			t.Errorf("%s: holders mismatch (-want +got):\n%s", st.name, diff)
		}
	}
	ApplyAll(t, s, batch(7, changes...))
	if diff := cmp.Diff(steps[len(steps)-1].want, Answers(t, s).Holders, Opts); diff != "" {
		t.Errorf("applied again: holders mismatch (-want +got):\n%s", diff)
	}
}

func testDivergence(t *testing.T, open func(t *testing.T) contextstore.Store) {
	s := Fresh(t, open)
	email, phone := interactionv1.Channel_CHANNEL_EMAIL, interactionv1.Channel_CHANNEL_PHONE
	b := batch(7,
		withAnswer(Change(1, "A"), topicAid, answerElig, 1, 10, email),
		// The same answer on another channel is no divergence.
		withAnswer(Change(2, "A"), topicAid, answerElig, 1, 10, phone),
		withAnswer(Change(3, "A"), topicAid, answerDocs, 1, 10, phone),
		// Another context version, another topic, another citizen.
		withAnswer(Change(4, "A"), topicAid, answerElig, 2, 11, email),
		withAnswer(Change(5, "A"), topicTax, answerDocs, 1, 10, email),
		withAnswer(Change(6, "B"), topicAid, answerDocs, 1, 10, email),
		// Another version of the first answer diverges from it.
		withAnswer(Change(7, "A"), topicAid, answerElig, 2, 10, interactionv1.Channel_CHANNEL_COUNTER),
	)
	ApplyAll(t, s, b, b)
	want := []contextstore.Divergence{
		{Seq: 3, CitizenID: "A", Topic: topicAid, ContextVersion: 10,
			First: "aid-eligibility@1 on email", Second: "aid-documents@1 on phone"},
		{Seq: 7, CitizenID: "A", Topic: topicAid, ContextVersion: 10,
			First: "aid-eligibility@1 on email", Second: "aid-eligibility@2 on counter"},
	}
	tests := []struct {
		after uint64
		limit int
		want  []contextstore.Divergence
	}{
		{0, 10, want},
		{0, 1, want[:1]},
		{2, 10, want},
		{3, 10, want[1:]},
		{6, 1, want[1:]},
		{7, 10, nil},
		{0, 0, nil},
	}
	for _, tc := range tests {
		got, err := s.Divergences(t.Context(), tc.after, tc.limit)
		if err != nil {
			t.Fatalf("Divergences: %v", err)
		}
		if diff := cmp.Diff(tc.want, got, Opts); diff != "" {
			t.Errorf("Divergences(%d, %d) mismatch (-want +got):\n%s", tc.after, tc.limit, diff)
		}
	}
}
