package dataset

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"unisson.dev/platform/interaction"
	v1 "unisson.dev/proto/unisson/interaction/v1"
)

// caseSteps is the life of a case; an agent's case update moves it one
// step, the citizen's form answering a request for documents another.
var caseSteps = []v1.CaseStatus{
	v1.CaseStatus_CASE_STATUS_SUBMITTED, v1.CaseStatus_CASE_STATUS_IN_REVIEW,
	v1.CaseStatus_CASE_STATUS_AWAITING_DOCUMENTS, v1.CaseStatus_CASE_STATUS_IN_REVIEW,
	v1.CaseStatus_CASE_STATUS_ACCEPTED, v1.CaseStatus_CASE_STATUS_CLOSED,
}

// Generator makes the interactions of a Set in log order. It is not safe
// for concurrent use.
type Generator struct {
	set  *Set
	r    *rand.Rand
	pos  int
	seen []int32
	step time.Duration
}

// Generator returns a generator of the set's interactions, from the first.
// The set keeps its cases' progress, which the interactions move: a new
// generator starts it over, so that every generator gives the same
// interactions but for their ids. One generator at a time may run.
func (s *Set) Generator() *Generator {
	for i := range s.citizens {
		for j := range s.citizens[i].Cases {
			s.citizens[i].Cases[j].step = 0
		}
	}
	span := 2 * 365 * 24 * time.Hour
	return &Generator{
		set: s, r: rand.New(rand.NewPCG(s.cfg.Seed, 0x6c6f67)),
		seen: make([]int32, len(s.citizens)), step: span / time.Duration(len(s.order)),
	}
}

// Next returns the next interaction, or false after the last.
func (g *Generator) Next() (*v1.Interaction, bool) {
	if g.pos >= len(g.set.order) {
		return nil, false
	}
	ci := g.set.order[g.pos]
	c := &g.set.citizens[ci]
	at := g.set.cfg.Start.Add(time.Duration(g.pos) * g.step)
	g.pos++
	k := g.seen[ci]
	g.seen[ci]++
	ix := g.interaction(c, int(k), at)
	return ix, true
}

func (g *Generator) interaction(c *Citizen, k int, at time.Time) *v1.Interaction {
	switch {
	case c.Split && k == 0:
		return g.call(c, at, false)
	case c.Split && k == 1:
		return g.email(c, at)
	case k == 0:
		return g.firstContact(c, at)
	}
	switch n := g.r.IntN(100); {
	case n < 22:
		return g.webMessage(c, at)
	case n < 30:
		return g.webForm(c, at)
	case n < 48:
		return g.email(c, at)
	case n < 66:
		return g.call(c, at, g.r.IntN(10) < 3)
	case n < 80:
		return g.mobile(c, at)
	case n < 87:
		return g.visit(c, at)
	default:
		return g.caseUpdate(c, at)
	}
}

func base(at time.Time, ch v1.Channel, kind v1.Kind, ids ...*v1.Identifier) *v1.Interaction {
	return &v1.Interaction{
		Id: interaction.NewID(at), OccurredAt: timestamppb.New(at), Channel: ch, Kind: kind,
		Direction: v1.Direction_DIRECTION_INBOUND, Actor: &v1.Actor{Role: v1.ActorRole_ACTOR_ROLE_CITIZEN},
		Subject: &v1.Subject{Identifiers: ids},
	}
}

func id(t v1.IdentifierType, value string, a v1.Assurance) *v1.Identifier {
	return &v1.Identifier{Type: t, Value: value, Assurance: a}
}

func claimed(i *v1.Identifier) *v1.Identifier {
	i.Assurance = v1.Assurance_ASSURANCE_CLAIMED
	return i
}

func verified(i *v1.Identifier) *v1.Identifier {
	i.Assurance = v1.Assurance_ASSURANCE_VERIFIED
	return i
}

func email(c *Citizen) *v1.Identifier {
	return id(v1.IdentifierType_IDENTIFIER_TYPE_EMAIL, c.Email, v1.Assurance_ASSURANCE_CLAIMED)
}

func phoneID(c *Citizen) *v1.Identifier {
	return id(v1.IdentifierType_IDENTIFIER_TYPE_PHONE, c.Phone, v1.Assurance_ASSURANCE_CLAIMED)
}

func (g *Generator) text() string { return Text(g.r, g.set.cfg.TextBytes) }

// topic is one of the citizen's case topics, or any topic.
func (g *Generator) topic(c *Citizen) (string, *Case) {
	if len(c.Cases) > 0 && g.r.IntN(3) > 0 {
		k := &c.Cases[g.r.IntN(len(c.Cases))]
		return k.Topic, k
	}
	return topics[g.r.IntN(len(topics))].name, nil
}

// firstContact is a web form opening the citizen's first case, or a web
// message, with both the e-mail address and the phone number.
func (g *Generator) firstContact(c *Citizen, at time.Time) *v1.Interaction {
	if len(c.Cases) > 0 {
		ix := g.form(c, at, &c.Cases[0])
		ix.Subject.Identifiers = append(ix.Subject.Identifiers, phoneID(c))
		return ix
	}
	ix := g.webMessage(c, at)
	if len(ix.Subject.Identifiers) == 1 {
		ix.Subject.Identifiers = append(ix.Subject.Identifiers, phoneID(c))
	}
	return ix
}

func (g *Generator) webMessage(c *Citizen, at time.Time) *v1.Interaction {
	ids := []*v1.Identifier{email(c)}
	if g.r.IntN(2) == 0 {
		ids = append(ids, phoneID(c))
	}
	ix := base(at, v1.Channel_CHANNEL_WEB, v1.Kind_KIND_MESSAGE, ids...)
	var k *Case
	ix.Topic, k = g.topic(c)
	if k != nil {
		ix.CaseReference = k.Reference
	}
	ix.Text = g.text()
	return ix
}

// webForm opens a case, or answers a request for documents; with nothing
// to submit the citizen writes a message instead.
func (g *Generator) webForm(c *Citizen, at time.Time) *v1.Interaction {
	for i := range c.Cases {
		k := &c.Cases[i]
		if k.step == 0 || caseSteps[k.step-1] == v1.CaseStatus_CASE_STATUS_AWAITING_DOCUMENTS {
			return g.form(c, at, k)
		}
	}
	return g.webMessage(c, at)
}

func (g *Generator) form(c *Citizen, at time.Time, k *Case) *v1.Interaction {
	ix := base(at, v1.Channel_CHANNEL_WEB, v1.Kind_KIND_FORM_SUBMISSION, email(c))
	ix.Topic, ix.CaseReference, ix.CaseStatus = k.Topic, k.Reference, caseSteps[k.step]
	k.step++
	ix.Text = g.text()
	ix.Details = &v1.Interaction_Web{Web: &v1.WebDetails{
		FormId: "formulaire-" + strings.ReplaceAll(k.Topic, ".", "-"),
		Fields: map[string]string{
			"nombre_enfants": strconv.Itoa(g.r.IntN(5)), "revenu_fiscal_reference": strconv.Itoa(9000 + g.r.IntN(60000)),
			"commune": "Lyon", "code_postal": fmt.Sprintf("690%02d", 1+g.r.IntN(9)),
		},
	}}
	return ix
}

func (g *Generator) email(c *Citizen, at time.Time) *v1.Interaction {
	ix := base(at, v1.Channel_CHANNEL_EMAIL, v1.Kind_KIND_MESSAGE, email(c))
	var k *Case
	ix.Topic, k = g.topic(c)
	subject := "Question : " + ix.Topic
	if k != nil {
		ix.CaseReference, subject = k.Reference, "Re: Votre dossier "+k.Reference
	}
	domain := c.Email[strings.LastIndexByte(c.Email, '@')+1:]
	ix.Details = &v1.Interaction_Email{Email: &v1.EmailDetails{
		MessageId: "<" + strings.ToLower(ix.Id) + "@" + domain + ">", Subject: subject,
	}}
	ix.Text = g.text()
	return ix
}

// call is a phone call: the citizen calling in, or an agent calling back.
func (g *Generator) call(c *Citizen, at time.Time, outbound bool) *v1.Interaction {
	ix := base(at, v1.Channel_CHANNEL_PHONE, v1.Kind_KIND_CALL, phoneID(c))
	if outbound {
		ix.Direction = v1.Direction_DIRECTION_OUTBOUND
		ix.Actor = &v1.Actor{Role: v1.ActorRole_ACTOR_ROLE_AGENT, Id: fmt.Sprintf("agent-%03d", g.r.IntN(200))}
	}
	ix.Topic, _ = g.topic(c)
	ix.Details = &v1.Interaction_Phone{Phone: &v1.PhoneDetails{
		CallId: strings.ToLower(ix.Id), Queue: ix.Topic, DurationSeconds: int32(30 + g.r.IntN(900)),
	}}
	ix.Text = g.text()
	return ix
}

func (g *Generator) mobile(c *Citizen, at time.Time) *v1.Interaction {
	ids := []*v1.Identifier{email(c), claimed(id(v1.IdentifierType_IDENTIFIER_TYPE_DEVICE_ID, c.Device, 0))}
	if c.IDP != "" {
		ids = append(ids, verified(id(v1.IdentifierType_IDENTIFIER_TYPE_IDP_SUBJECT, c.IDP, 0)))
	}
	ix := base(at, v1.Channel_CHANNEL_MOBILE, v1.Kind_KIND_MESSAGE, ids...)
	ix.Topic, _ = g.topic(c)
	ix.Details = &v1.Interaction_Mobile{Mobile: &v1.MobileDetails{DeviceId: c.Device, AppVersion: "3.4.1"}}
	ix.Text = g.text()
	return ix
}

// visit is a counter visit: the agent checks an identity document, so the
// identifiers are verified (which merges a split citizen's records).
func (g *Generator) visit(c *Citizen, at time.Time) *v1.Interaction {
	ix := base(at, v1.Channel_CHANNEL_COUNTER, v1.Kind_KIND_VISIT, verified(email(c)), verified(phoneID(c)))
	ix.Actor = &v1.Actor{Role: v1.ActorRole_ACTOR_ROLE_AGENT, Id: fmt.Sprintf("agent-%03d", g.r.IntN(200))}
	ix.Topic, _ = g.topic(c)
	ix.Details = &v1.Interaction_Counter{Counter: &v1.CounterDetails{
		Site: "France Services Lyon 3", Desk: fmt.Sprintf("G%d", 1+g.r.IntN(6)), Ticket: fmt.Sprintf("A%03d", g.r.IntN(1000)),
	}}
	ix.Text = g.text()
	return ix
}

// caseUpdate is an agent moving a case one step, told to the citizen by
// e-mail; without a case to move it is an e-mail from the citizen.
func (g *Generator) caseUpdate(c *Citizen, at time.Time) *v1.Interaction {
	var k *Case
	for i := range c.Cases {
		if s := c.Cases[i].step; s > 0 && s < len(caseSteps) {
			k = &c.Cases[i]
			break
		}
	}
	if k == nil {
		return g.email(c, at)
	}
	status := caseSteps[k.step]
	if status == v1.CaseStatus_CASE_STATUS_ACCEPTED && g.r.IntN(4) == 0 {
		status = v1.CaseStatus_CASE_STATUS_REJECTED
	}
	k.step++
	ix := base(at, v1.Channel_CHANNEL_EMAIL, v1.Kind_KIND_CASE_UPDATE, email(c))
	ix.Direction = v1.Direction_DIRECTION_OUTBOUND
	ix.Actor = &v1.Actor{Role: v1.ActorRole_ACTOR_ROLE_AGENT, Id: fmt.Sprintf("agent-%03d", g.r.IntN(200))}
	ix.Topic, ix.CaseReference, ix.CaseStatus = k.Topic, k.Reference, status
	ix.Details = &v1.Interaction_Email{Email: &v1.EmailDetails{
		MessageId: "<" + strings.ToLower(ix.Id) + "@notifications.example.gouv.fr>",
		Subject:   "Votre dossier " + k.Reference + " : " + strings.ToLower(strings.TrimPrefix(status.String(), "CASE_STATUS_")),
	}}
	ix.Text = g.text()
	return ix
}
