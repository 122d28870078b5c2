package knowledge

import (
	"html"
	"slices"

	answerv1 "unisson.dev/proto/unisson/answer/v1"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
)

// Formats of a rendered answer.
const (
	FormatHTML  = "html"
	FormatText  = "text"
	FormatVoice = "voice"
)

// Render gives the answer in the form of a channel, placeholders filled
// from facts: web→web (html), email→email (text), phone→voice (voice),
// counter→counter (text), mobile and any other channel→short (text). The
// subject is empty for channels without one. Values put into the web body
// are HTML-escaped.
func (a *Answer) Render(ch interactionv1.Channel, facts *answerv1.CitizenFacts) (format, subject, body string) {
	vals := a.values(facts)
	plain := func(s string) string { return s }
	r := a.Renderings
	switch ch {
	case interactionv1.Channel_CHANNEL_WEB:
		return FormatHTML, fill(r.Web.Subject, vals, plain), fill(r.Web.Body, vals, html.EscapeString)
	case interactionv1.Channel_CHANNEL_EMAIL:
		return FormatText, fill(r.Email.Subject, vals, plain), fill(r.Email.Body, vals, plain)
	case interactionv1.Channel_CHANNEL_PHONE:
		return FormatVoice, "", fill(r.Voice, vals, plain)
	case interactionv1.Channel_CHANNEL_COUNTER:
		return FormatText, "", fill(r.Counter, vals, plain)
	default:
		return FormatText, "", fill(r.Short, vals, plain)
	}
}

// values are the placeholder values for facts.
func (a *Answer) values(facts *answerv1.CitizenFacts) map[string]string {
	c := a.matchedCase(facts)
	ref := cleanValue(c.GetReference())
	if ref == "" {
		ref = "non communiquée"
	}
	return map[string]string{
		"case.reference": ref,
		"case.status":    statusLabel(c.GetStatus()),
	}
}

// matchedCase is the case of the answer's topic the condition is about:
// of the cases of the topic, most recently updated first, the first for
// which the condition holds when it is the only case of the topic; else
// the most recently updated one; nil when there is none.
func (a *Answer) matchedCase(facts *answerv1.CitizenFacts) *answerv1.CaseFact {
	var mine, others []*answerv1.CaseFact
	for _, c := range facts.GetCases() {
		if c.GetTopic() == a.Topic {
			mine = append(mine, c)
		} else {
			others = append(others, c)
		}
	}
	if len(mine) == 0 {
		return nil
	}
	slices.SortStableFunc(mine, func(x, y *answerv1.CaseFact) int {
		return y.GetUpdatedAt().AsTime().Compare(x.GetUpdatedAt().AsTime())
	})
	if a.cond != nil && len(mine) > 1 {
		for _, c := range mine {
			one := &answerv1.CitizenFacts{
				Verified: facts.GetVerified(), IdentifierTypes: facts.GetIdentifierTypes(),
				Cases: append(slices.Clip(others), c), Profile: facts.GetProfile(),
				Recent: facts.GetRecent(), InteractionCount: facts.GetInteractionCount(),
			}
			if ok, _ := a.cond.eval(one); ok {
				return c
			}
		}
	}
	return mine[0]
}
