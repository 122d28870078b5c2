package knowledge_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"unisson.dev/services/context/internal/knowledge"
)

// TestLoadProblems loads each base of testdata/bad and expects the named
// problems at the right file and line, and the base refused.
func TestLoadProblems(t *testing.T) {
	t.Parallel()
	type want struct {
		file string
		line int
		text string
	}
	tests := []struct {
		name string
		want []want
	}{
		{"cel-syntax", []want{{"a.yaml", 6, "condition: column 20: Syntax error"}}},
		{"unknown-field", []want{{"a.yaml", 6, "undefined field 'nope'"}}},
		{"multiline-condition", []want{{"a.yaml", 8, "undefined field 'nope'"}}},
		{"non-bool", []want{{"a.yaml", 6, "must give true or false"}}},
		{"missing-rendering", []want{{"a.yaml", 7, `missing required key "voice"`}}},
		{"duplicate-id", []want{{"b.yaml", 13, `duplicate id "same": already used at a.yaml:1`}}},
		{"unknown-key", []want{{"a.yaml", 6, `unknown key "colour"`}}},
		{"bad-date", []want{{"a.yaml", 6, "valid_from: must be a date"}}},
		{"bad-values", []want{
			{"a.yaml", 1, "not a lower-case slug"},
			{"a.yaml", 3, "version: must be a positive integer"},
			{"a.yaml", 7, "valid_until: must be after valid_from"},
		}},
		{"ambiguity", []want{{"a.yaml", 14, `ambiguous answers "first" (a.yaml:1) and "second" (a.yaml:14)`}}},
		{"unknown-placeholder", []want{{"a.yaml", 10, `unknown placeholder "{{case.owner}}"`}}},
		{"placeholder-unverified", []want{{"a.yaml", 7, "set requires_verified_identity: true"}}},
		{"yaml-syntax", []want{{"a.yaml", 12, "yaml: did not find expected ',' or ']'"}}},
		{"yaml-scanner", []want{{"a.yaml", 4, "yaml: mapping values are not allowed"}}},
		{"yaml-first-line", []want{{"a.yaml", 2, "yaml:"}, {"b.yaml", 2, "yaml:"}}},
		{"multi-document", []want{{"a.yaml", 12, "one YAML document"}}},
		{"not-a-sequence", []want{{"a.yaml", 1, "a YAML sequence of answers"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := knowledge.LoadDir(filepath.Join("testdata", "bad", tt.name))
			if b != nil {
				t.Errorf("LoadDir returned a base despite problems")
			}
			var le *knowledge.LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %v (%T), want a *LoadError", err, err)
			}
			for _, w := range tt.want {
				if !hasProblem(le.Problems, w.file, w.line, w.text) {
					t.Errorf("no problem %s:%d containing %q; got:\n%v", w.file, w.line, w.text, err)
				}
			}
			if len(le.Problems) != len(tt.want) {
				t.Errorf("%d problems, want %d:\n%v", len(le.Problems), len(tt.want), err)
			}
		})
	}
}

func hasProblem(ps []knowledge.Problem, file string, line int, text string) bool {
	for _, p := range ps {
		if p.File == file && p.Line == line && strings.Contains(p.Message, text) {
			return true
		}
	}
	return false
}

// TestLoadErrorFormat checks that every problem is reported, one per line,
// as file:line: message.
func TestLoadErrorFormat(t *testing.T) {
	t.Parallel()
	_, err := knowledge.Parse(map[string][]byte{
		"a.yaml": []byte("- id: a\n  topic: x\n"),
		"b.yml":  []byte("- {id: b, topic: Bad, version: 1, title: T, renderings: {}, extra: 1}\n"),
		"c.txt":  []byte("not read: not a YAML file name"),
	})
	want := []string{
		`a.yaml:1: answer: missing required key "version"`,
		`a.yaml:1: answer: missing required key "title"`,
		`a.yaml:1: answer: missing required key "renderings"`,
		`b.yml:1: answer: unknown key "extra"`,
		`b.yml:1: topic: "Bad" is not a dotted lower-case name`,
		`b.yml:1: renderings: missing required key "short"`,
	}
	if err == nil {
		t.Fatal("Parse accepted a bad base")
	}
	got := strings.Split(err.Error(), "\n")
	for _, w := range want {
		if !containsPrefix(got, w) {
			t.Errorf("no line starting %q in:\n%v", w, err)
		}
	}
	if len(got) != 10 { // b.yml misses 5 renderings
		t.Errorf("%d lines, want 10:\n%v", len(got), err)
	}
}

func containsPrefix(lines []string, prefix string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

// TestEmptyFiles refuses files without answers rather than ignoring them.
func TestEmptyFiles(t *testing.T) {
	t.Parallel()
	for _, src := range []string{"", "# only a comment\n", "---\n", "~\n", "[]\n", "- &a {id: a}\n- *a\n"} {
		b, err := knowledge.Parse(map[string][]byte{"a.yaml": []byte(src)})
		var le *knowledge.LoadError
		if b != nil || !errors.As(err, &le) || le.Problems[0].File != "a.yaml" || le.Problems[0].Line < 1 {
			t.Errorf("Parse(%q) = %v, %v; want a problem in a.yaml", src, b, err)
		}
	}
	if b, err := knowledge.Parse(nil); err != nil || len(b.Topics()) != 0 {
		t.Errorf("Parse(nil) = %v, %v; want an empty base", b, err)
	}
}
