package interaction

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/oklog/ulid/v2"

	"unisson.dev/platform/identifier"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
)

// Limits of an interaction's fields. They bound what one event costs to store
// and to send to every watcher.
const (
	MaxTextBytes        = 16 << 10
	MaxIdentifiers      = 16
	MaxTopicLength      = 128
	MaxReferenceLength  = 64
	MaxActorIDLength    = 128
	MaxFormFields       = 100
	MaxFieldNameLength  = 64
	MaxFieldValueBytes  = 4 << 10
	MaxDetailTextLength = 998
)

var topicPattern = regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*$`)

// FieldError names one field that breaks a rule.
type FieldError struct {
	Field  string
	Reason string
}

func (e FieldError) Error() string { return e.Field + ": " + e.Reason }

// ValidationError lists every rule an event breaks, so a client learns all
// its mistakes at once.
type ValidationError []FieldError

func (v ValidationError) Error() string {
	parts := make([]string, len(v))
	for i, e := range v {
		parts[i] = e.Error()
	}
	return "invalid interaction: " + strings.Join(parts, "; ")
}

type checker struct{ errs ValidationError }

func (c *checker) fail(field, format string, args ...any) {
	c.errs = append(c.errs, FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
}

// Validate checks every field of ix and returns a ValidationError listing all
// problems, or nil. Identifier values must already be normalised (see
// Normalize); Validate never changes ix. Checking that a phone number is in
// E.164 right after Normalize wrote it costs no second parse (see
// identifier.Normalize); Canonicalize does both steps in one pass.
func Validate(ix *interactionv1.Interaction) error {
	return validate(ix, 0)
}

// validate is Validate, except that the values of the identifiers whose bit
// is set in canonical (bit i for identifier i) are known to be their own
// normal form and are not normalised again.
func validate(ix *interactionv1.Interaction, canonical uint64) error {
	if ix == nil {
		return ValidationError{{Field: "interaction", Reason: "is required"}}
	}
	c := &checker{}
	if _, err := ulid.ParseStrict(ix.GetId()); err != nil {
		c.fail("id", "must be a ULID")
	}
	if ix.GetOccurredAt() == nil || ix.GetOccurredAt().CheckValid() != nil {
		c.fail("occurred_at", "is required")
	}
	checkEnum(c, "channel", int32(ix.GetChannel()), interactionv1.Channel_name)
	checkEnum(c, "kind", int32(ix.GetKind()), interactionv1.Kind_name)
	checkEnum(c, "direction", int32(ix.GetDirection()), interactionv1.Direction_name)
	checkActor(c, ix.GetActor())
	checkSubject(c, ix.GetSubject(), canonical)
	if t := ix.GetTopic(); t != "" && (len(t) > MaxTopicLength || !topicPattern.MatchString(t)) {
		c.fail("topic", "must be at most %d characters of a-z, 0-9 and . _ - separators", MaxTopicLength)
	}
	checkReference(c, "case_reference", ix.GetCaseReference())
	if s := ix.GetCaseStatus(); s != interactionv1.CaseStatus_CASE_STATUS_UNSPECIFIED {
		checkEnum(c, "case_status", int32(s), interactionv1.CaseStatus_name)
		if ix.GetCaseReference() == "" {
			c.fail("case_reference", "is required when case_status is set")
		}
	}
	if ix.GetKind() == interactionv1.Kind_KIND_FORM_SUBMISSION && ix.GetCaseReference() == "" {
		c.fail("case_reference", "is required for a form submission")
	}
	checkText(c, "text", ix.GetText(), MaxTextBytes)
	checkDetails(c, ix)
	if len(c.errs) == 0 {
		return nil
	}
	return c.errs
}

// unknownEnum is the reason given for an enum field without a known value.
const unknownEnum = "is required and must be a known value"

func checkEnum(c *checker, field string, v int32, names map[int32]string) {
	if !knownEnum(v, names) {
		c.fail(field, unknownEnum)
	}
}

// knownEnum reports whether v is a known value of an enum other than its
// zero, unspecified one.
func knownEnum(v int32, names map[int32]string) bool {
	_, ok := names[v]
	return ok && v != 0
}

func checkActor(c *checker, a *interactionv1.Actor) {
	if a == nil {
		c.fail("actor", "is required")
		return
	}
	checkEnum(c, "actor.role", int32(a.GetRole()), interactionv1.ActorRole_name)
	switch a.GetRole() {
	case interactionv1.ActorRole_ACTOR_ROLE_AGENT, interactionv1.ActorRole_ACTOR_ROLE_HELPER:
		if a.GetId() == "" {
			c.fail("actor.id", "is required for an agent or a helper")
		}
	}
	if a.GetRole() == interactionv1.ActorRole_ACTOR_ROLE_HELPER && a.GetMandateId() == "" {
		c.fail("actor.mandate_id", "is required for a helper acting for the citizen")
	}
	checkText(c, "actor.id", a.GetId(), MaxActorIDLength)
	checkText(c, "actor.mandate_id", a.GetMandateId(), MaxActorIDLength)
}

func checkSubject(c *checker, s *interactionv1.Subject, canonical uint64) {
	if s == nil || (s.GetCitizenId() == "" && len(s.GetIdentifiers()) == 0) {
		c.fail("subject", "needs a citizen id or at least one identifier")
		return
	}
	checkReference(c, "subject.citizen_id", s.GetCitizenId())
	if len(s.GetIdentifiers()) > MaxIdentifiers {
		c.fail("subject.identifiers", "at most %d identifiers", MaxIdentifiers)
		return
	}
	// Field names are built only when a check fails: formatting them for
	// every identifier cost three allocations each, on the path every
	// valid event takes.
	for i, id := range s.GetIdentifiers() {
		if !knownEnum(int32(id.GetType()), interactionv1.IdentifierType_name) {
			c.fail(identifierField(i, "type"), unknownEnum)
		}
		if !knownEnum(int32(id.GetAssurance()), interactionv1.Assurance_name) {
			c.fail(identifierField(i, "assurance"), unknownEnum)
		}
		if canonical&(1<<i) != 0 {
			continue
		}
		norm, err := identifier.Normalize(id.GetType(), id.GetValue())
		switch {
		case err != nil:
			c.fail(identifierField(i, "value"), "%s", strings.TrimPrefix(err.Error(), identifier.ErrInvalid.Error()+": "))
		case norm != id.GetValue():
			c.fail(identifierField(i, "value"), "is not normalised")
		}
	}
}

// identifierField names a field of the subject's identifier i, e.g.
// "subject.identifiers[0].value".
func identifierField(i int, name string) string {
	return fmt.Sprintf("subject.identifiers[%d].%s", i, name)
}

func checkReference(c *checker, field, v string) {
	if v == "" {
		return
	}
	if len(v) > MaxReferenceLength || strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		c.fail(field, "must be at most %d printable characters without spaces", MaxReferenceLength)
	}
}

func checkText(c *checker, field, v string, max int) {
	if len(v) > max {
		c.fail(field, "must be at most %d bytes", max)
	} else if !utf8.ValidString(v) {
		c.fail(field, "must be UTF-8")
	}
}

func checkDetails(c *checker, ix *interactionv1.Interaction) {
	var want interactionv1.Channel
	switch d := ix.GetDetails().(type) {
	case nil:
		return
	case *interactionv1.Interaction_Web:
		want = interactionv1.Channel_CHANNEL_WEB
		checkFields(c, d.Web.GetFields())
		checkReference(c, "web.form_id", d.Web.GetFormId())
	case *interactionv1.Interaction_Mobile:
		want = interactionv1.Channel_CHANNEL_MOBILE
	case *interactionv1.Interaction_Email:
		want = interactionv1.Channel_CHANNEL_EMAIL
		checkText(c, "email.subject", d.Email.GetSubject(), MaxDetailTextLength)
	case *interactionv1.Interaction_Phone:
		want = interactionv1.Channel_CHANNEL_PHONE
	case *interactionv1.Interaction_Counter:
		want = interactionv1.Channel_CHANNEL_COUNTER
	}
	if want != ix.GetChannel() {
		c.fail("details", "must match the channel")
	}
}

func checkFields(c *checker, fields map[string]string) {
	if len(fields) > MaxFormFields {
		c.fail("web.fields", "at most %d fields", MaxFormFields)
		return
	}
	for k, v := range fields {
		if k == "" || len(k) > MaxFieldNameLength || !utf8.ValidString(k) {
			c.fail("web.fields", "field names must be 1 to %d bytes of UTF-8", MaxFieldNameLength)
		}
		checkText(c, "web.fields["+k+"]", v, MaxFieldValueBytes)
	}
}

// Normalize rewrites every identifier of ix's subject, and its case
// reference, to their canonical form. It returns a ValidationError naming the
// identifiers that cannot be normalised and leaves those unchanged.
func Normalize(ix *interactionv1.Interaction) error {
	_, _, err := normalize(ix)
	return err
}
