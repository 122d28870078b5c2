package redisstore_test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/timestamppb"

	"unisson.dev/platform/identifier"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
	"unisson.dev/services/context/internal/contextstore"
)

// workload makes changes as the projector derives them from the data set
// of services/bench, at a smaller scale: rounds of 10 interactions per
// citizen on average, a long tail of activity (rank x gets a share in
// 1/√x), shuffled into log order; every citizen's first contact brings its
// e-mail address and phone number, later ones bring only identifiers not
// yet owned (a device, an upgrade at the counter); one citizen in 50 first
// calls, then writes from another record, and is merged at its first
// counter visit; forms and agents move cases on. Each round has citizens
// of its own, so a workload never runs dry.
type workload struct {
	r        *rand.Rand
	citizens int
	round    int
	order    []int32
	pos      int
	seq      uint64
	people   []person
}

type person struct {
	id, split    string // split: the phone-only record until merged
	email, phone string
	device, idp  string
	owned        map[string]interactionv1.Assurance
	seen         int
	cases        []wcase
	merged       bool
}

type wcase struct {
	ref, topic string
	step       int
}

const (
	email  = interactionv1.IdentifierType_IDENTIFIER_TYPE_EMAIL
	phone  = interactionv1.IdentifierType_IDENTIFIER_TYPE_PHONE
	device = interactionv1.IdentifierType_IDENTIFIER_TYPE_DEVICE_ID
	idp    = interactionv1.IdentifierType_IDENTIFIER_TYPE_IDP_SUBJECT
	claim  = interactionv1.Assurance_ASSURANCE_CLAIMED
	verify = interactionv1.Assurance_ASSURANCE_VERIFIED
)

var (
	caseSteps = []interactionv1.CaseStatus{
		interactionv1.CaseStatus_CASE_STATUS_SUBMITTED, interactionv1.CaseStatus_CASE_STATUS_IN_REVIEW,
		interactionv1.CaseStatus_CASE_STATUS_AWAITING_DOCUMENTS, interactionv1.CaseStatus_CASE_STATUS_IN_REVIEW,
		interactionv1.CaseStatus_CASE_STATUS_ACCEPTED, interactionv1.CaseStatus_CASE_STATUS_CLOSED,
	}
	topics    = []string{"family.allowance", "housing.benefit", "id.card", "tax.income", "town_hall.appointment"}
	prefixes  = []string{"CAF-AF", "CAF-AL", "ANTS-CNI", "DGFIP-IR", "MAIRIE-RDV"}
	names     = []string{"jean-baptiste.lefevre", "marie-helene.de-la-fontaine", "ines.benali", "francois.nguyen", "anne-sophie.martin"}
	domains   = []string{"gmail.com", "orange.fr", "laposte.net", "wanadoo.fr", "free.fr"}
	sentences = []string{
		"Bonjour, je vous écris au sujet de mon dossier.",
		"Je n'ai toujours pas reçu de réponse à ma demande déposée le mois dernier.",
		"Pourriez-vous me dire quelles pièces justificatives manquent encore ?",
		"Mon fils est né en mars et je souhaite mettre à jour la composition de mon foyer.",
		"Je déménage à Villeurbanne le 1er du mois prochain, voici ma nouvelle adresse.",
		"Appel reçu : la citoyenne demande l'état d'avancement, dossier en cours d'instruction.",
		"Pièce d'identité vérifiée au guichet, justificatif de domicile de moins de trois mois fourni.",
		"Votre dossier est complet, il sera examiné dans un délai de quinze jours.",
	}
	start = time.Date(2025, 1, 6, 8, 0, 0, 0, time.UTC)
)

func newWorkload(seed uint64, citizens int) *workload {
	return &workload{r: rand.New(rand.NewPCG(seed, 0x776c)), citizens: citizens, round: -1}
}

// batch returns the next n changes, in log order.
func (w *workload) batch(n int) contextstore.Batch {
	changes := make([]contextstore.Change, n)
	for i := range changes {
		changes[i] = w.next()
	}
	return contextstore.Batch{Epoch: benchEpoch, Changes: changes, AppliedSeq: w.seq}
}

// newRound draws the next round's citizens and log order.
func (w *workload) newRound() {
	w.round++
	w.pos = 0
	n, total := w.citizens, 10*w.citizens
	w.people = make([]person, n)
	for i := range w.people {
		p := &w.people[i]
		p.id = fmt.Sprintf("c_01jq%02d%020d", w.round, i)
		p.email = fmt.Sprintf("%s%d@%s", names[i%len(names)], i, domains[i%len(domains)])
		p.phone = fmt.Sprintf("+3361%07d", w.round*n+i)
		p.device = fmt.Sprintf("dev-%012x", w.r.Uint64()>>16)
		if w.r.IntN(10) < 3 {
			p.idp = fmt.Sprintf("https://app.franceconnect.gouv.fr|%016x", w.r.Uint64())
		}
		if w.r.IntN(50) == 0 {
			p.split = p.id + "p"
		}
		p.owned = make(map[string]interactionv1.Assurance)
		for k := range w.r.IntN(4) {
			t := w.r.IntN(len(topics))
			ref := fmt.Sprintf("%s-%d-%07d", prefixes[t], 2024+k%2, i*4+k)
			p.cases = append(p.cases, wcase{ref: ref, topic: topics[t]})
		}
	}
	rank := w.r.Perm(n)
	w.order = make([]int32, total)
	for i := range w.order {
		c := i
		if i >= n {
			u := w.r.Float64()
			c = rank[min(int(u*u*float64(n)), n-1)]
		}
		w.order[i] = int32(c)
	}
	w.r.Shuffle(total, func(i, j int) { w.order[i], w.order[j] = w.order[j], w.order[i] })
}

// next is the change of the next interaction.
func (w *workload) next() contextstore.Change {
	if w.order == nil || w.pos == len(w.order) {
		w.newRound()
	}
	p := &w.people[w.order[w.pos]]
	w.pos++
	w.seq++
	k := p.seen
	p.seen++
	at := start.Add(time.Duration(w.seq) * time.Minute)
	ix := &interactionv1.Interaction{
		Id: fmt.Sprintf("01JQ%022d", w.seq), OccurredAt: timestamppb.New(at),
		Direction: interactionv1.Direction_DIRECTION_INBOUND,
		Actor:     &interactionv1.Actor{Role: interactionv1.ActorRole_ACTOR_ROLE_CITIZEN},
		Topic:     topics[w.r.IntN(len(topics))], Text: w.text(),
	}
	var ids []*interactionv1.Identifier
	citizen, merge := p.id, ""
	switch n := w.r.IntN(100); {
	case p.split != "" && k == 0:
		citizen, ids = p.split, []*interactionv1.Identifier{p.ident(phone, claim)}
		w.call(ix)
	case p.split != "" && k == 1:
		ids = []*interactionv1.Identifier{p.ident(email, claim)}
		w.mail(ix, p)
	case k == 0:
		ids = []*interactionv1.Identifier{p.ident(email, claim), p.ident(phone, claim)}
		if !w.form(ix, p) {
			ix.Channel, ix.Kind = interactionv1.Channel_CHANNEL_WEB, interactionv1.Kind_KIND_MESSAGE
		}
	case n < 30:
		ids = []*interactionv1.Identifier{p.ident(email, claim)}
		if n < 22 || !w.form(ix, p) {
			ix.Channel, ix.Kind = interactionv1.Channel_CHANNEL_WEB, interactionv1.Kind_KIND_MESSAGE
		}
	case n < 48:
		ids = []*interactionv1.Identifier{p.ident(email, claim)}
		w.mail(ix, p)
	case n < 66:
		ids = []*interactionv1.Identifier{p.ident(phone, claim)}
		w.call(ix)
		if p.split != "" && !p.merged {
			citizen = p.split
		}
	case n < 80:
		ids = []*interactionv1.Identifier{p.ident(email, claim), p.ident(device, claim)}
		if p.idp != "" {
			ids = append(ids, p.ident(idp, verify))
		}
		ix.Channel, ix.Kind = interactionv1.Channel_CHANNEL_MOBILE, interactionv1.Kind_KIND_MESSAGE
		ix.Details = &interactionv1.Interaction_Mobile{Mobile: &interactionv1.MobileDetails{DeviceId: p.device, AppVersion: "3.4.1"}}
	case n < 87:
		ids = []*interactionv1.Identifier{p.ident(email, verify), p.ident(phone, verify)}
		w.visit(ix)
		if p.split != "" && !p.merged {
			p.merged, merge = true, p.split
		}
	default:
		ids = []*interactionv1.Identifier{p.ident(email, claim)}
		if !w.caseUpdate(ix, p) {
			w.mail(ix, p)
		}
	}
	ix.Subject = &interactionv1.Subject{Identifiers: ids, CitizenId: citizen}
	return w.change(ix, p, citizen, merge)
}

// change is what the projector makes of ix: the links citizen does not
// own yet, the case the interaction moves, ix in wire form.
func (w *workload) change(ix *interactionv1.Interaction, p *person, citizen, merge string) contextstore.Change {
	c := contextstore.Change{Seq: w.seq, CitizenID: citizen, OccurredAt: ix.GetOccurredAt().AsTime(), Interaction: ix}
	if merge != "" {
		c.MergeFrom = []string{merge}
	}
	for _, id := range ix.GetSubject().GetIdentifiers() {
		key := identifier.Key(id.GetType(), id.GetValue())
		owner := key + "\x00" + citizen
		if a, ok := p.owned[owner]; ok && a >= id.GetAssurance() && merge == "" {
			continue
		}
		p.owned[owner] = id.GetAssurance()
		c.Links = append(c.Links, contextstore.Link{Key: key, Type: id.GetType(), Value: id.GetValue(),
			Assurance: id.GetAssurance(), Seq: w.seq})
	}
	if ix.GetCaseStatus() != interactionv1.CaseStatus_CASE_STATUS_UNSPECIFIED {
		c.Case = &contextstore.Case{Reference: ix.GetCaseReference(), Topic: ix.GetTopic(), Status: ix.GetCaseStatus(),
			OpenedAt: c.OccurredAt, UpdatedAt: c.OccurredAt, UpdatedSeq: w.seq}
	}
	e, err := contextstore.NewEntry(c.Seq, ix)
	if err != nil {
		panic(err)
	}
	c.Data = e.Data
	return c
}

func (p *person) ident(t interactionv1.IdentifierType, a interactionv1.Assurance) *interactionv1.Identifier {
	v := map[interactionv1.IdentifierType]string{email: p.email, phone: p.phone, device: p.device, idp: p.idp}[t]
	return &interactionv1.Identifier{Type: t, Value: v, Assurance: a}
}

func (w *workload) text() string {
	var b strings.Builder
	for b.Len() < 512 {
		b.WriteString(sentences[w.r.IntN(len(sentences))])
		b.WriteByte(' ')
	}
	s := b.String()[:512]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + strings.Repeat(" ", 512-len(s))
}

func (w *workload) agent() *interactionv1.Actor {
	return &interactionv1.Actor{Role: interactionv1.ActorRole_ACTOR_ROLE_AGENT, Id: fmt.Sprintf("agent-%03d", w.r.IntN(200))}
}

func (w *workload) call(ix *interactionv1.Interaction) {
	ix.Channel, ix.Kind = interactionv1.Channel_CHANNEL_PHONE, interactionv1.Kind_KIND_CALL
	ix.Details = &interactionv1.Interaction_Phone{Phone: &interactionv1.PhoneDetails{
		CallId: strings.ToLower(ix.Id), Queue: ix.Topic, DurationSeconds: int32(30 + w.r.IntN(900))}}
}

func (w *workload) mail(ix *interactionv1.Interaction, p *person) {
	ix.Channel, ix.Kind = interactionv1.Channel_CHANNEL_EMAIL, interactionv1.Kind_KIND_MESSAGE
	subject := "Question : " + ix.Topic
	if len(p.cases) > 0 && w.r.IntN(3) > 0 {
		k := p.cases[w.r.IntN(len(p.cases))]
		ix.Topic, ix.CaseReference, subject = k.topic, k.ref, "Re: Votre dossier "+k.ref
	}
	ix.Details = &interactionv1.Interaction_Email{Email: &interactionv1.EmailDetails{
		MessageId: "<" + strings.ToLower(ix.Id) + "@laposte.net>", Subject: subject}}
}

func (w *workload) visit(ix *interactionv1.Interaction) {
	ix.Channel, ix.Kind, ix.Actor = interactionv1.Channel_CHANNEL_COUNTER, interactionv1.Kind_KIND_VISIT, w.agent()
	ix.Details = &interactionv1.Interaction_Counter{Counter: &interactionv1.CounterDetails{
		Site: "France Services Lyon 3", Desk: fmt.Sprintf("G%d", 1+w.r.IntN(6)), Ticket: fmt.Sprintf("A%03d", w.r.IntN(1000))}}
}

// form submits a case that is new or awaits documents; false when none is.
func (w *workload) form(ix *interactionv1.Interaction, p *person) bool {
	for i := range p.cases {
		k := &p.cases[i]
		if k.step == 0 || caseSteps[k.step-1] == interactionv1.CaseStatus_CASE_STATUS_AWAITING_DOCUMENTS {
			ix.Channel, ix.Kind = interactionv1.Channel_CHANNEL_WEB, interactionv1.Kind_KIND_FORM_SUBMISSION
			ix.Topic, ix.CaseReference, ix.CaseStatus = k.topic, k.ref, caseSteps[k.step]
			k.step++
			ix.Details = &interactionv1.Interaction_Web{Web: &interactionv1.WebDetails{
				FormId: "formulaire-" + strings.ReplaceAll(k.topic, ".", "-"),
				Fields: map[string]string{
					"nombre_enfants": strconv.Itoa(w.r.IntN(5)), "revenu_fiscal_reference": strconv.Itoa(9000 + w.r.IntN(60000)),
					"commune": "Lyon", "code_postal": fmt.Sprintf("690%02d", 1+w.r.IntN(9)),
				}}}
			return true
		}
	}
	return false
}

// caseUpdate is an agent moving a case one step; false when none can move.
func (w *workload) caseUpdate(ix *interactionv1.Interaction, p *person) bool {
	for i := range p.cases {
		k := &p.cases[i]
		if k.step > 0 && k.step < len(caseSteps) {
			ix.Channel, ix.Kind = interactionv1.Channel_CHANNEL_EMAIL, interactionv1.Kind_KIND_CASE_UPDATE
			ix.Direction, ix.Actor = interactionv1.Direction_DIRECTION_OUTBOUND, w.agent()
			ix.Topic, ix.CaseReference, ix.CaseStatus = k.topic, k.ref, caseSteps[k.step]
			k.step++
			ix.Details = &interactionv1.Interaction_Email{Email: &interactionv1.EmailDetails{
				MessageId: "<" + strings.ToLower(ix.Id) + "@notifications.example.gouv.fr>", Subject: "Votre dossier " + k.ref}}
			return true
		}
	}
	return false
}
