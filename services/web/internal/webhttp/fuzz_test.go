package webhttp_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"unisson.dev/platform/eventlog"
	"unisson.dev/services/web/internal/intake"
	"unisson.dev/services/web/internal/webhttp"
)

type countingPublisher struct{ n atomic.Uint64 }

func (p *countingPublisher) Publish(context.Context, *nats.Msg) (eventlog.Ack, error) {
	return eventlog.Ack{Seq: p.n.Add(1)}, nil
}

// FuzzPost checks that no body makes a write handler fail or publish
// anything but a 202: every other answer is a client error.
func FuzzPost(f *testing.F) {
	for _, seed := range []string{
		`{"identifiers":[{"type":"email","value":"jeanne@example.fr"}],"text":"hi"}`,
		`{"identifiers":[{"type":"phone","value":"06 12 34 56 78"}],"topic":"housing.benefit","text":"é"}`,
		`{"identifiers":[{"type":"case","value":"caf-1"}],"form_id":"f","case_reference":"caf-1","case_status":"in_review","fields":{"a":"b"}}`,
		`{"identifiers":[{"type":"email","value":"jeanne@"}],"text":"hi"} {}`,
		`{"identifiers":null,"citizen_id":"c 1","fields":{"":"x"}}`,
		`[`, ``, `"\ud800"`,
	} {
		f.Add("/v1/messages", seed)
		f.Add("/v1/forms", seed)
	}
	pub := &countingPublisher{}
	in := intake.New(pub, nil, eventlog.DefaultStreamConfig(), 0)
	h := webhttp.New(webhttp.Options{MaxBodyBytes: 4 << 10}, in, nil, slog.New(slog.DiscardHandler), webhttp.NewMetrics(prometheus.NewRegistry()))
	f.Fuzz(func(t *testing.T, path, body string) {
		if path != "/v1/messages" {
			path = "/v1/forms"
		}
		before := pub.n.Load()
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		published := pub.n.Load() != before
		switch rec.Code {
		case http.StatusAccepted:
			if !published {
				t.Fatalf("202 without publishing for %q", body)
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			if published {
				t.Fatalf("%d but published %q", rec.Code, body)
			}
		default:
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
	})
}
