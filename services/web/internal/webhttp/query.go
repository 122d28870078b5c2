package webhttp

import (
	"net/url"
	"strconv"
	"strings"

	"unisson.dev/platform/eventlog"
	"unisson.dev/platform/identifier"
	contextv1 "unisson.dev/proto/unisson/context/v1"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
)

// query reads a request's query parameters strictly: unknown or repeated
// parameters are errors, so a typo never silently widens a read.
type query struct {
	values url.Values
	errs   []fieldError
}

// selectors designate the citizen of a read; exactly one is given.
var selectors = []string{"citizen_id", "email", "phone", "case"}

func parseQuery(raw string, allowed ...string) *query {
	q := &query{}
	values, err := url.ParseQuery(raw)
	if err != nil {
		q.fail("query", "is not a valid query string")
		return q
	}
	q.values = values
	known := map[string]bool{}
	for _, name := range append(allowed, selectors...) {
		known[name] = true
	}
	for name := range values {
		if !known[name] {
			q.fail(name, "is not a known parameter")
		}
	}
	return q
}

func (q *query) fail(field, reason string) {
	q.errs = append(q.errs, fieldError{Field: field, Reason: reason})
}

// one returns the single value of name, or "" when absent.
func (q *query) one(name string) string {
	vs := q.values[name]
	if len(vs) > 1 {
		q.fail(name, "must be given once")
	}
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// list returns the values of name, given repeated or comma-separated.
func (q *query) list(name string) []string {
	var out []string
	for _, v := range q.values[name] {
		for part := range strings.SplitSeq(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// limit returns name as an integer in [1, 100], or 0 when absent so that
// the context service applies its default.
func (q *query) limit(name string) int32 {
	s := q.one(name)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 100 {
		q.fail(name, "must be an integer from 1 to 100")
		return 0
	}
	return int32(n)
}

func (q *query) token() string {
	t := q.one("consistency_token")
	if _, err := eventlog.ParseToken(t); err != nil {
		q.fail("consistency_token", "is not a token returned by a write")
	}
	return t
}

// citizen reads the selector: citizen_id, or an e-mail address, phone
// number or case reference, normalised as the log stores them.
func (q *query) citizen() *contextv1.CitizenRef {
	var given []string
	for _, name := range selectors {
		if _, ok := q.values[name]; ok {
			given = append(given, name)
		}
	}
	if len(given) != 1 {
		q.fail("citizen_id", "give exactly one of citizen_id, email, phone or case")
		return nil
	}
	name, value := given[0], q.one(given[0])
	if name == "citizen_id" {
		if value == "" || len(value) > 64 || strings.ContainsFunc(value, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			q.fail(name, "must be a citizen id")
			return nil
		}
		return &contextv1.CitizenRef{Ref: &contextv1.CitizenRef_CitizenId{CitizenId: value}}
	}
	t, _ := identifier.ParseTypeName(name)
	norm, err := identifier.Normalize(t, value)
	if err != nil {
		q.fail(name, strings.TrimPrefix(err.Error(), identifier.ErrInvalid.Error()+": "))
		return nil
	}
	id := &interactionv1.Identifier{Type: t, Value: norm}
	return &contextv1.CitizenRef{Ref: &contextv1.CitizenRef_Identifier{Identifier: id}}
}
