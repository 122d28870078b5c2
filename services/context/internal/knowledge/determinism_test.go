package knowledge_test

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"unisson.dev/services/context/internal/knowledge"
)

func readFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	paths, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(p)] = data
	}
	return files
}

// TestDeterminism loads the example base many times (map order differs
// each time) and from its own published files: version and content hashes
// must not move.
func TestDeterminism(t *testing.T) {
	t.Parallel()
	first := loadExample(t)
	if !regexp.MustCompile(`^kb-[0-9a-f]{16}$`).MatchString(first.Version()) {
		t.Fatalf("Version() = %q, want kb- and 16 hex digits", first.Version())
	}
	hashes := contentHashes(first)
	for i := range 20 {
		files := first.Files()
		if i%2 == 1 {
			files = readFiles(t, exampleDir)
		}
		again, err := knowledge.Parse(files)
		if err != nil {
			t.Fatal(err)
		}
		if again.Version() != first.Version() {
			t.Fatalf("load %d: version %s, want %s", i, again.Version(), first.Version())
		}
		if got := contentHashes(again); !maps.Equal(got, hashes) {
			t.Fatalf("load %d: content hashes differ", i)
		}
	}
}

func contentHashes(b *knowledge.Base) map[string]string {
	out := map[string]string{}
	for _, a := range b.Answers() {
		out[a.ID] = a.ContentHash()
	}
	return out
}

// TestVersionFollowsContent checks that the version and the content hash
// change with what an answer says, and only then.
func TestVersionFollowsContent(t *testing.T) {
	t.Parallel()
	files := readFiles(t, "testdata/good")
	base, _ := knowledge.Parse(files)
	a, _ := base.Answer("benefit-general")

	comment := maps.Clone(files)
	comment["benefit.yaml"] = append([]byte("# a comment\n"), files["benefit.yaml"]...)
	commented, err := knowledge.Parse(comment)
	if err != nil {
		t.Fatal(err)
	}
	same, _ := commented.Answer("benefit-general")
	if commented.Version() == base.Version() {
		t.Error("a changed file kept the base version")
	}
	if same.ContentHash() != a.ContentHash() {
		t.Error("a comment changed an answer's content hash")
	}

	renamed := map[string][]byte{"other.yaml": files["benefit.yaml"]}
	moved, _ := knowledge.Parse(renamed)
	if moved.Version() == base.Version() {
		t.Error("a renamed file kept the base version")
	}

	edited := maps.Clone(files)
	edited["benefit.yaml"] = []byte(regexp.MustCompile(`short: Information générale\.`).
		ReplaceAllString(string(files["benefit.yaml"]), "short: Information générale mise à jour."))
	changed, err := knowledge.Parse(edited)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := changed.Answer("benefit-general")
	if b.ContentHash() == a.ContentHash() {
		t.Error("a changed rendering kept the content hash")
	}
}
