package knowledge_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	answerv1 "unisson.dev/proto/unisson/answer/v1"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"

	"unisson.dev/services/context/internal/knowledge"
)

func loadGood(t *testing.T) *knowledge.Base {
	t.Helper()
	b, err := knowledge.LoadDir("testdata/good")
	if err != nil {
		t.Fatalf("load testdata/good:\n%v", err)
	}
	return b
}

func benefitCase(ref, status string) *answerv1.CaseFact {
	return &answerv1.CaseFact{Reference: ref, Topic: "benefit", Status: status}
}

func qf(v string) map[string]*answerv1.ProfileFact {
	return map[string]*answerv1.ProfileFact{"quotient_familial": {Value: v, Source: "declared"}}
}

func TestResolve(t *testing.T) {
	t.Parallel()
	b := loadGood(t)
	tests := []struct {
		name   string
		facts  *answerv1.CitizenFacts
		topic  string
		at     time.Time
		want   string
		reason string
		facts2 []*answerv1.Fact
	}{
		{name: "verified with a case", topic: "benefit", at: at,
			facts: &answerv1.CitizenFacts{Verified: true, Cases: []*answerv1.CaseFact{benefitCase("B-1", "in_review")}},
			want:  "benefit-status", reason: knowledge.ReasonMatched,
			facts2: []*answerv1.Fact{{Name: "case.B-1.status", Value: "in_review"}, {Name: "case.count", Value: "1"}}},
		{name: "claimed identity with a case", topic: "benefit", at: at,
			facts:  &answerv1.CitizenFacts{Cases: []*answerv1.CaseFact{benefitCase("B-1", "in_review")}},
			reason: knowledge.ReasonVerificationRequired},
		{name: "claimed identity, lower answer applies", topic: "benefit", at: at,
			facts: &answerv1.CitizenFacts{Cases: []*answerv1.CaseFact{benefitCase("B-1", "submitted")}, Profile: qf("650"), InteractionCount: 2},
			want:  "benefit-low-income", reason: knowledge.ReasonMatched,
			facts2: []*answerv1.Fact{{Name: "citizen.interaction_count", Value: "2"}, {Name: "profile.quotient_familial", Value: "650"}}},
		{name: "no case", topic: "benefit", at: at, facts: &answerv1.CitizenFacts{},
			want: "benefit-general", reason: knowledge.ReasonMatched,
			facts2: []*answerv1.Fact{{Name: "case.count", Value: "0"}}},
		{name: "nil facts", topic: "benefit", at: at, want: "benefit-general", reason: knowledge.ReasonMatched,
			facts2: []*answerv1.Fact{{Name: "case.count", Value: "0"}}},
		{name: "evaluation error does not match", topic: "benefit", at: at,
			facts:  &answerv1.CitizenFacts{Cases: []*answerv1.CaseFact{benefitCase("B-1", "accepted")}, Profile: qf("beaucoup"), InteractionCount: 1},
			reason: knowledge.ReasonNoOfficialAnswer},
		{name: "out of validity", topic: "benefit", at: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
			facts:  &answerv1.CitizenFacts{Cases: []*answerv1.CaseFact{benefitCase("B-1", "accepted")}, Profile: qf("650"), InteractionCount: 1},
			reason: knowledge.ReasonNoOfficialAnswer},
		{name: "unknown topic", topic: "nope", at: at, facts: &answerv1.CitizenFacts{}, reason: knowledge.ReasonNoOfficialAnswer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := b.Resolve(tt.facts, tt.topic, tt.at)
			if got := answerID(r); got != tt.want || r.Reason != tt.reason {
				t.Fatalf("Resolve = %q (%s), want %q (%s); errors %v", got, r.Reason, tt.want, tt.reason, r.Errors)
			}
			if diff := cmp.Diff(tt.facts2, r.FactsUsed, protocmp.Transform()); diff != "" {
				t.Errorf("FactsUsed (-want +got):\n%s", diff)
			}
		})
	}
}

// TestValidityBounds checks valid_from inclusive and valid_until exclusive,
// at midnight in Paris.
func TestValidityBounds(t *testing.T) {
	t.Parallel()
	a, _ := loadGood(t).Answer("benefit-low-income")
	paris, _ := time.LoadLocation("Europe/Paris")
	for _, tt := range []struct {
		at   time.Time
		want bool
	}{
		{time.Date(2025, 12, 31, 23, 59, 59, 0, paris), false},
		{time.Date(2026, 1, 1, 0, 0, 0, 0, paris), true},
		{time.Date(2026, 12, 31, 23, 59, 59, 0, paris), true},
		{time.Date(2027, 1, 1, 0, 0, 0, 0, paris), false},
	} {
		if got := a.ValidAt(tt.at); got != tt.want {
			t.Errorf("ValidAt(%v) = %v, want %v", tt.at, got, tt.want)
		}
	}
}

func TestRender(t *testing.T) {
	t.Parallel()
	a, _ := loadGood(t).Answer("benefit-status")
	old, recent := timestamppb.New(at.Add(-48*time.Hour)), timestamppb.New(at)
	facts := &answerv1.CitizenFacts{Verified: true, Cases: []*answerv1.CaseFact{
		{Reference: "B-<1>", Topic: "benefit", Status: "in_review", UpdatedAt: old},
		{Reference: "B-2", Topic: "benefit", Status: "accepted", UpdatedAt: recent},
		{Reference: "X-9", Topic: "other", Status: "submitted", UpdatedAt: recent},
	}}
	tests := []struct {
		ch                    interactionv1.Channel
		format, subject, body string
	}{
		{interactionv1.Channel_CHANNEL_WEB, "html", "Dossier B-<1>", "<p>Votre dossier <b>B-&lt;1&gt;</b> est en cours d&#39;instruction.</p>"},
		{interactionv1.Channel_CHANNEL_EMAIL, "text", "Dossier B-<1>", "Votre dossier B-<1> est en cours d'instruction."},
		{interactionv1.Channel_CHANNEL_PHONE, "voice", "", "Votre dossier B-<1> est en cours d'instruction."},
		{interactionv1.Channel_CHANNEL_COUNTER, "text", "", "Dossier B-<1>, statut en cours d'instruction."},
		{interactionv1.Channel_CHANNEL_MOBILE, "text", "", "Dossier B-<1> en cours d'instruction."},
	}
	for _, tt := range tests {
		t.Run(tt.ch.String(), func(t *testing.T) {
			t.Parallel()
			f, s, body := a.Render(tt.ch, facts)
			if f != tt.format || s != tt.subject || body != tt.body {
				t.Errorf("Render = (%q, %q, %q), want (%q, %q, %q)", f, s, body, tt.format, tt.subject, tt.body)
			}
		})
	}
}

// TestEvalErrorsHideFacts: a failed condition is reported by answer id,
// without the fact values the expression language quotes.
func TestEvalErrorsHideFacts(t *testing.T) {
	t.Parallel()
	facts := &answerv1.CitizenFacts{Profile: qf("secret-value"), InteractionCount: 1,
		Cases: []*answerv1.CaseFact{benefitCase("B-1", "accepted")}}
	r := loadGood(t).Resolve(facts, "benefit", at)
	if len(r.Errors) != 1 || r.Errors[0].AnswerID != "benefit-low-income" {
		t.Fatalf("Errors = %v, want one for benefit-low-income", r.Errors)
	}
	if msg := r.Errors[0].Error(); strings.Contains(msg, "secret") || r.Errors[0].Unwrap() == nil {
		t.Errorf("error %q quotes a fact or lost its cause", msg)
	}
}
