package identifier_test

import (
	"errors"
	"strings"
	"testing"

	"unisson.dev/platform/identifier"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
)

const (
	email = interactionv1.IdentifierType_IDENTIFIER_TYPE_EMAIL
	phone = interactionv1.IdentifierType_IDENTIFIER_TYPE_PHONE
	idp   = interactionv1.IdentifierType_IDENTIFIER_TYPE_IDP_SUBJECT
	ref   = interactionv1.IdentifierType_IDENTIFIER_TYPE_CASE_REFERENCE
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		typ     interactionv1.IdentifierType
		in      string
		want    string
		wantErr bool
	}{
		{"email lower-cased", email, " Jeanne.Martin@Example.FR ", "jeanne.martin@example.fr", false},
		{"email with display name", email, "Jeanne <j@example.fr>", "", true},
		{"email without domain dot", email, "j@localhost", "", true},
		{"email garbage", email, "not-an-email", "", true},
		// "Ⱥ" takes 2 bytes and its lower case 3: 251 bytes typed, 371 once
		// lower-cased, past MaxLength.
		{"email too long once lower-cased", email, strings.Repeat("Ⱥ", 120) + "@example.fr", "", true},
		{"email at the limit once lower-cased", email, strings.Repeat("Ⱥ", 81) + "@example.fr", strings.Repeat("ⱥ", 81) + "@example.fr", false},
		{"french mobile national", phone, "06 12 34 56 78", "+33612345678", false},
		{"french mobile international", phone, "+33 6 12 34 56 78", "+33612345678", false},
		{"belgian number", phone, "+32 470 12 34 56", "+32470123456", false},
		{"réunion mobile national", phone, "0692 12 34 56", "+262692123456", false},
		{"réunion landline national", phone, "02 62 12 34 56", "+262262123456", false},
		{"guadeloupe mobile national", phone, "06.90.12.34.56", "+590690123456", false},
		{"martinique mobile national", phone, "0696123456", "+596696123456", false},
		{"guyane mobile national", phone, "0694 12 34 56", "+594694123456", false},
		{"réunion mobile international", phone, "+262 692 12 34 56", "+262692123456", false},
		{"short number not read as saint-pierre", phone, "0692123", "", true},
		{"overseas prefix too short", phone, "0692 12 34 5", "", true},
		{"too short", phone, "0612", "", true},
		{"letters", phone, "call me", "", true},
		{"idp subject kept", idp, "https://idp.example|AbC123", "https://idp.example|AbC123", false},
		{"idp subject with space", idp, "a b", "", true},
		{"case reference upper-cased", ref, "caf-2026-000123", "CAF-2026-000123", false},
		{"empty", ref, "  ", "", true},
		{"unknown type", interactionv1.IdentifierType_IDENTIFIER_TYPE_UNSPECIFIED, "x", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := identifier.Normalize(tt.typ, tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Normalize(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, identifier.ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			if got != tt.want {
				t.Fatalf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTypeNamesRoundTrip(t *testing.T) {
	t.Parallel()
	for _, typ := range []interactionv1.IdentifierType{email, phone, idp, ref, interactionv1.IdentifierType_IDENTIFIER_TYPE_DEVICE_ID} {
		got, ok := identifier.ParseTypeName(identifier.TypeName(typ))
		if !ok || got != typ {
			t.Errorf("ParseTypeName(TypeName(%v)) = %v, %v", typ, got, ok)
		}
	}
	if _, ok := identifier.ParseTypeName("unknown"); ok {
		t.Error("ParseTypeName(unknown) succeeded")
	}
}

// Normalising is idempotent and never accepts what it then rejects.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"jeanne@example.fr", "06 12 34 56 78", "+33612345678", "CAF-1", "a@b.c", "\x00"} {
		f.Add(int32(1), s)
		f.Add(int32(2), s)
		f.Add(int32(4), s)
	}
	f.Fuzz(func(t *testing.T, typ int32, in string) {
		it := interactionv1.IdentifierType(typ)
		out, err := identifier.Normalize(it, in)
		if err != nil {
			return
		}
		again, err := identifier.Normalize(it, out)
		if err != nil || again != out {
			t.Fatalf("Normalize(%q) = %q, but Normalize(%q) = %q, %v", in, out, out, again, err)
		}
	})
}
