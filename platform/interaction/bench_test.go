package interaction_test

import (
	"testing"

	"unisson.dev/platform/identifier/identifiertest"
	"unisson.dev/platform/interaction"
	v1 "unisson.dev/proto/unisson/interaction/v1"
)

// coldPool is larger than any cache of normalised numbers, so that cycling
// through it measures the first sighting of each number. cursor goes on
// from one benchmark to the next, so that none reuses another's numbers.
const coldPool = 1 << 17

var cursor int

// BenchmarkNormalizeValidate checks a web message from a citizen who gave
// an e-mail address and a phone number: as typed on the web ("06 12 34 56
// 78"), or canonical as the projector reads it from the log; the same
// number each time (warm) or a new one each time (cold).
func BenchmarkNormalizeValidate(b *testing.B) {
	typed, e164 := identifiertest.FrenchMobiles(coldPool)
	paths := []struct {
		name string
		run  func(*v1.Interaction) error
	}{
		{"normalize+validate", func(ix *v1.Interaction) error {
			if err := interaction.Normalize(ix); err != nil {
				return err
			}
			return interaction.Validate(ix)
		}},
		{"canonicalize", func(ix *v1.Interaction) error {
			_, err := interaction.Canonicalize(ix)
			return err
		}},
	}
	for _, in := range []struct {
		name   string
		phones []string
	}{
		{"typed", []string{"06 12 34 56 78"}},
		{"canonical", []string{"+33612345678"}},
		{"typed_cold", typed},
		{"canonical_cold", e164},
	} {
		for _, path := range paths {
			b.Run(in.name+"/"+path.name, func(b *testing.B) {
				ix := valid()
				ix.Subject.Identifiers = append(ix.Subject.Identifiers,
					&v1.Identifier{Type: v1.IdentifierType_IDENTIFIER_TYPE_PHONE, Assurance: v1.Assurance_ASSURANCE_CLAIMED})
				b.ReportAllocs()
				for b.Loop() {
					ix.Subject.Identifiers[0].Value = "jeanne.martin@example.fr"
					ix.Subject.Identifiers[1].Value = in.phones[cursor%len(in.phones)]
					if err := path.run(ix); err != nil {
						b.Fatal(err)
					}
					cursor++
				}
			})
		}
	}
}

// BenchmarkValidate checks a canonical web message from a citizen who gave
// an e-mail address and a phone number, as the projector reads it from the
// log: Validate alone, and Canonicalize, which finds nothing to rewrite.
// Neither should allocate for a valid identifier.
func BenchmarkValidate(b *testing.B) {
	ix := valid()
	ix.Subject.Identifiers = append(ix.Subject.Identifiers,
		&v1.Identifier{Type: v1.IdentifierType_IDENTIFIER_TYPE_PHONE, Value: "+33612345678", Assurance: v1.Assurance_ASSURANCE_CLAIMED})
	for _, bm := range []struct {
		name string
		run  func(*v1.Interaction) error
	}{
		{"validate", interaction.Validate},
		{"canonicalize", func(ix *v1.Interaction) error {
			_, err := interaction.Canonicalize(ix)
			return err
		}},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := bm.run(ix); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
