package knowledge

import (
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

var (
	renderingKeys = []string{"short", "web", "email", "voice", "counter"}
	messageKeys   = []string{"subject", "body"}
)

// decodeRenderings reads every rendering; all are required, so that no
// channel is ever left without the official text.
func (a *Answer) decodeRenderings(n *yaml.Node, ps *problems) {
	f, ok := mapping(a.File, "renderings", n, renderingKeys, renderingKeys, ps)
	if !ok {
		return
	}
	var usesCase bool
	text := func(key string, v *yaml.Node) string {
		s, uses := a.text(key, v, ps)
		usesCase = usesCase || uses
		return s
	}
	r := &a.Renderings
	if v := f.get("short"); v != nil {
		r.Short = text("renderings.short", v)
		if n := utf8.RuneCountInString(r.Short); n > MaxShortRunes {
			ps.add(a.File, v.Line, "renderings.short: %d characters, at most %d", n, MaxShortRunes)
		}
	}
	r.Voice = text("renderings.voice", f.get("voice"))
	r.Counter = text("renderings.counter", f.get("counter"))
	for _, m := range []struct {
		key string
		msg *Message
	}{{"web", &r.Web}, {"email", &r.Email}} {
		v := f.get(m.key)
		if v == nil {
			continue
		}
		mf, ok := mapping(a.File, "renderings."+m.key, v, messageKeys, messageKeys, ps)
		if ok {
			m.msg.Subject = text("renderings."+m.key+".subject", mf.get("subject"))
			m.msg.Body = text("renderings."+m.key+".body", mf.get("body"))
		}
	}
	if usesCase && !a.RequiresVerifiedIdentity {
		ps.add(a.File, n.Line, "renderings: {{case.*}} placeholders disclose a case: set requires_verified_identity: true")
	}
}

// text reads one rendering text and checks its placeholders; v is nil when
// the key is absent (mapping has reported it).
func (a *Answer) text(key string, v *yaml.Node, ps *problems) (string, bool) {
	if v == nil {
		return "", false
	}
	s, ok := str(a.File, key, v, ps)
	if !ok {
		return "", false
	}
	if strings.TrimSpace(s) == "" || len(s) > maxTextBytes {
		ps.add(a.File, v.Line, "%s: must be a non-empty text of at most %d bytes", key, maxTextBytes)
	}
	msgs, uses := templateProblems(s)
	for _, m := range msgs {
		ps.add(a.File, v.Line, "%s: %s", key, m)
	}
	return s, uses
}
