package identifier_test

import (
	"fmt"
	"testing"

	"unisson.dev/platform/identifier"
)

// sink keeps the compiler from discarding benchmarked results.
var sink string

// coldPool is larger than any cache of normalised numbers, so that cycling
// through it measures the first sighting of each number. cursor goes on
// from one benchmark to the next, so that none reuses another's numbers.
const coldPool = 1 << 17

var cursor int

// frenchMobiles returns n distinct valid French mobiles (06 then a digit
// other than 3 and 9), as typed ("06 12 34 56 78") and in E.164.
func frenchMobiles(n int) (typed, e164 []string) {
	third := "01245678"
	for i := range n {
		rest := fmt.Sprintf("%c%07d", third[i%len(third)], (i/len(third)*7919)%10_000_000)
		typed = append(typed, "06 "+rest[:2]+" "+rest[2:4]+" "+rest[4:6]+" "+rest[6:])
		e164 = append(e164, "+336"+rest)
	}
	return typed, e164
}

// BenchmarkNormalizePhone normalises one number again and again (warm: a
// citizen writing again) and a new number each time (cold).
func BenchmarkNormalizePhone(b *testing.B) {
	typed, e164 := frenchMobiles(coldPool)
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

func BenchmarkNormalizeEmail(b *testing.B) {
	for _, bm := range []struct{ name, in string }{
		{"canonical", "jeanne.martin@example.fr"},
		{"mixed_case", "Jeanne.Martin@Example.fr"},
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
