package intake

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"unisson.dev/platform/identifier"
	"unisson.dev/platform/interaction"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
)

// Identifier is an identifier as the citizen typed it: a type name ("email",
// "phone" or "case") and a value in any usual notation.
type Identifier struct {
	Type  string
	Value string
}

// Message is a free-text message. Field errors name the Interaction fields
// they end up in ("subject.identifiers[0].value", "text", ...).
type Message struct {
	Identifiers []Identifier
	// CitizenID is optional: the context service resolves the identifiers.
	CitizenID     string
	Topic         string
	CaseReference string
	Text          string
	// IdempotencyKey is optional: 1 to 255 printable ASCII characters.
	IdempotencyKey string
}

// Form is a form submission about a case.
type Form struct {
	Identifiers   []Identifier
	CitizenID     string
	FormID        string
	CaseReference string
	Topic         string
	// CaseStatus is a short status name ("submitted", "in_review", ...) or
	// empty when the submission does not change the case status.
	CaseStatus     string
	Fields         map[string]string
	IdempotencyKey string
}

// webTypes are the identifier types a citizen may claim on the web. An
// identity-provider subject only ever comes from the provider itself, and
// device ids belong to the mobile channel.
var webTypes = map[interactionv1.IdentifierType]bool{
	interactionv1.IdentifierType_IDENTIFIER_TYPE_EMAIL:          true,
	interactionv1.IdentifierType_IDENTIFIER_TYPE_PHONE:          true,
	interactionv1.IdentifierType_IDENTIFIER_TYPE_CASE_REFERENCE: true,
}

// problems gathers field errors found before interaction.Validate runs.
type problems struct{ errs interaction.ValidationError }

func (p *problems) add(field, format string, args ...any) {
	p.errs = append(p.errs, interaction.FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
}

func buildMessage(now time.Time, m Message) (*interactionv1.Interaction, error) {
	p := &problems{}
	ix := newInteraction(now, interactionv1.Kind_KIND_MESSAGE, m.Identifiers, m.CitizenID, p)
	ix.Topic, ix.Text = m.Topic, m.Text
	ix.CaseReference = caseReference(m.CaseReference, p)
	if strings.TrimSpace(m.Text) == "" {
		p.add("text", "is required")
	}
	if h := keyHash(m.IdempotencyKey, p); h != "" {
		ix.Details = &interactionv1.Interaction_Web{Web: &interactionv1.WebDetails{IdempotencyKeyHash: h}}
	}
	return ix, finish(ix, p)
}

func buildForm(now time.Time, f Form) (*interactionv1.Interaction, error) {
	p := &problems{}
	ix := newInteraction(now, interactionv1.Kind_KIND_FORM_SUBMISSION, f.Identifiers, f.CitizenID, p)
	ix.Topic = f.Topic
	ix.CaseReference = caseReference(f.CaseReference, p)
	if f.CaseStatus != "" {
		st, ok := ParseCaseStatus(f.CaseStatus)
		if !ok {
			p.add("case_status", "must be one of %s", strings.Join(CaseStatusNames(), ", "))
		}
		ix.CaseStatus = st
	}
	if f.FormID == "" {
		p.add("web.form_id", "is required")
	}
	web := &interactionv1.WebDetails{FormId: f.FormID, Fields: f.Fields, IdempotencyKeyHash: keyHash(f.IdempotencyKey, p)}
	ix.Details = &interactionv1.Interaction_Web{Web: web}
	return ix, finish(ix, p)
}

// newInteraction fills what every web interaction shares: the citizen acts
// for themself, inbound, and every identifier is merely claimed (the web is
// unauthenticated until citizen OIDC arrives).
func newInteraction(now time.Time, kind interactionv1.Kind, ids []Identifier, citizenID string, p *problems) *interactionv1.Interaction {
	if citizenID != "" {
		// Naming a citizen by id would let anyone write to anyone's
		// history; only a signed-in citizen may, once sign-in exists.
		p.add("subject.citizen_id", "is accepted only from a signed-in citizen; send identifiers instead")
	}
	return &interactionv1.Interaction{
		Id:         interaction.NewID(now),
		OccurredAt: timestamppb.New(now),
		Channel:    interactionv1.Channel_CHANNEL_WEB,
		Kind:       kind,
		Direction:  interactionv1.Direction_DIRECTION_INBOUND,
		Actor:      &interactionv1.Actor{Role: interactionv1.ActorRole_ACTOR_ROLE_CITIZEN},
		Subject:    &interactionv1.Subject{CitizenId: citizenID, Identifiers: identifiers(ids, p)},
	}
}

// identifiers parses the type names and normalises the values.
func identifiers(in []Identifier, p *problems) []*interactionv1.Identifier {
	if len(in) > interaction.MaxIdentifiers {
		p.add("subject.identifiers", "at most %d identifiers", interaction.MaxIdentifiers)
		return nil
	}
	out := make([]*interactionv1.Identifier, 0, len(in))
	for i, id := range in {
		field := fmt.Sprintf("subject.identifiers[%d]", i)
		claimed := &interactionv1.Identifier{Value: id.Value, Assurance: interactionv1.Assurance_ASSURANCE_CLAIMED}
		out = append(out, claimed)
		t, ok := identifier.ParseTypeName(id.Type)
		if !ok || !webTypes[t] {
			p.add(field+".type", "must be one of email, phone, case")
			continue
		}
		claimed.Type = t
		norm, err := identifier.Normalize(t, id.Value)
		if err != nil {
			p.add(field+".value", "%s", reason(err))
			continue
		}
		claimed.Value = norm
	}
	return out
}

// caseReference normalises a case reference the way case identifiers are
// (upper case), so that "caf-1" and "CAF-1" designate one case.
func caseReference(ref string, p *problems) string {
	if ref == "" {
		return ""
	}
	norm, err := identifier.Normalize(interactionv1.IdentifierType_IDENTIFIER_TYPE_CASE_REFERENCE, ref)
	if err != nil {
		p.add("case_reference", "%s", reason(err))
		return ref
	}
	return norm
}

func reason(err error) string {
	return strings.TrimPrefix(err.Error(), identifier.ErrInvalid.Error()+": ")
}

// finish runs interaction.Validate and reports its problems with those
// found while building, once per field. identifiers has normalised each
// identifier once already; Validate checks them again without parsing a
// phone number a second time (identifier.Normalize remembers its E.164
// outputs), so libphonenumber runs once per number and per write.
func finish(ix *interactionv1.Interaction, p *problems) error {
	all := p.errs
	var verr interaction.ValidationError
	if err := interaction.Validate(ix); errors.As(err, &verr) {
		seen := make(map[string]bool, len(p.errs))
		for _, fe := range p.errs {
			seen[owner(fe.Field)] = true
		}
		for _, fe := range verr {
			if !seen[owner(fe.Field)] {
				seen[owner(fe.Field)] = true
				all = append(all, fe)
			}
		}
	} else if err != nil {
		return fmt.Errorf("validate interaction: %w", err)
	}
	if len(all) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrInvalid, all)
}

// owner is the field an error belongs to for deduplication: an identifier
// as a whole, so that a bad type does not also report its value.
func owner(field string) string {
	if rest, ok := strings.CutPrefix(field, "subject.identifiers["); ok {
		if i := strings.IndexByte(rest, ']'); i >= 0 {
			return field[:len("subject.identifiers[")+i+1]
		}
	}
	return field
}
