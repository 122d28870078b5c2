package projection_test

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	answerv1 "unisson.dev/proto/unisson/answer/v1"
	v1 "unisson.dev/proto/unisson/interaction/v1"

	"unisson.dev/services/context/internal/ledger"
)

// TestStoredEntries: what the store keeps, and what watchers are told,
// decodes to the interaction as the log has it, identifiers normalised,
// with the citizen it was resolved to and, for an answer, its ledger
// hashes. An interaction that needed no rewriting is kept as the log's
// bytes, not encoded again.
func TestStoredEntries(t *testing.T) {
	phone := func(v string) *v1.Identifier {
		return id(v1.IdentifierType_IDENTIFIER_TYPE_PHONE, v, v1.Assurance_ASSURANCE_CLAIMED)
	}
	first := ix(1, claimed(a), phone("+33612345678"))
	typed := ix(2, claimed("A@Example.FR"), phone("06 12 34 56 78"))
	citizen := citizenOf([]*v1.Interaction{first}, 1)
	known := ix(3, claimed(b))
	known.Subject.CitizenId = citizen
	answer := ix(4)
	answer.Kind, answer.Direction = v1.Kind_KIND_ANSWER_GIVEN, v1.Direction_DIRECTION_OUTBOUND
	answer.Subject = &v1.Subject{CitizenId: citizen}
	answer.Answer = &answerv1.AnswerGiven{AnswerId: "aid-eligibility", AnswerVersion: 2, ContentHash: "abc"}

	want := func(x *v1.Interaction, edit func(*v1.Interaction)) *v1.Interaction {
		w := proto.CloneOf(x)
		w.Subject.CitizenId = citizen
		if edit != nil {
			edit(w)
		}
		return w
	}
	tests := []struct {
		name string
		in   *v1.Interaction
		want *v1.Interaction
		// verbatim: the entry starts with the log message's bytes.
		verbatim bool
	}{
		{name: "identifiers", in: first, want: want(first, nil), verbatim: true},
		{
			name: "identifiers as typed", in: typed,
			want: want(typed, func(w *v1.Interaction) {
				w.Subject.Identifiers = []*v1.Identifier{claimed(a), phone("+33612345678")}
			}),
		},
		{name: "a citizen id already", in: known, want: want(known, nil), verbatim: true},
		{
			name: "an answer", in: answer,
			want: want(answer, func(w *v1.Interaction) {
				if _, err := ledger.Chain(ledger.Genesis, w); err != nil {
					t.Fatal(err)
				}
			}),
		},
	}
	r := newRig(t)
	msgs := messages(t, []*v1.Interaction{first, typed, known, answer})
	r.apply(t, msgs...)
	applied := r.seen.all()
	if len(applied) != len(tests) {
		t.Fatalf("%d interactions applied, want %d", len(applied), len(tests))
	}
	stored, err := r.store.After(t.Context(), citizen, 0, 10)
	if err != nil || len(stored) != len(tests) {
		t.Fatalf("After = %d entries, %v; want %d", len(stored), err, len(tests))
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !bytes.Equal(stored[i].Data, applied[i].Entry.Data) {
				t.Error("the store and the watchers got different entries")
			}
			got, err := stored[i].Interaction()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, protocmp.Transform()); diff != "" {
				t.Errorf("stored interaction (-want +got):\n%s", diff)
			}
			if v := bytes.HasPrefix(stored[i].Data, msgs[i].Data); v != tt.verbatim {
				t.Errorf("entry starts with the log message: %v, want %v", v, tt.verbatim)
			}
		})
	}
}
