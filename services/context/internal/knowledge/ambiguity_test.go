package knowledge_test

import (
	"fmt"
	"strings"
	"testing"

	"unisson.dev/services/context/internal/knowledge"
)

// answerYAML writes one answer of topic "t" with extra keys (one per line).
func answerYAML(id string, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "- id: %s\n  topic: t\n  version: 1\n  title: T\n", id)
	for _, e := range extra {
		fmt.Fprintf(&b, "  %s\n", e)
	}
	b.WriteString("  renderings: {short: s, web: {subject: s, body: b}, email: {subject: s, body: b}, voice: v, counter: c}\n")
	return b.String()
}

func TestAmbiguity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a, b []string
		want string // "" when the base must load
	}{
		{"different priorities", []string{"priority: 1"}, []string{"priority: 2"}, ""},
		{"no conditions", nil, nil, "both apply when verified=false, no t case, interaction_count=0"},
		{"exclusive profile values",
			[]string{`condition: citizen.profile["qf"].value == "a"`},
			[]string{`condition: citizen.profile["qf"].value == "b"`}, ""},
		{"profile value and verification",
			[]string{`condition: citizen.profile["qf"].value == "a"`},
			[]string{`condition: citizen.verified`}, `verified=true, no t case, interaction_count=0, profile["qf"].value="a"`},
		{"overlapping numbers",
			[]string{`condition: int(citizen.profile.qf.value) < 800`},
			[]string{`condition: int(citizen.profile.qf.value) >= 700`}, `profile["qf"].value="799"`},
		{"disjoint numbers",
			[]string{`condition: int(citizen.profile.qf.value) < 800`},
			[]string{`condition: int(citizen.profile.qf.value) >= 800`}, ""},
		{"interaction count", []string{"condition: citizen.interaction_count > 0"}, []string{"condition: citizen.recent.size() == 0"},
			"interaction_count=3"},
		{"consecutive validity", []string{"valid_until: 2026-06-01"}, []string{"valid_from: 2026-06-01"}, ""},
		{"overlapping validity", []string{"valid_until: 2026-06-02"}, []string{"valid_from: 2026-06-01"}, "both apply"},
		{"never given to a claimed identity",
			[]string{"condition: '!citizen.verified'", "requires_verified_identity: true"}, nil, ""},
		{"exclusive statuses",
			[]string{`condition: citizen.cases.exists(c, c.status in ["submitted", "in_review"])`},
			[]string{`condition: citizen.cases.exists(c, c.status == "accepted")`}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := answerYAML("first", tt.a...) + answerYAML("second", tt.b...)
			b, err := knowledge.Parse(map[string][]byte{"t.yaml": []byte(src)})
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Parse refused the base:\n%v", err)
				}
				return
			}
			if b != nil || err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "ambiguous") {
				t.Fatalf("Parse error %v, want an ambiguity containing %q", err, tt.want)
			}
		})
	}
}
