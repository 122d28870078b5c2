package identifier

import (
	"fmt"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"

	"unisson.dev/platform/identifier/identifiertest"
)

// frenchMetadata is what frenchValid and frenchNSN were written from:
// libphonenumber's metadata for France, pattern by number type. If it
// changes, derive them again from the new patterns and update this.
var frenchMetadata = map[string]string{
	"general":     `[1-9]\d{8}`,
	"fixed line":  `(?:26[013-9]|59[1-35-9])\d{6}|(?:[13]\d|2[0-57-9]|4[1-9]|5[0-8])\d{7}`,
	"mobile":      `(?:6(?:[0-24-8]\d|3[0-8]|9[589])|7[3-9]\d)\d{6}`,
	"toll free":   `80[0-5]\d{6}`,
	"premium":     `836(?:0[0-36-9]|[1-9]\d)\d{4}|8(?:1[2-9]|2[2-47-9]|3[0-57-9]|[569]\d|8[0-35-9])\d{6}`,
	"shared cost": `8(?:1[01]|2[0156]|4[024]|84)\d{6}`,
	"voip":        `9\d{8}`,
	"uan":         `80[6-9]\d{6}`,
	"pager":       "NA", "personal": "NA", "voicemail": "NA",
	"national prefix for parsing": "0", "international prefix": "00", "regions of 33": "[FR]",
}

func TestFrenchMetadataUnchanged(t *testing.T) {
	t.Parallel()
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{"regions of 33": fmt.Sprint(phonenumbers.GetRegionCodesForCountryCode(33))}
	for _, md := range coll.GetMetadata() {
		if md.GetId() != "FR" {
			continue
		}
		for name, d := range map[string]*phonenumbers.PhoneNumberDesc{
			"general": md.GetGeneralDesc(), "fixed line": md.GetFixedLine(), "mobile": md.GetMobile(),
			"toll free": md.GetTollFree(), "premium": md.GetPremiumRate(), "shared cost": md.GetSharedCost(),
			"voip": md.GetVoip(), "uan": md.GetUan(), "pager": md.GetPager(),
			"personal": md.GetPersonalNumber(), "voicemail": md.GetVoicemail(),
		} {
			got[name] = d.GetNationalNumberPattern()
			if l := d.GetPossibleLength(); len(l) > 0 && (len(l) != 1 || l[0] != 9) {
				got[name] += fmt.Sprint(" lengths ", l)
			}
		}
		got["national prefix for parsing"] = md.GetNationalPrefixForParsing() + md.GetNationalPrefixTransformRule()
		got["international prefix"] = md.GetInternationalPrefix()
	}
	// go-cmp is not a dependency of this module; the maps are flat.
	for name, was := range frenchMetadata {
		if now := got[name]; now != was {
			t.Errorf("French metadata changed: %s was %q, now %q", name, was, now)
		}
	}
	if len(got) != len(frenchMetadata) {
		t.Errorf("French metadata: got %d entries, want %d", len(got), len(frenchMetadata))
	}
}

// frenchValid agrees with IsValidNumber on every five-digit prefix of a
// French national significant number (the patterns look no further), with
// in turn the lowest suffix, the highest and another.
func TestFrenchValidRanges(t *testing.T) {
	t.Parallel()
	for first := range 10 {
		t.Run(fmt.Sprint(first), func(t *testing.T) {
			t.Parallel()
			cc := int32(33)
			for prefix := first * 10_000; prefix < (first+1)*10_000; prefix++ {
				suffix := [...]int{0, 9999, prefix * 7919 % 10_000}[prefix%3]
				nsn := fmt.Sprintf("%05d%04d", prefix, suffix)
				want := false
				if first != 0 { // NationalNumber would lose the leading zero
					n := uint64(prefix*10_000 + suffix)
					want = phonenumbers.IsValidNumber(&phonenumbers.PhoneNumber{CountryCode: &cc, NationalNumber: &n})
				}
				if got := frenchValid([]byte(nsn)); got != want {
					t.Fatalf("frenchValid(%s) = %v, IsValidNumber says %v", nsn, got, want)
				}
			}
		})
	}
}

// frenchShapes writes the national significant number n the ways
// frenchPhone reads (fast) and many ways it must leave to libphonenumber.
func frenchShapes(n string) (fast, other []string) {
	group := func(sep string) string { // "6 12 34 56 78"
		return n[:1] + sep + n[1:3] + sep + n[3:5] + sep + n[5:7] + sep + n[7:]
	}
	fast = []string{
		"0" + n, "0" + group(" "), "0" + group("."), "0" + group("-"), "0" + group("/"),
		"0" + group("\u00a0"), "0" + group("  "), "0" + group(" - "),
		"0" + n[:1] + " (" + n[1:3] + ") " + n[3:], "(0" + n[:1] + ")" + n[1:], "(0" + n + ")", "0" + n + ".",
		".0" + n, "-0" + group("-") + "-", "+ 33 " + group(" "), "+(33)" + n, "+33" + n + ")",
		"+33" + n, "+33 " + group(" "), "+3 3" + n, "+33 (0)" + group(" "), "+33 0" + n, "+330" + n,
		"+33(0)" + n, "+33-" + group("-"), "0033" + n, "0033 " + group(" "), "00 33 (0) " + group(" "),
		"0033 0" + group("."), "0 0 3 3 " + group(" "),
	}
	other = []string{
		n, "33" + n, "330" + n, "00" + n, "0 0" + n, "000" + n, "+33 00" + n, "0033 00" + n,
		"++33" + n, "(+33)" + n, ".+33" + n, " 0" + n, "0" + n + " ", "0" + group("\t"),
		"0" + group("\u202f"), "0" + group("_"), "0" + group(","), "0" + group("~"), "0" + group("*"),
		"a0" + n, "0" + n + "a", "0" + n + "abc", "tel:+33" + n, "0" + n + "#", "0" + group(" ") + "#",
		"0" + n + " x12", "0" + n + " ext. 12", "0" + n + ",,12", "0" + n + ";12", "0" + n + "/x12",
		"0" + n[:8], "0" + n + "0", "+33" + n[:8], "+33" + n + "9", "0033" + n + "9", "+330" + n[:8],
		"0" + n + "\x00", "0" + n + "\n", "\uff10" + n, "0" + n[:8] + "\u0669", "+33\u200b" + n,
		"+\uff13\uff13" + n, "\uff0b33" + n, "+262" + n, "+590" + n, "+1" + n, "+44" + n, "+7" + n,
		"+336" + n, "+3" + n, "+" + n, "06 " + n, "0" + n + "0" + n,
	}
	return fast, other
}

// The fast path returns what libphonenumber does whenever it answers, and
// it answers for every shape it should read, on every French prefix range,
// valid or not. Normalize, through the fast path or the cache, also agrees.
func TestFrenchPhoneMatchesParse(t *testing.T) {
	t.Parallel()
	// Every range in a third of the shapes to read, one in nine in all of
	// them and in all the other shapes.
	var nsns []string
	for prefix := 100; prefix < 1000; prefix++ {
		nsns = append(nsns, fmt.Sprintf("%d%06d", prefix, prefix*104729%1_000_000))
	}
	for _, p := range []string{"83603", "83604", "83605", "83606", "84000", "84100", "00000", "06123"} {
		nsns = append(nsns, p+"4567")
	}
	_, e164 := identifiertest.FrenchMobiles(20)
	for _, e := range e164 {
		nsns = append(nsns, strings.TrimPrefix(e, "+33"))
	}
	checked, answered := 0, 0
	for j, n := range nsns {
		fast, other := frenchShapes(n)
		if j%9 != 0 { // a third of the shapes to read, another third each time
			var some []string
			for i, in := range fast {
				if (i+j)%3 == 0 {
					some = append(some, in)
				}
			}
			fast, other = some, nil
		}
		for i, in := range append(fast, other...) {
			want, wantErr := parsePhone(in)
			got, ok := frenchPhone(in)
			checked++
			if ok {
				answered++
				if got != want || wantErr != nil {
					t.Errorf("frenchPhone(%q) = %q; libphonenumber gives %q, %v", in, got, want, wantErr)
				}
			} else if i < len(fast) && wantErr == nil && strings.HasPrefix(want, "+33") {
				// Overseas numbers written the national way (overseasPhone)
				// are left to libphonenumber; mainland ones must not be.
				t.Errorf("frenchPhone(%q) left to libphonenumber, which gives %q", in, want)
			}
			// Normalize trims, then takes the fast path or parsePhone.
			if trimmed := strings.TrimSpace(in); trimmed != in {
				want, wantErr = parsePhone(trimmed)
			} else if !ok {
				continue // TestNormalizePhoneMatchesParse checks the cache
			}
			got, err := Normalize(phoneType, in)
			if got != want || fmt.Sprint(err) != fmt.Sprint(wantErr) {
				t.Errorf("Normalize(%q) = %q, %v; libphonenumber gives %q, %v", in, got, err, want, wantErr)
			}
		}
	}
	t.Logf("%d inputs, %d answered by the fast path", checked, answered)
}

// Past 250 bytes libphonenumber refuses a number, however well written;
// Normalize lets 256 bytes through.
func TestFrenchPhoneLongSpacing(t *testing.T) {
	t.Parallel()
	for n := 1; n <= MaxLength; n++ {
		in := "06" + strings.Repeat(" ", n) + "12345678"
		if len(in) > MaxLength {
			break
		}
		want, wantErr := parsePhone(in)
		got, err := Normalize(phoneType, in)
		if got != want || fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Fatalf("%d bytes: Normalize = %q, %v; libphonenumber gives %q, %v", len(in), got, err, want, wantErr)
		}
	}
}

// Whatever the input, when the fast path answers, libphonenumber gives
// the same E.164 number.
func FuzzPhoneFastPath(f *testing.F) {
	for _, s := range []string{
		"06 12 34 56 78", "0612345678", "06.12.34.56.78", "+33 6 12 34 56 78", "+33612345678",
		"0033 6 12 34 56 78", "+33 (0)6 12 34 56 78", "00 33 (0) 1-42-68-53-00", "08 36 04 12 34",
		"0262 12 34 56", "06 12 34 56 78#", "+447911123456", "06\u00a012\u00a034\u00a056\u00a078",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, ok := frenchPhone(in)
		if !ok {
			return
		}
		if want, err := parsePhone(in); got != want || err != nil {
			t.Fatalf("frenchPhone(%q) = %q; libphonenumber gives %q, %v", in, got, want, err)
		}
	})
}

// BenchmarkFrenchPhone reads a new French number each time, typed or in
// E.164, on the fast path and with libphonenumber alone (no cache).
func BenchmarkFrenchPhone(b *testing.B) {
	typed, e164 := identifiertest.FrenchMobiles(1 << 17)
	for _, bm := range []struct {
		name  string
		in    []string
		parse func(string) (string, error)
	}{
		{"typed/fast", typed, normalizePhone},
		{"typed/libphonenumber", typed, parsePhone},
		{"e164/fast", e164, normalizePhone},
		{"e164/libphonenumber", e164, parsePhone},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := bm.parse(bm.in[i%len(bm.in)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
