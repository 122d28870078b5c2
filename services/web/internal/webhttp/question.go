package webhttp

import (
	"fmt"
	"net/http"
	"strings"

	"unisson.dev/platform/identifier"
	"unisson.dev/platform/interaction"
	contextv1 "unisson.dev/proto/unisson/context/v1"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
)

// maxQuestionBytes bounds a free-text question, as the context service does.
const maxQuestionBytes = 2000

type questionRequest struct {
	Identifiers      []identifierJSON `json:"identifiers"`
	CitizenID        string           `json:"citizen_id"`
	Topic            string           `json:"topic"`
	Question         string           `json:"question"`
	ConsistencyToken string           `json:"consistency_token"`
}

type factJSON struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type answerView struct {
	Answered         bool       `json:"answered"`
	Reason           string     `json:"reason,omitempty"`
	Topic            string     `json:"topic,omitempty"`
	AnswerID         string     `json:"answer_id,omitempty"`
	AnswerVersion    uint32     `json:"answer_version,omitempty"`
	KnowledgeVersion string     `json:"knowledge_version,omitempty"`
	ContextVersion   uint64     `json:"context_version"`
	Format           string     `json:"format,omitempty"`
	Subject          string     `json:"subject,omitempty"`
	Body             string     `json:"body,omitempty"`
	LegalReferences  []string   `json:"legal_references,omitempty"`
	FactsUsed        []factJSON `json:"facts_used,omitempty"`
	ContentHash      string     `json:"content_hash,omitempty"`
	InteractionID    string     `json:"interaction_id,omitempty"`
	ConsistencyToken string     `json:"consistency_token,omitempty"`
}

// postQuestion answers a citizen's question with the official answer for
// their context, rendered for the web; the context service records it in
// the citizen's answer ledger.
func (s *server) postQuestion(w http.ResponseWriter, r *http.Request) {
	var req questionRequest
	key, ok := s.decode(w, r, &req)
	if !ok {
		return
	}
	if key != "" {
		writeError(w, invalid(fieldError{Field: IdempotencyKeyHeader, Reason: "is not supported on questions: each question is answered and recorded"}))
		return
	}
	areq, errs := answerRequest(req)
	if len(errs) > 0 {
		writeError(w, invalid(errs...))
		return
	}
	ctx, cancel := s.readContext(r)
	defer cancel()
	resp, err := s.context.Answer(ctx, areq)
	if err != nil {
		writeError(w, s.readError(r, err))
		return
	}
	writeJSON(w, http.StatusOK, newAnswerView(resp))
}

// answerRequest checks the question and names the citizen by id or by the
// first identifier.
func answerRequest(req questionRequest) (*contextv1.AnswerRequest, []fieldError) {
	var errs []fieldError
	var ids []*interactionv1.Identifier
	out := &contextv1.AnswerRequest{
		Channel: interactionv1.Channel_CHANNEL_WEB, Topic: req.Topic, Question: strings.TrimSpace(req.Question),
		ConsistencyToken: req.ConsistencyToken,
		Actor:            &interactionv1.Actor{Role: interactionv1.ActorRole_ACTOR_ROLE_CITIZEN},
	}
	if (out.Topic == "") == (out.Question == "") {
		errs = append(errs, fieldError{Field: "question", Reason: "give a question or a topic, not both"})
	}
	if len(out.Question) > maxQuestionBytes {
		errs = append(errs, fieldError{Field: "question", Reason: fmt.Sprintf("must be at most %d bytes", maxQuestionBytes)})
	}
	if len(out.Topic) > interaction.MaxTopicLength {
		errs = append(errs, fieldError{Field: "topic", Reason: "is too long"})
	}
	for i, id := range req.Identifiers {
		t, ok := identifier.ParseTypeName(id.Type)
		field := fmt.Sprintf("identifiers[%d]", i)
		if !ok || t == interactionv1.IdentifierType_IDENTIFIER_TYPE_IDP_SUBJECT || t == interactionv1.IdentifierType_IDENTIFIER_TYPE_DEVICE_ID {
			errs = append(errs, fieldError{Field: field + ".type", Reason: "must be email, phone or case"})
			continue
		}
		norm, err := identifier.Normalize(t, id.Value)
		if err != nil {
			errs = append(errs, fieldError{Field: field + ".value", Reason: strings.TrimPrefix(err.Error(), identifier.ErrInvalid.Error()+": ")})
			continue
		}
		ids = append(ids, &interactionv1.Identifier{Type: t, Value: norm, Assurance: interactionv1.Assurance_ASSURANCE_CLAIMED})
	}
	switch {
	case req.CitizenID != "":
		errs = append(errs, fieldError{Field: "citizen_id", Reason: "is accepted only from a signed-in citizen; send identifiers instead"})
	case len(ids) > 0:
		// The first identifier names the citizen; the web has verified none.
		out.Citizen = &contextv1.CitizenRef{Ref: &contextv1.CitizenRef_Identifier{Identifier: ids[0]}}
	case len(errs) == 0:
		errs = append(errs, fieldError{Field: "identifiers", Reason: "give at least one identifier"})
	}
	return out, errs
}

func newAnswerView(resp *contextv1.AnswerResponse) answerView {
	v := answerView{
		Answered: resp.GetAnswered(), Reason: resp.GetReason(), Topic: resp.GetTopic(),
		AnswerID: resp.GetAnswerId(), AnswerVersion: resp.GetAnswerVersion(), KnowledgeVersion: resp.GetKnowledgeVersion(),
		ContextVersion: resp.GetContextVersion(), Format: resp.GetRendering().GetFormat(),
		Subject: resp.GetRendering().GetSubject(), Body: resp.GetRendering().GetBody(),
		LegalReferences: resp.GetLegalReferences(), ContentHash: resp.GetContentHash(),
		InteractionID: resp.GetInteractionId(), ConsistencyToken: resp.GetConsistencyToken(),
	}
	for _, f := range resp.GetFactsUsed() {
		v.FactsUsed = append(v.FactsUsed, factJSON{Name: f.GetName(), Value: f.GetValue()})
	}
	return v
}
