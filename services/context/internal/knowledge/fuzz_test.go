package knowledge_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	answerv1 "unisson.dev/proto/unisson/answer/v1"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"

	"unisson.dev/services/context/internal/knowledge"
)

// addFileSeeds adds the YAML files matching the patterns as seeds.
func addFileSeeds(f *testing.F, patterns ...string) {
	for _, pattern := range patterns {
		paths, _ := filepath.Glob(pattern)
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
}

// FuzzParse: any file bytes load or are refused, without panicking; a base
// that loads re-loads from its own files with the same version, and
// resolves and renders without panicking.
func FuzzParse(f *testing.F) {
	// Small seeds: the fuzzer minimises every new input it finds, and that
	// is slow on the larger files of the example base.
	addFileSeeds(f, "testdata/good/*.yaml", "testdata/bad/*/*.yaml", exampleDir+"/town_hall.appointment.yaml")
	f.Add([]byte("- id: a\n  topic: t\n  version: 1\n  title: T\n  condition: '[1,2,3].all(x, [1,2,3].all(y, x + y > 0))'\n"))
	facts := []*answerv1.CitizenFacts{nil, {}, housingCase("in_review"),
		{Profile: map[string]*answerv1.ProfileFact{"a": {Value: "1"}}, InteractionCount: 3}}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := knowledge.Parse(map[string][]byte{"f.yaml": data})
		if err != nil {
			if b != nil {
				t.Fatal("a refused base was returned")
			}
			return
		}
		again, err := knowledge.Parse(b.Files())
		if err != nil || again.Version() != b.Version() {
			t.Fatalf("re-load: version %v, error %v; want %s", again, err, b.Version())
		}
		for _, topic := range b.Topics() {
			for _, fa := range facts {
				if r := b.Resolve(fa, topic, at); r.Answer != nil {
					r.Answer.Render(interactionv1.Channel_CHANNEL_WEB, fa)
				}
			}
		}
	})
}

// FuzzMatchTopic: any question gets a known topic or none, the same each
// time.
func FuzzMatchTopic(f *testing.F) {
	for _, q := range []string{
		"Où en est ma demande d'APL ?", "Comment payer mes impôts ?", "je veux renouveler ma carte d'identité",
		"", "\xff\xfe", "ŒUVRE ÆTHER çà", "rendez-vous rendez-vous rendez-vous",
	} {
		f.Add(q)
	}
	b, err := knowledge.LoadDir(exampleDir)
	if err != nil {
		f.Fatal(err)
	}
	topics := b.Topics()
	f.Fuzz(func(t *testing.T, q string) {
		topic, ok := b.MatchTopic(q)
		again, ok2 := b.MatchTopic(q)
		if topic != again || ok != ok2 {
			t.Fatalf("MatchTopic(%q) gave %q then %q", q, topic, again)
		}
		if ok != slices.Contains(topics, topic) {
			t.Fatalf("MatchTopic(%q) = %q, %v: not a topic of the base", q, topic, ok)
		}
	})
}
