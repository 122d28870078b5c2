package websvc_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"unisson.dev/services/web/websvc"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestPanicBecomes500(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	h := websvc.NewHandler(websvc.DefaultConfig(), websvc.Deps{Log: slog.New(slog.NewTextHandler(&logs, nil)), Context: panicking{}})
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp := get(t, srv.URL+"/v1/context?citizen_id=c-1", nil)
	if resp.Status != http.StatusInternalServerError {
		t.Fatalf("status %d, body %s", resp.Status, resp.Body)
	}
	checkError(t, resp, "internal", "")
	if !strings.Contains(logs.String(), "handler panicked") {
		t.Errorf("the panic was not logged:\n%s", logs.String())
	}
}

func TestAccessLogAndMetrics(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	reg := prometheus.NewRegistry()
	h := websvc.NewHandler(websvc.DefaultConfig(), websvc.Deps{Log: slog.New(slog.NewJSONHandler(&logs, nil)), Metrics: reg})
	// A second handler on the same registry (as in a composed binary)
	// shares the metrics instead of failing.
	_ = websvc.NewHandler(websvc.DefaultConfig(), websvc.Deps{Metrics: reg})
	srv := httptest.NewServer(h)
	defer srv.Close()

	resp := postJSON(t, srv.URL+"/v1/messages", `{"identifiers":[{"type":"email","value":"jeanne@"}],"text":"secret text"}`, nil)
	if resp.Status != http.StatusBadRequest {
		t.Fatalf("status %d, body %s", resp.Status, resp.Body)
	}
	_ = get(t, srv.URL+"/v1/context?email=jeanne@example.fr", nil) // no context client: a 500, logged
	id := resp.Header.Get("X-Request-Id")
	if len(id) < 16 {
		t.Errorf("X-Request-Id %q, want a generated id", id)
	}
	out := logs.String()
	for _, want := range []string{`"request_id":"` + id + `"`, `"path":"/v1/messages"`, `"status":400`, `"path":"/v1/context"`} {
		if !strings.Contains(out, want) {
			t.Errorf("access log lacks %s:\n%s", want, out)
		}
	}
	for _, secret := range []string{"jeanne", "secret text"} {
		if strings.Contains(out, secret) {
			t.Errorf("log holds personal data %q:\n%s", secret, out)
		}
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	var found bool
	for _, f := range families {
		if f.GetName() != "unisson_web_http_requests_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			found = found || labels["route"] == "/v1/messages" && labels["code"] == "400" && m.GetCounter().GetValue() == 1
		}
	}
	if !found {
		t.Errorf("no request counted for route /v1/messages, code 400")
	}
}
