package knowledge

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Matcher settings.
const (
	// MaxQuestionBytes is how much of a question the matcher reads.
	MaxQuestionBytes = 2000
	// MinMatchScore is the score a topic needs to be chosen: one keyword
	// word found.
	MinMatchScore = 1
	// maxKeywordWords bounds a keyword phrase.
	maxKeywordWords = 8
)

// foldAccents maps the accented letters of French to their base letters.
var foldAccents = strings.NewReplacer(
	"à", "a", "á", "a", "â", "a", "ã", "a", "ä", "a", "å", "a", "ç", "c",
	"è", "e", "é", "e", "ê", "e", "ë", "e", "ì", "i", "í", "i", "î", "i", "ï", "i",
	"ñ", "n", "ò", "o", "ó", "o", "ô", "o", "õ", "o", "ö", "o",
	"ù", "u", "ú", "u", "û", "u", "ü", "u", "ý", "y", "ÿ", "y", "œ", "oe", "æ", "ae",
)

// words turns a text into comparable words: lower case, accents folded,
// split on anything that is not a letter or digit, elided articles (l', d',
// qu') dropped and a final plural s or x removed.
func words(s string) []string {
	s = foldAccents.Replace(strings.ToLower(s))
	fields := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	out := fields[:0]
	for _, w := range fields {
		if utf8.RuneCountInString(w) < 2 || w == "qu" {
			continue
		}
		if len(w) > 3 && (strings.HasSuffix(w, "s") || strings.HasSuffix(w, "x")) {
			w = w[:len(w)-1]
		}
		out = append(out, w)
	}
	return out
}

// matcher finds the topic of a question from the keywords of the base.
type matcher struct {
	topics  []string            // sorted
	byFirst map[string][]phrase // phrases by their first word
}

// phrase is one keyword of one topic.
type phrase struct {
	id, topic int
	words     []string
}

// newMatcher indexes the keywords of every topic; the same phrase given
// twice for one topic counts once.
func newMatcher(topics []string, byTopic map[string][]*Answer) *matcher {
	m := &matcher{topics: topics, byFirst: map[string][]phrase{}}
	id := 0
	for ti, t := range topics {
		seen := map[string]bool{}
		for _, a := range byTopic[t] {
			for _, k := range a.Keywords {
				w := words(k)
				key := strings.Join(w, " ")
				if len(w) == 0 || seen[key] {
					continue
				}
				seen[key] = true
				m.byFirst[w[0]] = append(m.byFirst[w[0]], phrase{id: id, topic: ti, words: w})
				id++
			}
		}
	}
	return m
}

// match scores every topic by the keyword words found in the question.
func (m *matcher) match(question string) (string, bool) {
	if len(question) > MaxQuestionBytes {
		question = strings.ToValidUTF8(question[:MaxQuestionBytes], "")
	}
	q := words(question)
	scores := make([]int, len(m.topics))
	found := map[int]bool{}
	for i, w := range q {
		for _, p := range m.byFirst[w] {
			if !found[p.id] && hasPhrase(q[i:], p.words) {
				found[p.id] = true
				scores[p.topic] += len(p.words)
			}
		}
	}
	best := -1
	for i, s := range scores {
		if s >= MinMatchScore && (best < 0 || s > scores[best]) {
			best = i
		}
	}
	if best < 0 {
		return "", false
	}
	return m.topics[best], true
}

// hasPhrase reports whether q starts with p.
func hasPhrase(q, p []string) bool {
	if len(q) < len(p) {
		return false
	}
	for i := range p {
		if q[i] != p[i] {
			return false
		}
	}
	return true
}

// checkKeywords refuses keywords the matcher could never find.
func (a *Answer) checkKeywords(n *yaml.Node, ps *problems) {
	if n == nil || n.Kind != yaml.SequenceNode {
		return
	}
	for _, item := range n.Content {
		w := words(item.Value)
		switch {
		case item.ShortTag() != "!!str":
		case len(w) == 0:
			ps.add(a.File, item.Line, "keywords: %s has no word the matcher can use", quote(item.Value))
		case len(w) > maxKeywordWords:
			ps.add(a.File, item.Line, "keywords: %s has more than %d words", quote(item.Value), maxKeywordWords)
		}
	}
}
