// Package projectiontest makes realistic interaction logs for the tests
// and benchmarks of the projection and of its log consumer.
package projectiontest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"unisson.dev/platform/identifier"
	"unisson.dev/platform/interaction"
	answerv1 "unisson.dev/proto/unisson/answer/v1"
	v1 "unisson.dev/proto/unisson/interaction/v1"

	"unisson.dev/services/context/internal/identity"
	"unisson.dev/services/context/internal/projection"
)

// citizen is one person of the log.
type citizen struct {
	email, typedEmail string
	phone, typedPhone string
	cases             []string
	// split citizens first call (phone only), then e-mail (address only):
	// two records, merged at their first counter visit.
	split bool
	// id is the citizen id once the hub knows them (not for split ones).
	id string
}

var (
	firstNames = []string{"jeanne", "marie", "léa", "chloé", "inès", "jean", "pierre", "théo", "françois", "jérôme", "anne-sophie", "loïc"}
	lastNames  = []string{"martin", "bernard", "dubois", "lefèvre", "garcia", "le-gall", "guérin", "nguyen", "diallo", "fontaine"}
	domains    = []string{"orange.fr", "gmail.com", "free.fr", "laposte.net", "sfr.fr", "wanadoo.fr", "hotmail.fr"}
	text       = strings.Repeat("Bonjour, je n'ai toujours pas reçu de réponse à ma demande déposée le mois dernier. ", 8)
)

// Log makes n interactions of the given number of citizens, in log
// order: e-mail addresses and French phone numbers, a long tail of
// activity (rank x gets a share proportional to 1/√x), cases, counter
// visits with verified identifiers, answers carrying the citizen id, and
// one split record in splitOneIn. A quarter of the interactions carry
// their identifiers as typed (capitals, "06 12 34 56 78"), as a foreign
// publisher would; the rest are canonical, as Unisson's own adapters
// publish them. The same arguments give the same log but for the ids.
func Log(n, citizens, splitOneIn int) []*v1.Interaction {
	r := rand.New(rand.NewPCG(1, 2))
	cs := make([]citizen, citizens)
	for i := range cs {
		cs[i] = newCitizen(r, i, splitOneIn)
	}
	seen := make([]int, citizens)
	start := time.Date(2025, 1, 6, 8, 0, 0, 0, time.UTC)
	out := make([]*v1.Interaction, n)
	for pos := range n {
		ci := pos
		if pos >= citizens {
			u := r.Float64()
			ci = min(int(u*u*float64(citizens)), citizens-1)
		}
		c := &cs[ci]
		at := start.Add(time.Duration(pos) * time.Minute)
		ix := interactionOf(r, c, seen[ci], at)
		if seen[ci] == 0 && !c.split {
			c.id = identity.CitizenIDPrefix + strings.ToLower(ix.GetId())
		}
		seen[ci]++
		out[pos] = ix
	}
	return out
}

// Messages encodes ixs as log messages at positions 1, 2, ...
func Messages(ixs []*v1.Interaction) ([]projection.Message, error) {
	msgs := make([]projection.Message, len(ixs))
	for i, ix := range ixs {
		b, err := proto.Marshal(ix)
		if err != nil {
			return nil, err
		}
		msgs[i] = projection.Message{Seq: uint64(i + 1), Data: b}
	}
	return msgs, nil
}

func newCitizen(r *rand.Rand, i, splitOneIn int) citizen {
	local := fmt.Sprintf("%s.%s%d", firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))], i)
	domain := domains[r.IntN(len(domains))]
	c := citizen{
		email: local + "@" + domain, typedEmail: strings.ToUpper(local[:1]) + local[1:] + "@" + strings.ToUpper(domain[:1]) + domain[1:],
		split: r.IntN(splitOneIn) == 0,
	}
	// i → digits is a bijection modulo 10^8, so numbers are unique; a few
	// ranges are not allocated, the 07 5x and 07 6x ones rarely twice.
	digits := fmt.Sprintf("%08d", (uint64(i)*48271+12345)%100_000_000)
	sep := []string{" ", ".", ""}[r.IntN(3)]
	for _, national := range []string{"06" + digits, "075" + digits[1:], "076" + digits[1:]} {
		c.typedPhone = strings.Join([]string{national[0:2], national[2:4], national[4:6], national[6:8], national[8:10]}, sep)
		var err error
		if c.phone, err = identifier.Normalize(v1.IdentifierType_IDENTIFIER_TYPE_PHONE, c.typedPhone); err == nil {
			break
		}
	}
	for k := range r.IntN(4) {
		c.cases = append(c.cases, fmt.Sprintf("CAF-AL-2025-%07d", i*4+k))
	}
	return c
}

func interactionOf(r *rand.Rand, c *citizen, k int, at time.Time) *v1.Interaction {
	typed := r.IntN(4) == 0
	mail := func(a v1.Assurance) *v1.Identifier {
		v := c.email
		if typed {
			v = c.typedEmail
		}
		return &v1.Identifier{Type: v1.IdentifierType_IDENTIFIER_TYPE_EMAIL, Value: v, Assurance: a}
	}
	tel := func(a v1.Assurance) *v1.Identifier {
		v := c.phone
		if typed {
			v = c.typedPhone
		}
		return &v1.Identifier{Type: v1.IdentifierType_IDENTIFIER_TYPE_PHONE, Value: v, Assurance: a}
	}
	const claimed, verified = v1.Assurance_ASSURANCE_CLAIMED, v1.Assurance_ASSURANCE_VERIFIED
	ix := &v1.Interaction{
		Id: interaction.NewID(at), OccurredAt: timestamppb.New(at), Channel: v1.Channel_CHANNEL_EMAIL,
		Kind: v1.Kind_KIND_MESSAGE, Direction: v1.Direction_DIRECTION_INBOUND,
		Actor: &v1.Actor{Role: v1.ActorRole_ACTOR_ROLE_CITIZEN}, Topic: "housing.benefit", Text: text,
	}
	agent := &v1.Actor{Role: v1.ActorRole_ACTOR_ROLE_AGENT, Id: fmt.Sprintf("agent-%03d", r.IntN(200))}
	n := r.IntN(100)
	switch {
	case c.split && k == 0, k > 0 && n < 25:
		ix.Channel, ix.Kind = v1.Channel_CHANNEL_PHONE, v1.Kind_KIND_CALL
		ix.Subject = &v1.Subject{Identifiers: []*v1.Identifier{tel(claimed)}}
		ix.Details = &v1.Interaction_Phone{Phone: &v1.PhoneDetails{CallId: strings.ToLower(ix.Id), DurationSeconds: int32(30 + r.IntN(900))}}
	case c.split && k == 1, k > 0 && n < 50:
		ix.Subject = &v1.Subject{Identifiers: []*v1.Identifier{mail(claimed)}}
		ix.Details = &v1.Interaction_Email{Email: &v1.EmailDetails{MessageId: "<" + strings.ToLower(ix.Id) + "@example.fr>", Subject: "Question : aide au logement"}}
	case k == 0, n < 65:
		ix.Channel = v1.Channel_CHANNEL_WEB
		ix.Subject = &v1.Subject{Identifiers: []*v1.Identifier{mail(claimed), tel(claimed)}}
		if len(c.cases) > 0 {
			ix.Kind, ix.CaseReference = v1.Kind_KIND_FORM_SUBMISSION, c.cases[r.IntN(len(c.cases))]
			ix.CaseStatus = v1.CaseStatus_CASE_STATUS_SUBMITTED
		}
	case n < 80:
		ix.Channel, ix.Kind, ix.Actor = v1.Channel_CHANNEL_COUNTER, v1.Kind_KIND_VISIT, agent
		ix.Subject = &v1.Subject{Identifiers: []*v1.Identifier{mail(verified), tel(verified)}}
	case n < 95 || c.id == "":
		ix.Kind, ix.Direction, ix.Actor = v1.Kind_KIND_CASE_UPDATE, v1.Direction_DIRECTION_OUTBOUND, agent
		ix.Subject = &v1.Subject{Identifiers: []*v1.Identifier{mail(claimed)}}
		if len(c.cases) > 0 {
			ix.CaseReference, ix.CaseStatus = c.cases[r.IntN(len(c.cases))], v1.CaseStatus_CASE_STATUS_IN_REVIEW
		}
	default:
		// An answer given to a known citizen: a ledger entry.
		ix.Kind, ix.Direction = v1.Kind_KIND_ANSWER_GIVEN, v1.Direction_DIRECTION_OUTBOUND
		ix.Subject = &v1.Subject{CitizenId: c.id}
		ix.Answer = &answerv1.AnswerGiven{AnswerId: "aid-eligibility", AnswerVersion: 3, KnowledgeVersion: "kb-7",
			ContextVersion: uint64(k), ContentHash: strings.Repeat("ab", 32)}
	}
	return ix
}
