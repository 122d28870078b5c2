package identifier_test

import (
	"testing"

	"unisson.dev/platform/identifier"
	"unisson.dev/platform/identifier/identifiertest"
)

// sink keeps the compiler from discarding benchmarked results.
var sink string

// coldPool is larger than any cache of normalised numbers, so that cycling
// through it measures the first sighting of each number. cursor goes on
// from one benchmark to the next, so that none reuses another's numbers.
const coldPool = 1 << 17

var cursor int

// BenchmarkNormalizePhone normalises one number again and again (warm: a
// citizen writing again) and a new number each time (cold).
func BenchmarkNormalizePhone(b *testing.B) {
	typed, e164 := identifiertest.FrenchMobiles(coldPool)
	for _, bm := range []struct {
		name string
		in   []string
	}{
		{"canonical", []string{"+33612345678"}},
		{"national", []string{"06 12 34 56 78"}},
		{"canonical_cold", e164},
		{"national_cold", typed},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				out, err := identifier.Normalize(phone, bm.in[cursor%len(bm.in)])
				if err != nil {
					b.Fatal(err)
				}
				sink = out
				cursor++
			}
		})
	}
}

// BenchmarkNormalizeEmail normalises an address written the usual way, in
// lower case (as every event on the log carries it) and with capitals, and
// one the fast path leaves to net/mail.
func BenchmarkNormalizeEmail(b *testing.B) {
	for _, bm := range []struct{ name, in string }{
		{"canonical", "jeanne.martin@example.fr"},
		{"mixed_case", "Jeanne.Martin@Example.fr"},
		{"domain_literal", "jeanne.martin@[192.0.2.1]"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				out, err := identifier.Normalize(email, bm.in)
				if err != nil {
					b.Fatal(err)
				}
				sink = out
			}
		})
	}
}
