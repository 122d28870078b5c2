// Package dataset makes the benchmark's realistic data: French citizens
// with e-mail addresses and phone numbers as people type them, several
// channels and kinds of interaction per citizen, a long tail of very active
// citizens (with the default sizes a few have thousands of interactions),
// cases whose status moves on, and records that split and later merge. The
// same seed gives the same data.
package dataset

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"unisson.dev/platform/identifier"
	v1 "unisson.dev/proto/unisson/interaction/v1"
)

// Config sizes a data set.
type Config struct {
	Interactions int
	Citizens     int
	// TextBytes is the size of every interaction's text; 512 by default.
	TextBytes int
	Seed      uint64
	// Start is when the first interaction occurred; the others follow,
	// spread over two years.
	Start time.Time
}

// Citizen is one person of the data set.
type Citizen struct {
	FirstName, LastName string
	// Email and Phone are normalised (lower case, E.164).
	Email, Phone string
	// TypedEmail and TypedPhone are as the citizen types them on the web.
	TypedEmail, TypedPhone string
	// IDP is an identity-provider subject, "" for most citizens.
	IDP    string
	Device string
	Cases  []Case
	// Split citizens (with two interactions or more) first call (phone
	// only), then e-mail (address only): two records, merged at their
	// first counter visit (verified).
	Split bool
}

// Case is one dossier of a citizen.
type Case struct {
	Reference, Topic string
	step             int
}

// Set is a data set: its citizens and the order of their interactions.
type Set struct {
	cfg      Config
	citizens []Citizen
	// order lists, for each log position, the citizen who interacts.
	order []int32
	count []int32
}

// New builds the citizens and the order of the interactions; Generator
// makes the interactions themselves, one at a time.
func New(cfg Config) (*Set, error) {
	if cfg.Citizens <= 0 || cfg.Interactions < cfg.Citizens {
		return nil, errors.New("dataset: need citizens > 0 and at least one interaction per citizen")
	}
	if cfg.TextBytes <= 0 {
		cfg.TextBytes = 512
	}
	if cfg.Start.IsZero() {
		cfg.Start = time.Date(2024, 1, 2, 8, 30, 0, 0, time.UTC)
	}
	r := rand.New(rand.NewPCG(cfg.Seed, 0x756e6973736f6e))
	s := &Set{cfg: cfg, citizens: make([]Citizen, cfg.Citizens)}
	for i := range s.citizens {
		c, err := newCitizen(r, i)
		if err != nil {
			return nil, err
		}
		s.citizens[i] = c
	}
	s.order, s.count = activity(r, cfg.Interactions, cfg.Citizens)
	for i := range s.citizens {
		// A split takes two interactions; with one, the e-mail address
		// would never reach the hub.
		s.citizens[i].Split = s.citizens[i].Split && s.count[i] >= 2
	}
	return s, nil
}

// activity gives every citizen one interaction, spreads the rest with a
// long tail (citizen rank x gets a share proportional to 1/sqrt(x)), and
// shuffles them into log order.
func activity(r *rand.Rand, n, citizens int) (order, count []int32) {
	// Ranks are shuffled so that the busiest citizens are not the first.
	rank := r.Perm(citizens)
	order = make([]int32, n)
	count = make([]int32, citizens)
	for i := range n {
		c := i
		if i >= citizens {
			u := r.Float64()
			c = rank[min(int(u*u*float64(citizens)), citizens-1)]
		}
		order[i] = int32(c)
		count[c]++
	}
	r.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
	return order, count
}

func newCitizen(r *rand.Rand, i int) (Citizen, error) {
	first, last := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
	c := Citizen{FirstName: first, LastName: last, Split: r.IntN(50) == 0}
	domain := pickDomain(r)
	local := emailLocal(first, last) + strconv.Itoa(i)
	c.TypedEmail = local + "@" + domain
	if r.IntN(3) == 0 { // some type their address with capitals
		c.TypedEmail = strings.ToUpper(local[:1]) + local[1:] + "@" + strings.ToUpper(domain[:1]) + domain[1:]
	}
	var err error
	if c.Email, err = identifier.Normalize(v1.IdentifierType_IDENTIFIER_TYPE_EMAIL, c.TypedEmail); err != nil {
		return Citizen{}, fmt.Errorf("dataset: citizen %d e-mail %q: %w", i, c.TypedEmail, err)
	}
	if c.TypedPhone, c.Phone, err = phone(r, i); err != nil {
		return Citizen{}, fmt.Errorf("dataset: citizen %d: %w", i, err)
	}
	if r.IntN(10) < 3 {
		c.IDP = fmt.Sprintf("https://app.franceconnect.gouv.fr|%016x", r.Uint64())
	}
	c.Device = fmt.Sprintf("dev-%012x", r.Uint64()>>16)
	for k := range r.IntN(4) { // 0 to 3 cases
		t := topics[r.IntN(len(topics))]
		ref := fmt.Sprintf("%s-%d-%07d", t.prefix, 2024+k%2, i*4+k)
		c.Cases = append(c.Cases, Case{Reference: ref, Topic: t.name})
	}
	return c, nil
}

func pickDomain(r *rand.Rand) string {
	total := 0
	for _, d := range domains {
		total += d.weight
	}
	n := r.IntN(total)
	for _, d := range domains {
		if n < d.weight {
			return d.name
		}
		n -= d.weight
	}
	return domains[0].name
}

// phone returns a unique French number for citizen i, as typed and in
// E.164: mostly mobiles (06), some landlines (01 to 05).
func phone(r *rand.Rand, i int) (typed, e164 string, err error) {
	// i → n is a bijection modulo 10^8, so numbers are unique.
	n := (uint64(i)*48271 + 12345) % 100_000_000
	digits := fmt.Sprintf("%08d", n)
	prefix := "6"
	if r.IntN(10) < 3 {
		prefix = strconv.Itoa(1 + r.IntN(5))
	}
	// A few ranges belong to overseas departments; the last candidates are
	// mobiles of the 07 5x range, rarely shared by two citizens.
	for _, national := range []string{"0" + prefix + digits, "06" + digits, "075" + digits[1:], "076" + digits[1:]} {
		typed = formatPhone(r, national)
		if e164, err = identifier.Normalize(v1.IdentifierType_IDENTIFIER_TYPE_PHONE, typed); err == nil {
			return typed, e164, nil
		}
	}
	return "", "", fmt.Errorf("phone %s: %w", typed, err)
}

// formatPhone writes a national number the ways people write it.
func formatPhone(r *rand.Rand, national string) string {
	pairs := []string{national[0:2], national[2:4], national[4:6], national[6:8], national[8:10]}
	switch r.IntN(4) {
	case 0:
		return national
	case 1:
		return strings.Join(pairs, ".")
	case 2:
		return "+33 " + national[1:2] + " " + strings.Join(pairs[1:], " ")
	default:
		return strings.Join(pairs, " ")
	}
}

// Len is the number of interactions.
func (s *Set) Len() int { return len(s.order) }

// Citizens are the data set's citizens.
func (s *Set) Citizens() []Citizen { return s.citizens }

// ActiveCitizen picks a citizen with a chance proportional to their
// activity, as readers come to the hub when citizens interact.
func (s *Set) ActiveCitizen(r *rand.Rand) *Citizen {
	return &s.citizens[s.order[r.IntN(len(s.order))]]
}

// Stats describes the data set's shape.
type Stats struct {
	Interactions     int     `json:"interactions"`
	Citizens         int     `json:"citizens"`
	TextBytes        int     `json:"text_bytes"`
	MaxPerCitizen    int     `json:"max_per_citizen"`
	MedianPerCitizen int     `json:"median_per_citizen"`
	Over100          int     `json:"citizens_over_100"`
	Over1000         int     `json:"citizens_over_1000"`
	SplitCitizens    int     `json:"split_citizens"`
	Cases            int     `json:"cases"`
	WithIDP          int     `json:"citizens_with_idp"`
	MeanPerCitizen   float64 `json:"mean_per_citizen"`
}

// Stats computes the data set's shape.
func (s *Set) Stats() Stats {
	st := Stats{Interactions: len(s.order), Citizens: len(s.citizens), TextBytes: s.cfg.TextBytes}
	counts := make([]int, len(s.count))
	for i, n := range s.count {
		counts[i] = int(n)
		st.MaxPerCitizen = max(st.MaxPerCitizen, int(n))
		if n > 100 {
			st.Over100++
		}
		if n > 1000 {
			st.Over1000++
		}
	}
	slices.Sort(counts)
	st.MedianPerCitizen = counts[len(counts)/2]
	st.MeanPerCitizen = float64(len(s.order)) / float64(len(s.citizens))
	for _, c := range s.citizens {
		st.Cases += len(c.Cases)
		if c.Split {
			st.SplitCitizens++
		}
		if c.IDP != "" {
			st.WithIDP++
		}
	}
	return st
}

// Text returns n bytes of French text made of the sentence pool, cut at a
// character boundary and padded with spaces.
func Text(r *rand.Rand, n int) string {
	var b strings.Builder
	b.Grow(n + 128)
	for b.Len() < n {
		b.WriteString(sentences[r.IntN(len(sentences))])
		b.WriteByte(' ')
	}
	s := b.String()[:n]
	for len(s) > 0 && !utf8ValidEnd(s) {
		s = s[:len(s)-1]
	}
	return s + strings.Repeat(" ", n-len(s))
}

// utf8ValidEnd reports whether s does not end inside a multi-byte character.
func utf8ValidEnd(s string) bool {
	for i := len(s) - 1; i >= 0 && i >= len(s)-4; i-- {
		c := s[i]
		if c < 0x80 {
			return true
		}
		if c >= 0xC0 { // a leading byte: how many bytes does it need?
			need := 2
			if c >= 0xE0 {
				need = 3
			}
			if c >= 0xF0 {
				need = 4
			}
			return len(s)-i == need
		}
	}
	return false
}
