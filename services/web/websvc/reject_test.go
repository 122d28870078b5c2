package websvc_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestRejectsBadInputAndPublishesNothing(t *testing.T) {
	t.Parallel()
	w := startWeb(t, nil)
	const email = `"identifiers":[{"type":"email","value":"jeanne@example.fr"}]`
	const form = `"form_id":"housing-benefit-request","case_reference":"CAF-1"`
	tests := []struct {
		name        string
		method      string // POST when empty
		path        string
		contentType string // application/json when empty
		body        string
		header      map[string]string
		wantStatus  int
		wantCode    string
		wantField   string // "" when the error names no field
	}{
		{name: "bad JSON", path: "/v1/messages", body: `{` + email + `,"text":`, wantStatus: 400, wantField: "body"},
		{name: "not an object", path: "/v1/messages", body: `["hello"]`, wantStatus: 400, wantField: "body"},
		{name: "empty body", path: "/v1/messages", body: ``, wantStatus: 400, wantField: "body"},
		{name: "trailing data", path: "/v1/messages", body: `{` + email + `,"text":"hi"} {}`, wantStatus: 400, wantField: "body"},
		{name: "unknown field", path: "/v1/messages", body: `{` + email + `,"text":"hi","colour":"red"}`, wantStatus: 400, wantField: "colour"},
		{name: "wrong type", path: "/v1/messages", body: `{"identifiers":"jeanne@example.fr","text":"hi"}`, wantStatus: 400, wantField: "identifiers"},
		{name: "missing identifiers", path: "/v1/messages", body: `{"text":"hi"}`, wantStatus: 400, wantField: "identifiers"},
		{name: "missing text", path: "/v1/messages", body: `{` + email + `}`, wantStatus: 400, wantField: "text"},
		{name: "invalid e-mail", path: "/v1/messages", body: `{"identifiers":[{"type":"phone","value":"0612345678"},{"type":"email","value":"jeanne@"}],"text":"hi"}`, wantStatus: 400, wantField: "identifiers[1].value"},
		{name: "invalid phone", path: "/v1/messages", body: `{"identifiers":[{"type":"phone","value":"12"}],"text":"hi"}`, wantStatus: 400, wantField: "identifiers[0].value"},
		{name: "unknown identifier type", path: "/v1/messages", body: `{"identifiers":[{"type":"fax","value":"12"}],"text":"hi"}`, wantStatus: 400, wantField: "identifiers[0].type"},
		{name: "claimed idp subject", path: "/v1/messages", body: `{"identifiers":[{"type":"idp","value":"fc|123"}],"text":"hi"}`, wantStatus: 400, wantField: "identifiers[0].type"},
		{name: "unauthenticated citizen id", path: "/v1/messages", body: `{` + email + `,"citizen_id":"c_someone","text":"hi"}`, wantStatus: 400, wantField: "citizen_id"},
		{name: "question without identifiers", path: "/v1/questions", body: `{"question":"APL ?"}`, wantStatus: 400, wantField: "identifiers"},
		{name: "question and topic", path: "/v1/questions", body: `{` + email + `,"question":"APL ?","topic":"housing.benefit"}`, wantStatus: 400, wantField: "question"},
		{name: "question with citizen id", path: "/v1/questions", body: `{"citizen_id":"c_x","topic":"housing.benefit"}`, wantStatus: 400, wantField: "citizen_id"},
		{name: "bad topic", path: "/v1/messages", body: `{` + email + `,"topic":"Housing Benefit","text":"hi"}`, wantStatus: 400, wantField: "topic"},
		{name: "text over 16 KiB", path: "/v1/messages", body: `{` + email + `,"text":"` + strings.Repeat("a", 16<<10+1) + `"}`, wantStatus: 400, wantField: "text"},
		{name: "body over limit", path: "/v1/messages", body: `{` + email + `,"text":"` + strings.Repeat("a", 64<<10) + `"}`, wantStatus: 413, wantCode: "payload_too_large"},
		{name: "wrong content type", path: "/v1/messages", contentType: "text/plain", body: `{` + email + `,"text":"hi"}`, wantStatus: 415, wantCode: "unsupported_media_type"},
		{name: "latin-1 charset", path: "/v1/messages", contentType: "application/json; charset=iso-8859-1", body: `{` + email + `,"text":"hi"}`, wantStatus: 415, wantCode: "unsupported_media_type"},
		{name: "idempotency key too long", path: "/v1/messages", body: `{` + email + `,"text":"hi"}`, header: map[string]string{"Idempotency-Key": strings.Repeat("k", 256)}, wantStatus: 400, wantField: "Idempotency-Key"},
		{name: "idempotency key not ASCII", path: "/v1/messages", body: `{` + email + `,"text":"hi"}`, header: map[string]string{"Idempotency-Key": "clé"}, wantStatus: 400, wantField: "Idempotency-Key"},
		{name: "form without case_reference", path: "/v1/forms", body: `{` + email + `,"form_id":"housing-benefit-request"}`, wantStatus: 400, wantField: "case_reference"},
		{name: "form without form_id", path: "/v1/forms", body: `{` + email + `,"case_reference":"CAF-1"}`, wantStatus: 400, wantField: "form_id"},
		{name: "unknown case_status", path: "/v1/forms", body: `{` + email + `,` + form + `,"case_status":"pending"}`, wantStatus: 400, wantField: "case_status"},
		{name: "form field not a string", path: "/v1/forms", body: `{` + email + `,` + form + `,"fields":{"rent":640}}`, wantStatus: 400, wantField: "fields"},
		{name: "form field too long", path: "/v1/forms", body: `{` + email + `,` + form + `,"fields":{"rent":"` + strings.Repeat("6", 5000) + `"}}`, wantStatus: 400, wantField: "fields[rent]"},
		{name: "wrong method", method: http.MethodGet, path: "/v1/messages", wantStatus: 405, wantCode: "method_not_allowed"},
		{name: "unknown route", path: "/v1/nothing", body: `{}`, wantStatus: 404, wantCode: "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := w.NATS.StreamMessages(t, w.JS)
			method, ct := tt.method, tt.contentType
			if method == "" {
				method = http.MethodPost
			}
			if ct == "" {
				ct = "application/json"
			}
			resp := do(t, method, w.URL+tt.path, ct, tt.body, tt.header)
			if resp.Status != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %s", resp.Status, tt.wantStatus, resp.Body)
			}
			t.Logf("%d %s", resp.Status, resp.Body)
			checkError(t, resp, tt.wantCode, tt.wantField)
			if after := w.NATS.StreamMessages(t, w.JS); after != before {
				t.Errorf("stream went from %d to %d messages", before, after)
			}
		})
	}
}

// checkError checks an error response's code, and that it names field both
// in its fields and in its message.
func checkError(t *testing.T, resp response, wantCode, wantField string) {
	t.Helper()
	e := decode[errorBody](t, resp).Error
	if wantCode == "" {
		wantCode = "invalid_argument"
	}
	if e.Code != wantCode || e.Message == "" {
		t.Errorf("error code %q message %q, want code %q", e.Code, e.Message, wantCode)
	}
	if wantField == "" {
		return
	}
	var fields []string
	for _, f := range e.Fields {
		fields = append(fields, f.Field)
		if f.Reason == "" {
			t.Errorf("field %s has no reason", f.Field)
		}
	}
	if !strings.Contains(strings.Join(fields, " "), wantField) || !strings.Contains(e.Message, wantField) {
		t.Errorf("error names fields %q in %q, want %q", fields, e.Message, wantField)
	}
}
