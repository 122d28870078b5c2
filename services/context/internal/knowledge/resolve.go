package knowledge

import (
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
	// matching), for the caller to log.
	Errors []*EvalError
}

// EvalError is a condition that failed to evaluate. Its message names the
// answer only, so it can be logged; Err, the expression language's own
// message, may quote fact values and must not be.
type EvalError struct {
	AnswerID string
	Err      error
}

// Error names the answer whose condition failed.
func (e *EvalError) Error() string { return "answer " + e.AnswerID + ": condition failed to evaluate" }

// Unwrap returns the expression language's error.
func (e *EvalError) Unwrap() error { return e.Err }

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
			res.Errors = append(res.Errors, &EvalError{AnswerID: a.ID, Err: err})
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
