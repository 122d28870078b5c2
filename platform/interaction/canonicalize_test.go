package interaction_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"unisson.dev/platform/interaction"
	v1 "unisson.dev/proto/unisson/interaction/v1"
)

// normalizeValidate is the two-step check Canonicalize replaces.
func normalizeValidate(ix *v1.Interaction) error {
	if err := interaction.Normalize(ix); err != nil {
		return err
	}
	return interaction.Validate(ix)
}

// checkLikeNormalizeValidate runs Canonicalize on ix and Normalize then
// Validate on a copy, and fails unless both leave the same interaction and
// the same error, and changed tells whether ix changed.
func checkLikeNormalizeValidate(t *testing.T, ix *v1.Interaction) (changed bool, err error) {
	t.Helper()
	before := proto.Clone(ix).(*v1.Interaction)
	ref := proto.Clone(ix).(*v1.Interaction)
	wantErr := normalizeValidate(ref)
	changed, err = interaction.Canonicalize(ix)
	if !reflect.DeepEqual(err, wantErr) {
		t.Fatalf("Canonicalize error = %v; Normalize+Validate give %v", err, wantErr)
	}
	if !proto.Equal(ix, ref) {
		t.Fatalf("Canonicalize left %v; Normalize leaves %v", ix, ref)
	}
	if changed == proto.Equal(ix, before) {
		t.Fatalf("changed = %v, but the interaction went from %v to %v", changed, before, ix)
	}
	return changed, err
}

func TestCanonicalize(t *testing.T) {
	t.Parallel()
	phone := func(v string) *v1.Identifier {
		return &v1.Identifier{Type: v1.IdentifierType_IDENTIFIER_TYPE_PHONE, Value: v, Assurance: v1.Assurance_ASSURANCE_CLAIMED}
	}
	tests := []struct {
		name        string
		mutate      func(*v1.Interaction)
		wantChanged bool
		wantFields  []string // fields the error names, in order
	}{
		{"canonical", func(*v1.Interaction) {}, false, nil},
		{"canonical phone", func(ix *v1.Interaction) {
			ix.Subject.Identifiers = append(ix.Subject.Identifiers, phone("+33612345678"))
		}, false, nil},
		{"phone as typed", func(ix *v1.Interaction) {
			ix.Subject.Identifiers = append(ix.Subject.Identifiers, phone("06 12 34 56 78"))
		}, true, nil},
		{"phone with spaces around", func(ix *v1.Interaction) {
			ix.Subject.Identifiers = append(ix.Subject.Identifiers, phone(" +33612345678 "))
		}, true, nil},
		{"e-mail with capitals", func(ix *v1.Interaction) { ix.Subject.Identifiers[0].Value = "Jeanne@Example.FR" }, true, nil},
		{"case reference in lower case", func(ix *v1.Interaction) { ix.CaseReference = "caf-2026-1" }, true, nil},
		{"canonical case reference", func(ix *v1.Interaction) { ix.CaseReference = "CAF-2026-1" }, false, nil},
		{"invalid phone and topic", func(ix *v1.Interaction) {
			ix.Subject.Identifiers = append(ix.Subject.Identifiers, phone("12"), phone("06 12 34 56 78"))
			ix.Topic = "Bad Topic"
		}, true, []string{"subject.identifiers[1].value"}},
		{"canonical identifiers, bad topic", func(ix *v1.Interaction) {
			ix.Subject.Identifiers = append(ix.Subject.Identifiers, phone("06 12 34 56 78"))
			ix.Topic = "Bad Topic"
		}, true, []string{"topic"}},
		{"unknown identifier type", func(ix *v1.Interaction) { ix.Subject.Identifiers[0].Type = 0 }, false,
			[]string{"subject.identifiers[0].value"}},
		{"no assurance", func(ix *v1.Interaction) { ix.Subject.Identifiers[0].Assurance = 0 }, false,
			[]string{"subject.identifiers[0].assurance"}},
		{"too many identifiers", func(ix *v1.Interaction) {
			for i := range interaction.MaxIdentifiers {
				ix.Subject.Identifiers = append(ix.Subject.Identifiers, phone(fmt.Sprintf("06 12 34 56 %02d", i)))
			}
		}, true, []string{"subject.identifiers"}},
		{"e-mail too long once lower-cased", func(ix *v1.Interaction) {
			// "Ⱥ" takes 2 bytes and its lower case 3: normalisation
			// refuses the address, whose canonical form would pass the
			// length limit, before changing anything.
			ix.Subject.Identifiers[0].Value = strings.Repeat("Ⱥ", 120) + "@example.fr"
		}, false, []string{"subject.identifiers[0].value"}},
		{"no subject", func(ix *v1.Interaction) { ix.Subject = nil }, false, []string{"subject"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ix := valid()
			tt.mutate(ix)
			changed, err := checkLikeNormalizeValidate(t, ix)
			if changed != tt.wantChanged {
				t.Errorf("changed = %v, want %v", changed, tt.wantChanged)
			}
			var fields []string
			if verr, ok := err.(interaction.ValidationError); ok {
				for _, fe := range verr {
					fields = append(fields, fe.Field)
				}
			} else if err != nil {
				t.Fatalf("error %v is not a ValidationError", err)
			}
			if !reflect.DeepEqual(fields, tt.wantFields) {
				t.Errorf("error %v names %q, want %q", err, fields, tt.wantFields)
			}
		})
	}
}

func TestCanonicalizeNil(t *testing.T) {
	t.Parallel()
	changed, err := interaction.Canonicalize(nil)
	if want := normalizeValidate(nil); changed || !reflect.DeepEqual(err, want) {
		t.Fatalf("Canonicalize(nil) = %v, %v; want false, %v", changed, err, want)
	}
}

// Whatever bytes arrive on the log, Canonicalize does what Normalize then
// Validate do, and what it accepts is canonical: a second pass changes
// nothing.
func FuzzCanonicalize(f *testing.F) {
	ix := valid()
	ix.CaseReference = "caf-1"
	ix.Subject.Identifiers = append(ix.Subject.Identifiers,
		&v1.Identifier{Type: v1.IdentifierType_IDENTIFIER_TYPE_PHONE, Value: "06 12 34 56 78", Assurance: v1.Assurance_ASSURANCE_CLAIMED})
	for _, seed := range []*v1.Interaction{valid(), ix} {
		b, err := proto.Marshal(seed)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ix := &v1.Interaction{}
		if proto.Unmarshal(data, ix) != nil {
			return
		}
		if _, err := checkLikeNormalizeValidate(t, ix); err != nil {
			return
		}
		if again, err := checkLikeNormalizeValidate(t, ix); again || err != nil {
			t.Fatalf("accepted interaction changed again (%v) or failed: %v", again, err)
		}
	})
}
