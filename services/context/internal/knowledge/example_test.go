package knowledge_test

import (
	"testing"
	"time"

	answerv1 "unisson.dev/proto/unisson/answer/v1"

	"unisson.dev/services/context/internal/knowledge"
)

// exampleDir is the example knowledge base shipped in deploy/.
const exampleDir = "../../../../deploy/knowledge"

// at is a moment the example answers are valid.
var at = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func loadExample(t *testing.T) *knowledge.Base {
	t.Helper()
	b, err := knowledge.LoadDir(exampleDir)
	if err != nil {
		t.Fatalf("load example base:\n%v", err)
	}
	return b
}

// housingCase is a verified citizen with one housing benefit case.
func housingCase(status string) *answerv1.CitizenFacts {
	return &answerv1.CitizenFacts{
		Verified: true,
		Cases:    []*answerv1.CaseFact{{Reference: "APL-2026-000123", Topic: "housing.benefit", Status: status}},
	}
}

func TestExampleBaseLoads(t *testing.T) {
	t.Parallel()
	b := loadExample(t)
	want := []string{"family.allowance", "housing.benefit", "id.card", "tax.income", "town_hall.appointment"}
	if got := b.Topics(); !equal(got, want) {
		t.Errorf("Topics() = %v, want %v", got, want)
	}
	if len(b.Answers()) < 12 {
		t.Errorf("%d answers, want at least 12", len(b.Answers()))
	}
}

func TestExampleHousingStatuses(t *testing.T) {
	t.Parallel()
	b := loadExample(t)
	tests := []struct {
		name   string
		facts  *answerv1.CitizenFacts
		want   string
		reason string
	}{
		{"no case", &answerv1.CitizenFacts{}, "housing-benefit-general", knowledge.ReasonMatched},
		{"submitted", housingCase("submitted"), "housing-benefit-submitted", knowledge.ReasonMatched},
		{"in review", housingCase("in_review"), "housing-benefit-in-review", knowledge.ReasonMatched},
		{"awaiting documents", housingCase("awaiting_documents"), "housing-benefit-awaiting-documents", knowledge.ReasonMatched},
		{"accepted", housingCase("accepted"), "housing-benefit-accepted", knowledge.ReasonMatched},
		{"rejected", housingCase("rejected"), "housing-benefit-rejected", knowledge.ReasonMatched},
		{"closed", housingCase("closed"), "housing-benefit-closed", knowledge.ReasonMatched},
		{"claimed identity", withVerified(housingCase("in_review"), false), "", knowledge.ReasonVerificationRequired},
		{"open case wins over an old decision", &answerv1.CitizenFacts{Verified: true, Cases: []*answerv1.CaseFact{
			{Reference: "APL-2024-000001", Topic: "housing.benefit", Status: "rejected"},
			{Reference: "APL-2026-000123", Topic: "housing.benefit", Status: "in_review"},
		}}, "housing-benefit-in-review", knowledge.ReasonMatched},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := b.Resolve(tt.facts, "housing.benefit", at)
			if got := answerID(r); got != tt.want || r.Reason != tt.reason {
				t.Errorf("Resolve = %q (%s), want %q (%s)", got, r.Reason, tt.want, tt.reason)
			}
		})
	}
}

func withVerified(f *answerv1.CitizenFacts, v bool) *answerv1.CitizenFacts {
	f.Verified = v
	return f
}

func answerID(r knowledge.Resolution) string {
	if r.Answer == nil {
		return ""
	}
	return r.Answer.ID
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
