package knowledge

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // validity dates are Paris days, whatever the host has

	"go.yaml.in/yaml/v3"
)

// paris is where validity dates are read: French legal texts take effect at
// midnight in Paris.
var paris = mustLocation("Europe/Paris")

func mustLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil { // cannot happen: time/tzdata is embedded
		return time.UTC
	}
	return loc
}

// yamlLine finds the line yaml.v3 names in its syntax errors.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// decodeFile parses one file into its root node, a single YAML document.
func decodeFile(file string, data []byte, ps *problems) (root *yaml.Node) {
	defer func() { // the parser must not take the loader down with it
		if r := recover(); r != nil {
			ps.add(file, 0, "yaml: cannot parse the file: %v", r)
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			ps.add(file, 1, "the file holds no answers")
		} else {
			yamlProblem(file, err, ps)
		}
		return nil
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		ps.add(file, next.Line, "a file is one YAML document: remove the \"---\" and list every answer in one sequence")
		return nil
	} else if !errors.Is(err, io.EOF) {
		yamlProblem(file, err, ps)
		return nil
	}
	if len(doc.Content) != 1 {
		ps.add(file, max(doc.Line, 1), "the file holds no answers")
		return nil
	}
	if !noAlias(file, &doc, ps) {
		return nil
	}
	return doc.Content[0]
}

// yamlProblem reports a syntax error at the line the parser names.
func yamlProblem(file string, err error, ps *problems) {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		for _, e := range te.Errors {
			yamlProblem(file, errors.New(e), ps)
		}
		return
	}
	msg, line := strings.TrimPrefix(err.Error(), "yaml: "), 0
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	// The parser (not the scanner) counts lines from 0 in its messages,
	// and names no line at all for the first one.
	if isParserError(msg) || line == 0 {
		line++
	}
	ps.add(file, line, "yaml: %s", msg)
}

// isParserError tells the messages of yaml.v3's parser from its scanner's.
func isParserError(msg string) bool {
	for _, p := range []string{"did not find expected", "found duplicate", "found incompatible", "found undefined tag"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// noAlias refuses aliases: they make a text mean what another place says,
// and expand exponentially when nested.
func noAlias(file string, n *yaml.Node, ps *problems) bool {
	if n.Kind == yaml.AliasNode {
		ps.add(file, n.Line, "yaml aliases (*%s) are not supported: write the text out", n.Value)
		return false
	}
	ok := true
	for _, c := range n.Content {
		ok = noAlias(file, c, ps) && ok
	}
	return ok
}

// fields is a YAML mapping checked against the keys it may hold.
type fields struct {
	node  *yaml.Node
	value map[string]*yaml.Node
}

// mapping reads n as a mapping whose keys are all in known, reporting
// anything else; required keys that are absent or null are reported too.
func mapping(file, what string, n *yaml.Node, known, required []string, ps *problems) (fields, bool) {
	f := fields{node: n, value: map[string]*yaml.Node{}}
	if n.Kind != yaml.MappingNode {
		ps.add(file, n.Line, "%s: must be a mapping of keys to values", what)
		return f, false
	}
	allowed := map[string]bool{}
	for _, k := range known {
		allowed[k] = true
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case k.Kind != yaml.ScalarNode || !allowed[k.Value]:
			ps.add(file, k.Line, "%s: unknown key %s (known keys: %v)", what, quote(k.Value), known)
		case f.value[k.Value] != nil:
			ps.add(file, k.Line, "%s: key %q is given twice", what, k.Value)
		default:
			f.value[k.Value] = v
		}
	}
	for _, k := range required {
		if v := f.value[k]; v == nil || v.ShortTag() == "!!null" {
			ps.add(file, n.Line, "%s: missing required key %q", what, k)
		}
	}
	return f, true
}

// get returns the value of key, or nil when it is absent or null.
func (f fields) get(key string) *yaml.Node {
	v := f.value[key]
	if v == nil || v.ShortTag() == "!!null" {
		return nil
	}
	return v
}

// str reads a string scalar.
func str(file, key string, n *yaml.Node, ps *problems) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		ps.add(file, n.Line, "%s: must be a string (quote it if it looks like a number or a date)", key)
		return "", false
	}
	return n.Value, true
}

// integer reads an integer scalar.
func integer(file, key string, n *yaml.Node, ps *problems) (int64, bool) {
	var v int64
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&v) != nil {
		ps.add(file, n.Line, "%s: must be an integer, got %s", key, quote(n.Value))
		return 0, false
	}
	return v, true
}

// boolean reads true or false.
func boolean(file, key string, n *yaml.Node, ps *problems) bool {
	var v bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&v) != nil {
		ps.add(file, n.Line, "%s: must be true or false, got %s", key, quote(n.Value))
		return false
	}
	return v
}

// date reads a day written 2026-01-01, as midnight in Paris.
func date(file, key string, n *yaml.Node, ps *problems) time.Time {
	tag := n.ShortTag()
	if n.Kind == yaml.ScalarNode && (tag == "!!str" || tag == "!!timestamp") {
		if t, err := time.ParseInLocation(time.DateOnly, n.Value, paris); err == nil {
			return t
		}
	}
	ps.add(file, n.Line, "%s: must be a date written YYYY-MM-DD, got %s", key, quote(n.Value))
	return time.Time{}
}
