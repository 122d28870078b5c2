package hub_test

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	contextv1 "unisson.dev/proto/unisson/context/v1"
	v1 "unisson.dev/proto/unisson/interaction/v1"
)

const housingQuestion = `{"identifiers":[{"type":"email","value":"%s"}],"question":"Où en est ma demande d'aide au logement (APL) ?"}`

func ask(t *testing.T, base, email string) webAnswer {
	t.Helper()
	var a webAnswer
	do(t, "POST", base+"/v1/questions", strings.Replace(housingQuestion, "%s", email, 1), 200, &a)
	return a
}

// The same citizen asks the same thing on the web and by phone: the same
// answer, version and content hash, a different rendering, and two ledger
// entries whose chain verifies.
func TestSameAnswerOnWebAndPhone(t *testing.T) {
	h := startHub(t, hubOpts{knowledgeDir: copyKnowledge(t)})
	base := "http://" + h.Addrs().HTTP
	web := ask(t, base, "jeanne@example.fr")
	if !web.Answered || web.Topic != "housing.benefit" || web.Format != "html" {
		t.Fatalf("web answer: %+v", web)
	}
	client := grpcClient(t, h)
	ctx := context.Background()
	phone, err := client.Answer(ctx, &contextv1.AnswerRequest{
		Citizen: emailRef("jeanne@example.fr"), Topic: "housing.benefit",
		Channel: v1.Channel_CHANNEL_PHONE, ConsistencyToken: web.ConsistencyToken,
	})
	if err != nil {
		t.Fatalf("phone Answer: %v", err)
	}
	if phone.GetAnswerId() != web.AnswerID || phone.GetAnswerVersion() != web.AnswerVersion ||
		phone.GetContentHash() != web.ContentHash || phone.GetContextVersion() != web.ContextVersion {
		t.Fatalf("phone %s@%d %s ctx %d, web %s@%d %s ctx %d", phone.GetAnswerId(), phone.GetAnswerVersion(),
			phone.GetContentHash(), phone.GetContextVersion(), web.AnswerID, web.AnswerVersion, web.ContentHash, web.ContextVersion)
	}
	if phone.GetRendering().GetFormat() != "voice" || phone.GetRendering().GetBody() == web.Body {
		t.Fatalf("phone rendering %q is not the voice script", phone.GetRendering().GetFormat())
	}
	v, err := client.VerifyLedger(ctx, &contextv1.VerifyLedgerRequest{Citizen: emailRef("jeanne@example.fr"), ConsistencyToken: phone.GetConsistencyToken()})
	if err != nil {
		t.Fatal(err)
	}
	if !v.GetValid() || v.GetEntries() != 2 || v.GetHeadHash() == "" {
		t.Fatalf("ledger: %+v", v)
	}
	tl, err := client.ListTimeline(ctx, &contextv1.ListTimelineRequest{Citizen: emailRef("jeanne@example.fr"),
		ConsistencyToken: phone.GetConsistencyToken(), Kinds: []v1.Kind{v1.Kind_KIND_ANSWER_GIVEN}})
	if err != nil {
		t.Fatal(err)
	}
	got := tl.GetEntries()
	if len(got) != 2 || got[0].GetInteraction().GetAnswer().GetPreviousEntryHash() != got[1].GetInteraction().GetAnswer().GetEntryHash() {
		t.Fatalf("ledger entries on the timeline do not chain: %v", got)
	}
}

// A form submission that changes the case status changes the next answer,
// read with the form's token: no sleep.
func TestCaseStatusChangesTheAnswer(t *testing.T) {
	h := startHub(t, hubOpts{knowledgeDir: copyKnowledge(t), natsListen: true})
	w := newLogWriter(t, h)
	client := grpcClient(t, h)
	const subject = "https://idp.example|jeanne-42"
	answer := func(token string) *contextv1.AnswerResponse {
		t.Helper()
		a, err := client.Answer(context.Background(), &contextv1.AnswerRequest{
			Citizen: idpRef(subject), Topic: "housing.benefit", Channel: v1.Channel_CHANNEL_COUNTER, ConsistencyToken: token,
		})
		if err != nil {
			t.Fatalf("Answer: %v", err)
		}
		return a
	}
	first := answer(w.form(t, subject, "CAF-2026-000123", v1.CaseStatus_CASE_STATUS_SUBMITTED))
	if first.GetAnswerId() != "housing-benefit-submitted" {
		t.Fatalf("after submission: %s (%s)", first.GetAnswerId(), first.GetReason())
	}
	second := answer(w.form(t, subject, "CAF-2026-000123", v1.CaseStatus_CASE_STATUS_ACCEPTED))
	if second.GetAnswerId() != "housing-benefit-accepted" || second.GetContextVersion() <= first.GetContextVersion() {
		t.Fatalf("after acceptance: %s at context %d", second.GetAnswerId(), second.GetContextVersion())
	}
	if !hasFact(second, "case.CAF-2026-000123.status", "accepted") {
		t.Fatalf("facts used %v do not show the accepted case", second.GetFactsUsed())
	}
}

func hasFact(a *contextv1.AnswerResponse, name, value string) bool {
	for _, f := range a.GetFactsUsed() {
		if f.GetName() == name && f.GetValue() == value {
			return true
		}
	}
	return false
}

// A citizen known only by a claimed e-mail gets no answer that discloses
// their case.
func TestClaimedIdentityGetsNoPersonalDetails(t *testing.T) {
	h := startHub(t, hubOpts{knowledgeDir: copyKnowledge(t)})
	base := "http://" + h.Addrs().HTTP
	var rec written
	do(t, "POST", base+"/v1/forms", `{"identifiers":[{"type":"email","value":"paul@example.fr"}],"form_id":"aide-logement",
		"case_reference":"CAF-2026-000999","topic":"housing.benefit","case_status":"in_review"}`, 202, &rec)
	var a webAnswer
	do(t, "POST", base+"/v1/questions", `{"identifiers":[{"type":"email","value":"paul@example.fr"}],"topic":"housing.benefit",
		"consistency_token":"`+rec.ConsistencyToken+`"}`, 200, &a)
	if a.Answered || a.Reason != "verification_required" || strings.Contains(a.Body, "CAF-2026-000999") {
		t.Fatalf("claimed identity got %+v", a)
	}
}

// Whoever asks must be verified to get an answer that discloses a case,
// even when the citizen's own record is verified; and asking never links
// the asker's identifiers to the citizen asked about.
func TestAskingDisclosesNothingToAClaimedRequester(t *testing.T) {
	h := startHub(t, hubOpts{knowledgeDir: copyKnowledge(t), natsListen: true})
	w := newLogWriter(t, h)
	client := grpcClient(t, h)
	const subject = "https://idp.example|anne-7"
	token := w.form(t, subject, "CAF-2026-000777", v1.CaseStatus_CASE_STATUS_IN_REVIEW)
	verified, err := client.Answer(context.Background(), &contextv1.AnswerRequest{
		Citizen: idpRef(subject), Topic: "housing.benefit", Channel: v1.Channel_CHANNEL_WEB, ConsistencyToken: token})
	if err != nil || verified.GetAnswerId() != "housing-benefit-in-review" {
		t.Fatalf("verified requester: %v %v", verified, err)
	}
	var a webAnswer
	do(t, "POST", "http://"+h.Addrs().HTTP+"/v1/questions", `{"identifiers":[{"type":"case","value":"CAF-2026-000777"},
		{"type":"email","value":"mallory@example.fr"}],"topic":"housing.benefit","consistency_token":"`+verified.GetConsistencyToken()+`"}`, 200, &a)
	if a.Answered || a.Reason != "verification_required" || strings.Contains(a.Body, "CAF-2026-000777") {
		t.Fatalf("claimed requester got %+v", a)
	}
	_, err = client.GetContext(context.Background(), &contextv1.GetContextRequest{Citizen: emailRef("mallory@example.fr")})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("the asker's e-mail was linked to someone: %v", err)
	}
}
