package knowledge

import (
	"strings"
	"unicode"
)

// Placeholders a rendering may hold. Each takes its value from the case of
// the answer's topic that the condition matched; see matchedCase.
var placeholders = map[string]bool{
	"case.reference": true, // the case reference, e.g. "APL-2026-000123"
	"case.status":    true, // the case status in French, e.g. "en cours d'instruction"
}

// statusLabels say a case status in French, agreeing with "votre demande".
var statusLabels = map[string]string{
	"submitted":          "déposée",
	"in_review":          "en cours d'instruction",
	"awaiting_documents": "en attente de pièces justificatives",
	"accepted":           "acceptée",
	"rejected":           "refusée",
	"closed":             "clôturée",
}

// maxValueRunes bounds a value put into a rendering.
const maxValueRunes = 64

// templateProblems lists what is wrong with the placeholders of s, and
// whether s uses any.
func templateProblems(s string) (msgs []string, uses bool) {
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			return msgs, uses
		}
		j := strings.Index(s[i+2:], "}}")
		if j < 0 {
			return append(msgs, "unterminated placeholder: \"{{\" without \"}}\""), uses
		}
		name := strings.TrimSpace(s[i+2 : i+2+j])
		if placeholders[name] {
			uses = true
		} else {
			msgs = append(msgs, "unknown placeholder "+quote("{{"+name+"}}")+" (known: {{case.reference}}, {{case.status}})")
		}
		s = s[i+2+j+2:]
	}
}

// fill replaces every placeholder of s by its value passed through escape.
// s was checked when the base loaded, so every placeholder is known.
func fill(s string, values map[string]string, escape func(string) string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "{{")
		j := -1
		if i >= 0 {
			j = strings.Index(s[i+2:], "}}")
		}
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(escape(values[strings.TrimSpace(s[i+2:i+2+j])]))
		s = s[i+2+j+2:]
	}
}

// cleanValue makes a fact safe to show: no control characters, bounded.
func cleanValue(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return -1
		}
		return r
	}, s)
	if r := []rune(s); len(r) > maxValueRunes {
		s = string(r[:maxValueRunes]) + "…"
	}
	return strings.TrimSpace(s)
}

// statusLabel says a status in French; an unknown one is shown as it is.
func statusLabel(status string) string {
	if l, ok := statusLabels[status]; ok {
		return l
	}
	if status == "" {
		return "non renseigné"
	}
	return cleanValue(status)
}
