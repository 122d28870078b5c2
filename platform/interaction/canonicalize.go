package interaction

import (
	"strings"

	"unisson.dev/platform/identifier"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
)

// Canonicalize rewrites ix's identifiers and case reference to their
// canonical form, as Normalize does, then checks every field, as Validate
// does, and returns the error Normalize followed by Validate would return.
// It normalises each value once: a value that was already canonical is not
// normalised a second time to check it.
//
// changed reports whether Canonicalize rewrote any field, whatever the
// error. When it is false, ix holds exactly what it held before, so wire
// bytes it was decoded from still encode it and need not be marshalled
// again.
func Canonicalize(ix *interactionv1.Interaction) (changed bool, err error) {
	changed, canonical, err := normalize(ix)
	if err != nil {
		return changed, err
	}
	return changed, validate(ix, canonical)
}

// normalize is Normalize. It also reports whether it changed a field, and
// sets bit i of canonical when identifier i's value normalised to itself.
func normalize(ix *interactionv1.Interaction) (changed bool, canonical uint64, err error) {
	c := &checker{}
	if ref := ix.GetCaseReference(); ref != "" {
		if norm, err := identifier.Normalize(interactionv1.IdentifierType_IDENTIFIER_TYPE_CASE_REFERENCE, ref); err == nil && norm != ref {
			ix.CaseReference = norm
			changed = true
		}
	}
	for i, id := range ix.GetSubject().GetIdentifiers() {
		norm, err := identifier.Normalize(id.GetType(), id.GetValue())
		switch {
		case err != nil:
			c.fail(identifierField(i, "value"), "%s",
				strings.TrimPrefix(err.Error(), identifier.ErrInvalid.Error()+": "))
		case norm == id.GetValue():
			if i < 64 {
				canonical |= 1 << i
			}
		default:
			id.Value = norm
			changed = true
		}
	}
	if len(c.errs) == 0 {
		return changed, canonical, nil
	}
	return changed, canonical, c.errs
}
