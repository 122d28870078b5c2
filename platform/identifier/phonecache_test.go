package identifier

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"

	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
)

const phoneType = interactionv1.IdentifierType_IDENTIFIER_TYPE_PHONE

// Whether a number is answered from the cache or parsed, Normalize returns
// what libphonenumber does, for the number as typed and in E.164.
func TestNormalizePhoneMatchesParse(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		// French mobiles and landlines, the ways people write them.
		"06 12 34 56 78", "0612345678", "06.12.34.56.78", "+33 6 12 34 56 78", "+33612345678",
		"07 81 23 45 67", "+33781234567", "01 42 68 53 00", "+33142685300", "05 56 12 34 56",
		"0033 6 12 34 56 78", " +33612345678 ", "+33 (0)6 12 34 56 78", "09 70 12 34 56",
		// Overseas departments and foreign numbers.
		"+262 692 12 34 56", "+590 690 00 11 22", "+32 470 12 34 56", "+32470123456",
		"+44 20 7946 0958", "+442079460958", "+1 650-253-0000", "+16502530000",
		"+49 30 1234567", "+39 06 1234 5678", "+390612345678", "+7 800 123 45 67", "+375 29 123 45 67",
		// Invalid ones.
		"0612", "+33", "+3361234567", "+336123456789", "06 12 34 56 7x", "call me", "+999 1234 5678",
		"+33 1 00 00 00 00", "0000000000",
	} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			want, wantErr := parsePhone(strings.TrimSpace(in))
			for range 2 { // the first call may fill the cache, the second may hit it
				got, err := Normalize(phoneType, in)
				if got != want || fmt.Sprint(err) != fmt.Sprint(wantErr) {
					t.Fatalf("Normalize(%q) = %q, %v; libphonenumber gives %q, %v", in, got, err, want, wantErr)
				}
			}
			if wantErr != nil {
				return
			}
			for range 2 {
				if got, err := Normalize(phoneType, want); got != want || err != nil {
					t.Fatalf("Normalize(%q) = %q, %v; want it unchanged", want, got, err)
				}
			}
		})
	}
}

// The cache answers an E.164 output with itself without parsing it. That
// holds because every E.164 output parses back to itself; check it for an
// example number of every type of every region, written every way.
func TestPhoneOutputsAreFixedPoints(t *testing.T) {
	t.Parallel()
	formats := []phonenumbers.PhoneNumberFormat{phonenumbers.E164, phonenumbers.INTERNATIONAL, phonenumbers.NATIONAL, phonenumbers.RFC3966}
	checked := 0
	for region := range phonenumbers.GetSupportedRegions() {
		for typ := phonenumbers.FIXED_LINE; typ <= phonenumbers.UNKNOWN; typ++ {
			ex := phonenumbers.GetExampleNumberForType(region, typ)
			if ex == nil {
				continue
			}
			for _, f := range formats {
				in := phonenumbers.Format(ex, f)
				out, err := parsePhone(in)
				if err != nil {
					continue
				}
				checked++
				if again, err := parsePhone(out); again != out || err != nil {
					t.Errorf("%s %v: %q normalises to %q, which normalises to %q, %v", region, typ, in, out, again, err)
				}
			}
		}
	}
	if checked < 1000 {
		t.Fatalf("checked only %d numbers", checked)
	}
}

func TestPhoneCacheBound(t *testing.T) {
	t.Parallel()
	c := newPhoneCache()
	const bound = phoneCacheShards * 2 * phoneCacheGeneration
	for i := range 5 * bound {
		c.add(fmt.Sprintf("0%09d", i), fmt.Sprintf("+33%09d", i))
		if i%1000 == 0 && c.size() > bound {
			t.Fatalf("after %d numbers the cache holds %d entries, bound %d", i+1, c.size(), bound)
		}
	}
	if n := c.size(); n > bound || n < bound/2 {
		t.Fatalf("cache holds %d entries, want between %d and %d", n, bound/2, bound)
	}
	last := fmt.Sprintf("0%09d", 5*bound-1)
	if got, ok := c.get(last); !ok || got != fmt.Sprintf("+33%09d", 5*bound-1) {
		t.Fatalf("latest number: get = %q, %v", got, ok)
	}
	if _, ok := c.get("0000000000"); ok {
		t.Fatal("first number still cached")
	}
}

// A number in use survives eviction: a hit moves it to the current
// generation.
func TestPhoneCacheKeepsNumbersInUse(t *testing.T) {
	t.Parallel()
	c := newPhoneCache()
	c.add("06 12 34 56 78", "+33612345678")
	for i := range 4 * phoneCacheShards * phoneCacheGeneration {
		c.put(fmt.Sprintf("+1%010d", i), fmt.Sprintf("+1%010d", i))
		if i%(phoneCacheGeneration/2) == 0 {
			if _, ok := c.get("+33612345678"); !ok {
				t.Fatalf("number in use evicted after %d others", i)
			}
		}
	}
}

func TestPhoneCacheConcurrent(t *testing.T) {
	t.Parallel()
	c := newPhoneCache()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 20_000 {
				n := (i*7 + g) % 5000
				key, e164 := fmt.Sprintf("0%09d", n), fmt.Sprintf("+33%09d", n)
				if got, ok := c.get(key); ok && got != e164 {
					t.Errorf("get(%q) = %q, want %q", key, got, e164)
					return
				}
				c.add(key, e164)
			}
		})
	}
	wg.Wait()
	if n := c.size(); n > phoneCacheShards*2*phoneCacheGeneration {
		t.Fatalf("cache holds %d entries", n)
	}
}

// Whatever the input, normalising a phone number through the cache gives
// libphonenumber's answer, and its E.164 output normalises to itself.
func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"06 12 34 56 78", "+33612345678", "+32 470 12 34 56", "+7 800 123 45 67", "0612", "+1 (650) 253-0000 ext. 12"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		trimmed := strings.TrimSpace(in)
		if trimmed == "" || len(trimmed) > MaxLength || !utf8.ValidString(trimmed) {
			return // rejected before any parsing
		}
		want, wantErr := parsePhone(trimmed)
		for range 2 {
			got, err := Normalize(phoneType, in)
			if got != want || fmt.Sprint(err) != fmt.Sprint(wantErr) {
				t.Fatalf("Normalize(%q) = %q, %v; libphonenumber gives %q, %v", in, got, err, want, wantErr)
			}
		}
		if wantErr == nil {
			if again, err := parsePhone(want); again != want || err != nil {
				t.Fatalf("%q normalises to %q, which normalises to %q, %v", in, want, again, err)
			}
		}
	})
}
