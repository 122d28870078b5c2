package knowledge_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	answerv1 "unisson.dev/proto/unisson/answer/v1"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"

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
	if diff := cmp.Diff(want, b.Topics()); diff != "" {
		t.Errorf("Topics() (-want +got):\n%s", diff)
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

// TestExampleRenders renders every example answer on every channel: no
// placeholder is left and nothing is empty.
func TestExampleRenders(t *testing.T) {
	t.Parallel()
	b := loadExample(t)
	for _, a := range b.Answers() {
		facts := &answerv1.CitizenFacts{Verified: true,
			Cases: []*answerv1.CaseFact{{Reference: "REF-42", Topic: a.Topic, Status: "accepted"}}}
		for ch := range interactionv1.Channel_name {
			c := interactionv1.Channel(ch)
			format, subject, body := a.Render(c, facts)
			hasSubject := c == interactionv1.Channel_CHANNEL_WEB || c == interactionv1.Channel_CHANNEL_EMAIL
			if format == "" || body == "" || (subject != "") != hasSubject || strings.Contains(subject+body, "{{") {
				t.Errorf("%s on %s: (%q, %q, %q)", a.ID, c, format, subject, body)
			}
		}
	}
}

// TestExampleOtherTopics resolves the other topics of the example base.
func TestExampleOtherTopics(t *testing.T) {
	t.Parallel()
	b := loadExample(t)
	profile := func(k, v string) map[string]*answerv1.ProfileFact {
		return map[string]*answerv1.ProfileFact{k: {Value: v, Source: "declared"}}
	}
	idCard := []*answerv1.CaseFact{{Reference: "CNI-2026-77", Topic: "id.card", Status: "accepted"}}
	tests := []struct {
		name, topic string
		facts       *answerv1.CitizenFacts
		want        string
		used        string // one fact that must be reported, "name=value"
	}{
		{"tax", "tax.income", &answerv1.CitizenFacts{}, "tax-income-payment", ""},
		{"tax difficulties", "tax.income", &answerv1.CitizenFacts{Profile: profile("difficultes_paiement", "oui")},
			"tax-income-payment-difficulties", "profile.difficultes_paiement=oui"},
		{"one child", "family.allowance", &answerv1.CitizenFacts{Profile: profile("nombre_enfants", "1")},
			"family-allowance-one-child", "profile.nombre_enfants=1"},
		{"three children", "family.allowance", &answerv1.CitizenFacts{Profile: profile("nombre_enfants", "3")},
			"family-allowance-general", ""},
		{"id card ready", "id.card", &answerv1.CitizenFacts{Verified: true, Cases: idCard}, "id-card-ready", "case.CNI-2026-77.status=accepted"},
		{"id card ready, claimed identity", "id.card", &answerv1.CitizenFacts{Cases: idCard}, "", ""},
		{"town hall", "town_hall.appointment", &answerv1.CitizenFacts{}, "town-hall-appointment", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := b.Resolve(tt.facts, tt.topic, at)
			if got := answerID(r); got != tt.want {
				t.Fatalf("Resolve = %q (%s), want %q", got, r.Reason, tt.want)
			}
			var used []string
			for _, f := range r.FactsUsed {
				used = append(used, f.GetName()+"="+f.GetValue())
			}
			if tt.used != "" && !strings.Contains(strings.Join(used, " "), tt.used) {
				t.Errorf("FactsUsed = %v, want %s among them", used, tt.used)
			}
		})
	}
}
