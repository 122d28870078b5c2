package identifier

import (
	"fmt"
	"strings"
	"testing"
)

// emailShapes returns addresses plainEmail must read (fast) and many it
// must leave to net/mail (other), valid or not: quotes, comments,
// brackets, spaces, non-ASCII, misplaced dots, several or no '@', empty
// parts, domain literals, display names, groups and lists.
func emailShapes() (fast, other []string) {
	long := strings.Repeat("a", 64)
	fast = []string{
		"jeanne@example.fr", "jeanne.martin@example.fr", "Jeanne.Martin@Example.FR",
		"JEANNE@EXAMPLE.FR", "j@x.y", "a.b.c@d.e.f", "jeanne+caf@example.fr",
		"!#$%&'*+-/=?^_`{|}~@example.fr", "a@!#$%&'*+-/=?^_`{|}~.fr", "a@-.-", "0@0.0",
		long + "@example.fr", strings.Repeat(long+".", 3) + long + "@example.fr",
		"a@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + ".fr",
		strings.Repeat("J", 240) + "@Example.FR", strings.Repeat("a", 300) + "@example.fr",
	}
	other = []string{
		"", "@", "@@", "a@", "@example.fr", "a@b", "a@localhost", "jeanne", "jeanne.martin",
		"a@@example.fr", "a@b@example.fr", "a@example.fr@", "@a@example.fr",
		".a@example.fr", "a.@example.fr", "a..b@example.fr", "a@.example.fr",
		"a@example.fr.", "a@example..fr", "a@.", "a@..", ".@example.fr", "a@b.",
		`"jeanne"@example.fr`, `"jeanne martin"@example.fr`, `""@example.fr`, `"a@b"@example.fr`,
		`"a\"b"@example.fr`, `"a\\b"@example.fr`, `"unclosed@example.fr`, `a"b@example.fr`,
		"a@[192.0.2.1]", "a@[IPv6:2001:db8::1]", "a@[example.fr]", "a@[]", "a@[unclosed",
		"a@[1.2.3.4].fr", "[a]@example.fr",
		"Jeanne <jeanne@example.fr>", "<jeanne@example.fr>", `"Jeanne M" <jeanne@example.fr>`,
		"jeanne@example.fr (Jeanne)", "(Jeanne) jeanne@example.fr", "jeanne(x)@example.fr",
		"jeanne@(x)example.fr", "jeanne@example.fr(x)", "jeanne@example.fr (unclosed",
		"jeanne@example.fr ()", "=?utf-8?q?J=C3=A9?= <j@example.fr>",
		"group: jeanne@example.fr;", "group:;", "a@example.fr, b@example.fr", "a@example.fr,",
		" jeanne@example.fr", "jeanne@example.fr ", "jeanne @example.fr", "jeanne@ example.fr",
		"jeanne@exa mple.fr", "\tjeanne@example.fr", "jeanne@example.fr\t", "jeanne@example.fr\n",
		"jeanne@example.fr\r\n", "jean\x00ne@example.fr", "jeanne@example.fr\x7f", "a\\b@example.fr",
		"a,b@example.fr", "a;b@example.fr", "a:b@example.fr", "a<b@example.fr", "a>b@example.fr",
		"a(b@example.fr", "a)b@example.fr", "a]b@example.fr", "jeanne@example,fr", "jeanne@example;fr",
		"jérôme@example.fr", "Jérôme@Example.fr", "jeanne@exämple.fr", "Ⱥ@example.fr",
		"\u212a@example.fr", "jeanne@\u212aelvin.fr", "İ@example.fr", "ß@example.fr",
		"jeanne@example.fr\u00a0", "\ufeffjeanne@example.fr", "jeanne@example\u3002fr",
		"\xff@example.fr", "jeanne@example.\xc3", "jeanne\u200b@example.fr",
		strings.Repeat("a", 300) + "@localhost", strings.Repeat("Ⱥ", 120) + "@example.fr",
		"a@" + strings.Repeat("b.", 200) + "fr.",
	}
	return fast, other
}

// emailFragments are the pieces exhaustiveEmails puts together: the
// characters that change how net/mail reads an address, and plain ones.
const emailFragments = "aZ.@\"( )<>[]\\,:;é\t"

// exhaustiveEmails returns every string of up to n runes of alphabet.
func exhaustiveEmails(alphabet string, n int) []string {
	runes := []rune(alphabet)
	all := []string{""}
	for level := []string{""}; n > 0; n-- {
		var next []string
		for _, s := range level {
			for _, r := range runes {
				next = append(next, s+string(r))
			}
		}
		all, level = append(all, next...), next
	}
	return all
}

// dottedEmails returns base with a dot, two dots or any ASCII byte
// inserted at each position, and with each letter in upper case.
func dottedEmails(base string) []string {
	var out []string
	for i := 0; i <= len(base); i++ {
		for c := range 128 {
			out = append(out, base[:i]+string(rune(c))+base[i:])
		}
		out = append(out, base[:i]+".."+base[i:], base[:i]+"é"+base[i:])
		for j := i; j <= len(base); j++ {
			out = append(out, base[:i]+"."+base[i:j]+"."+base[j:])
		}
		if i < len(base) {
			out = append(out, base[:i]+strings.ToUpper(base[i:i+1])+base[i+1:], base[:i]+base[i+1:])
		}
	}
	return out
}

// normalizeEmail returns what parseEmail, net/mail alone, does for every
// address, and its fast path answers for every address written the usual
// way.
func TestEmailFastPathMatchesParse(t *testing.T) {
	t.Parallel()
	fast, other := emailShapes()
	inputs := append(append([]string{}, fast...), other...)
	inputs = append(inputs, dottedEmails("ab@cd.ef")...)
	inputs = append(inputs, exhaustiveEmails(emailFragments, 4)...)
	inputs = append(inputs, exhaustiveEmails("aB.@-", 7)...)
	answered := 0
	for i, in := range inputs {
		want, wantErr := parseEmail(in)
		got, err := normalizeEmail(in)
		if got != want || fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Fatalf("normalizeEmail(%q) = %q, %v; net/mail gives %q, %v", in, got, err, want, wantErr)
		}
		ok := plainEmail(in)
		if ok {
			answered++
		}
		if i < len(fast) && !ok {
			t.Errorf("plainEmail(%q) left to net/mail", in)
		}
		if i >= len(fast) && i < len(fast)+len(other) && ok {
			t.Errorf("plainEmail(%q) answered, want it left to net/mail", in)
		}
	}
	t.Logf("%d inputs, %d answered by the fast path", len(inputs), answered)
}

// An address in lower case costs no allocation; one with capitals, the
// lower-case copy only.
func TestEmailFastPathAllocations(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want float64
	}{
		{"jeanne.martin@example.fr", 0},
		{"Jeanne.Martin@Example.FR", 1},
	} {
		if got := testing.AllocsPerRun(100, func() { _, _ = normalizeEmail(tt.in) }); got != tt.want {
			t.Errorf("normalizeEmail(%q) allocates %v times, want %v", tt.in, got, tt.want)
		}
	}
}

// Whatever the input, normalizeEmail returns what net/mail alone does:
// the same address, or an error when it gives one.
func FuzzEmailFastPath(f *testing.F) {
	fast, other := emailShapes()
	for _, s := range append(append([]string{}, fast...), other...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		want, wantErr := parseEmail(in)
		got, err := normalizeEmail(in)
		if got != want || (err != nil) != (wantErr != nil) {
			t.Fatalf("normalizeEmail(%q) = %q, %v; net/mail gives %q, %v", in, got, err, want, wantErr)
		}
	})
}

// BenchmarkEmailFastPath normalises an address on the fast path and with
// net/mail alone.
func BenchmarkEmailFastPath(b *testing.B) {
	for _, bm := range []struct {
		name string
		in   string
	}{
		{"canonical", "jeanne.martin@example.fr"},
		{"mixed_case", "Jeanne.Martin@Example.fr"},
	} {
		for _, path := range []struct {
			name  string
			parse func(string) (string, error)
		}{{"fast", normalizeEmail}, {"net_mail", parseEmail}} {
			b.Run(bm.name+"/"+path.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := path.parse(bm.in); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
