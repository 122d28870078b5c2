package knowledge

import (
	"fmt"
	"time"

	answerv1 "unisson.dev/proto/unisson/answer/v1"
)

// Reasons of a resolution.
const (
	// ReasonMatched: an answer applies.
	ReasonMatched = "matched"
	// ReasonNoOfficialAnswer: no answer of the topic applies (or the topic
	// is unknown); the question goes to an agent.
	ReasonNoOfficialAnswer = "no_official_answer"
	// ReasonVerificationRequired: an answer applies but discloses personal
	// details and the citizen's identity is only claimed.
	ReasonVerificationRequired = "verification_required"
)

// Resolution is the answer chosen for a situation and why.
type Resolution struct {
	Answer *Answer // nil unless Reason is ReasonMatched
	Reason string
	// FactsUsed are the facts the winning condition reads, sorted by name.
	FactsUsed []*answerv1.Fact
	// Errors are conditions that failed to evaluate (counted as not
	// matching), for the caller to log; they hold no personal data.
	Errors []error
}

// Resolve picks the official answer for a citizen and a topic at a time:
// of the answers of the topic valid at `at`, by priority descending then
// id, the first whose condition holds. An answer requiring a verified
// identity is skipped when the identity is only claimed.
func (b *Base) Resolve(facts *answerv1.CitizenFacts, topic string, at time.Time) Resolution {
	if facts == nil {
		facts = &answerv1.CitizenFacts{}
	}
	res := Resolution{Reason: ReasonNoOfficialAnswer}
	needsVerification := false
	for _, a := range b.byTopic[topic] {
		if !a.ValidAt(at) {
			continue
		}
		ok, err := a.cond.eval(facts)
		if err != nil {
			res.Errors = append(res.Errors, fmt.Errorf("answer %s: %w", a.ID, err))
		}
		if !ok {
			continue
		}
		if a.RequiresVerifiedIdentity && !facts.GetVerified() {
			needsVerification = true
			continue
		}
		res.Answer, res.Reason, res.FactsUsed = a, ReasonMatched, a.factsUsed(facts)
		return res
	}
	if needsVerification {
		res.Reason = ReasonVerificationRequired
	}
	return res
}
