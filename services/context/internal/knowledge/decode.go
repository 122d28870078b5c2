package knowledge

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// answerKeys are the keys an answer may have; answerRequired must be there.
var (
	answerKeys = []string{
		"id", "topic", "version", "title", "valid_from", "valid_until", "priority", "condition",
		"requires_verified_identity", "renderings", "legal_references", "keywords",
	}
	answerRequired = []string{"id", "topic", "version", "title", "renderings"}
)

var (
	idPattern    = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	topicPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$`)
)

// Limits that keep a base readable and its checks cheap.
const (
	maxNameBytes  = 64
	maxTitleRunes = 200
	maxTextBytes  = 16 << 10
	maxListItems  = 100
)

// decodeAnswers reads the answers of one file. Answers with problems are
// still returned, marked broken, so cross-answer checks can name them.
func decodeAnswers(file string, root *yaml.Node, ps *problems) []*Answer {
	if root.Kind != yaml.SequenceNode {
		ps.add(file, root.Line, "a file is a YAML sequence of answers, each item starting with \"- id:\"")
		return nil
	}
	if len(root.Content) == 0 {
		ps.add(file, root.Line, "the file holds no answers")
	}
	var out []*Answer
	for _, n := range root.Content {
		if a := decodeAnswer(file, n, ps); a != nil {
			out = append(out, a)
		}
	}
	return out
}

// decodeAnswer reads and checks one answer.
func decodeAnswer(file string, n *yaml.Node, ps *problems) *Answer {
	f, ok := mapping(file, "answer", n, answerKeys, answerRequired, ps)
	if !ok {
		return nil
	}
	before := len(ps.list)
	a := &Answer{File: file, Line: n.Line}
	a.decodeIdentity(f, ps)
	a.decodeValidity(f, ps)
	if v := f.get("requires_verified_identity"); v != nil {
		a.RequiresVerifiedIdentity = boolean(file, "requires_verified_identity", v, ps)
	}
	if v := f.get("condition"); v != nil {
		a.decodeCondition(v, ps)
	} else {
		a.cond = alwaysTrue()
	}
	if v := f.get("renderings"); v != nil {
		a.decodeRenderings(v, ps)
	}
	a.LegalReferences = texts(file, "legal_references", f.get("legal_references"), ps)
	a.Keywords = texts(file, "keywords", f.get("keywords"), ps)
	a.checkKeywords(f.get("keywords"), ps)
	if len(ps.list) > before {
		a.cond = nil // broken: left out of the ambiguity check
	}
	a.hash = a.computeHash()
	return a
}

// decodeIdentity reads id, topic, version, title and priority.
func (a *Answer) decodeIdentity(f fields, ps *problems) {
	file := a.File
	if v := f.get("id"); v != nil {
		if s, ok := str(file, "id", v, ps); ok && (len(s) > maxNameBytes || !idPattern.MatchString(s)) {
			ps.add(file, v.Line, "id: %s is not a lower-case slug such as \"housing-benefit-in-review\"", quote(s))
		} else {
			a.ID = s
		}
	}
	if v := f.get("topic"); v != nil {
		if s, ok := str(file, "topic", v, ps); ok && (len(s) > maxNameBytes || !topicPattern.MatchString(s)) {
			ps.add(file, v.Line, "topic: %s is not a dotted lower-case name such as \"housing.benefit\"", quote(s))
		} else {
			a.Topic = s
		}
	}
	if v := f.get("version"); v != nil {
		if n, ok := integer(file, "version", v, ps); ok && (n < 1 || n > math.MaxUint32) {
			ps.add(file, v.Line, "version: must be a positive integer, got %d", n)
		} else {
			a.Version = uint32(n)
		}
	}
	if v := f.get("title"); v != nil {
		if s, ok := str(file, "title", v, ps); ok && (strings.TrimSpace(s) == "" || utf8.RuneCountInString(s) > maxTitleRunes) {
			ps.add(file, v.Line, "title: must hold 1 to %d characters", maxTitleRunes)
		} else {
			a.Title = s
		}
	}
	if v := f.get("priority"); v != nil {
		n, _ := integer(file, "priority", v, ps)
		a.Priority = int(n)
	}
}

// decodeValidity reads valid_from and valid_until.
func (a *Answer) decodeValidity(f fields, ps *problems) {
	if v := f.get("valid_from"); v != nil {
		a.ValidFrom = date(a.File, "valid_from", v, ps)
	}
	v := f.get("valid_until")
	if v == nil {
		return
	}
	a.ValidUntil = date(a.File, "valid_until", v, ps)
	if !a.ValidFrom.IsZero() && !a.ValidUntil.IsZero() && !a.ValidFrom.Before(a.ValidUntil) {
		ps.add(a.File, v.Line, "valid_until: must be after valid_from (valid_until is exclusive)")
	}
}

// decodeCondition compiles the condition and places CEL's messages on the
// lines of the file they refer to.
func (a *Answer) decodeCondition(v *yaml.Node, ps *problems) {
	src, ok := str(a.File, "condition", v, ps)
	if !ok {
		return
	}
	a.Condition = src
	first := v.Line
	if v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		first++ // a block scalar starts on the line after its indicator
	}
	cond, issues := compileCondition(src)
	for _, is := range issues {
		line := first
		if v.Style&yaml.LiteralStyle != 0 && is.line > 1 {
			line += is.line - 1
		}
		ps.add(a.File, line, "condition: %s", is.message)
	}
	a.cond = cond
}

// texts reads an optional list of non-empty strings.
func texts(file, key string, n *yaml.Node, ps *problems) []string {
	if n == nil {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		ps.add(file, n.Line, "%s: must be a list of strings", key)
		return nil
	}
	if len(n.Content) > maxListItems {
		ps.add(file, n.Line, "%s: at most %d items", key, maxListItems)
	}
	out := make([]string, 0, len(n.Content))
	for i, item := range n.Content {
		what := fmt.Sprintf("%s[%d]", key, i)
		s, ok := str(file, what, item, ps)
		if !ok {
			continue
		}
		if strings.TrimSpace(s) == "" || len(s) > maxTextBytes {
			ps.add(file, item.Line, "%s: must be a non-empty text", what)
			continue
		}
		out = append(out, s)
	}
	return out
}
