package dataset_test

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"unisson.dev/platform/interaction"
	v1 "unisson.dev/proto/unisson/interaction/v1"

	"unisson.dev/services/bench/internal/dataset"
)

// Every interaction is one a channel adapter could publish: valid,
// normalised, with a text of the asked size.
func TestInteractionsAreValid(t *testing.T) {
	t.Parallel()
	s, err := dataset.New(dataset.Config{Interactions: 5000, Citizens: 300, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	g := s.Generator()
	kinds := map[v1.Kind]int{}
	channels := map[v1.Channel]int{}
	statuses := map[v1.CaseStatus]int{}
	n := 0
	seen := map[string]bool{}
	for ix, ok := g.Next(); ok; ix, ok = g.Next() {
		n++
		for _, id := range ix.GetSubject().GetIdentifiers() {
			seen[id.GetValue()] = true
		}
		before := proto.Clone(ix)
		if err := interaction.Normalize(ix); err != nil || !proto.Equal(before, ix) {
			t.Fatalf("interaction %d is not normalised: %v", n, err)
		}
		if err := interaction.Validate(ix); err != nil {
			t.Fatalf("interaction %d: %v", n, err)
		}
		if len(ix.GetText()) != 512 || !utf8.ValidString(ix.GetText()) {
			t.Fatalf("interaction %d: text of %d bytes, valid UTF-8 %v", n, len(ix.GetText()), utf8.ValidString(ix.GetText()))
		}
		kinds[ix.GetKind()]++
		channels[ix.GetChannel()]++
		statuses[ix.GetCaseStatus()]++
	}
	if n != 5000 {
		t.Fatalf("generated %d interactions, want 5000", n)
	}
	// Readers look citizens up by e-mail address and phone number: the hub
	// must have seen both of every citizen.
	for i, c := range s.Citizens() {
		if !seen[c.Email] || !seen[c.Phone] {
			t.Errorf("citizen %d: e-mail seen %v, phone seen %v", i, seen[c.Email], seen[c.Phone])
		}
	}
	if len(channels) != 5 || len(kinds) < 5 || len(statuses) < 5 {
		t.Errorf("too little variety: channels %v, kinds %v, case statuses %v", channels, kinds, statuses)
	}
}

// With the default sizes a few citizens have thousands of interactions
// and most have a handful.
func TestLongTail(t *testing.T) {
	t.Parallel()
	s, err := dataset.New(dataset.Config{Interactions: 1_000_000, Citizens: 100_000, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	st := s.Stats()
	if st.MaxPerCitizen < 1000 || st.Over1000 == 0 || st.Over1000 > 20 || st.MedianPerCitizen > 10 {
		t.Errorf("not a long tail: %+v", st)
	}
	if st.SplitCitizens == 0 || st.Cases == 0 || st.WithIDP == 0 {
		t.Errorf("missing identity cases: %+v", st)
	}
}

func TestWebMessageIsTypedLikeACitizen(t *testing.T) {
	t.Parallel()
	s, err := dataset.New(dataset.Config{Interactions: 100, Citizens: 100, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	var body struct {
		Identifiers []struct{ Type, Value string } `json:"identifiers"`
		Text        string                         `json:"text"`
	}
	c := s.ActiveCitizen(r)
	if err := json.Unmarshal(s.WebMessage(r, c), &body); err != nil {
		t.Fatal(err)
	}
	if len(body.Identifiers) != 2 || body.Identifiers[1].Value != c.TypedPhone || len(body.Text) != 512 {
		t.Errorf("body %+v for citizen %+v", body, c)
	}
}

// TestGeneratorReplays: a second generator of a set gives the same
// interactions as the first, but for their ids, so that a set can be
// loaded into two logs.
func TestGeneratorReplays(t *testing.T) {
	t.Parallel()
	set, err := dataset.New(dataset.Config{Interactions: 3000, Citizens: 200, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	all := func() []*v1.Interaction {
		var out []*v1.Interaction
		g := set.Generator()
		for ix, ok := g.Next(); ok; ix, ok = g.Next() {
			// Ids are new, and so are the channel details' own ids
			// (message, call), made from them.
			ix.Id, ix.Details = "", nil
			out = append(out, ix)
		}
		return out
	}
	first, second := all(), all()
	if len(first) != 3000 || len(second) != len(first) {
		t.Fatalf("generated %d then %d interactions, want 3000 twice", len(first), len(second))
	}
	for i := range first {
		if !proto.Equal(first[i], second[i]) {
			t.Fatalf("interaction %d differs the second time:\n%v\n%v", i, first[i], second[i])
		}
	}
}
