package websvc_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	"unisson.dev/platform/eventlog"
	"unisson.dev/platform/testenv"
	contextv1 "unisson.dev/proto/unisson/context/v1"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
	"unisson.dev/services/web/websvc"
)

// web is the adapter under test, with a real NATS server and publisher.
type web struct {
	URL  string
	NATS *testenv.NATS
	JS   jetstream.JetStream
	Reg  *prometheus.Registry
}

// startWeb serves the handler over real HTTP, publishing to a stream of
// the test's own; cc may be nil when the test makes no reads.
func startWeb(t *testing.T, cc contextv1.ContextServiceClient) *web {
	t.Helper()
	n := testenv.StartNATS(t)
	nc, js := n.Connect(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := eventlog.EnsureStream(ctx, nc, js, n.Stream); err != nil {
		t.Fatalf("ensure stream: %v", err)
	}
	pub := eventlog.NewPublisher(js, eventlog.DefaultPublisherConfig())
	pubCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- pub.Run(pubCtx) }()
	t.Cleanup(func() { stop(); <-done })
	cfg := websvc.DefaultConfig()
	cfg.Stream = n.Stream
	reg := prometheus.NewRegistry()
	h := websvc.NewHandler(cfg, websvc.Deps{Log: testLog(t), Publisher: pub, Stream: n.Stream, JS: js, Context: cc, Metrics: reg})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close) // runs first: the publisher stops after the server
	return &web{URL: srv.URL, NATS: n, JS: js, Reg: reg}
}

func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// errorBody is the JSON of an error response.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Fields  []struct {
			Field  string `json:"field"`
			Reason string `json:"reason"`
		} `json:"fields"`
	} `json:"error"`
}

type receipt struct {
	InteractionID    string `json:"interaction_id"`
	ConsistencyToken string `json:"consistency_token"`
}

func do(t *testing.T, method, url, contentType, body string, header map[string]string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func postJSON(t *testing.T, url, body string, header map[string]string) response {
	t.Helper()
	return do(t, http.MethodPost, url, "application/json", body, header)
}

func decode[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
	return v
}

// stored returns the interaction at seq and its message.
func (w *web) stored(t *testing.T, seq uint64) (*interactionv1.Interaction, *jetstream.RawStreamMsg) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := w.JS.Stream(ctx, w.NATS.Stream.Name)
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	raw, err := s.GetMsg(ctx, seq)
	if err != nil {
		t.Fatalf("get message %d: %v", seq, err)
	}
	ix := &interactionv1.Interaction{}
	if err := proto.Unmarshal(raw.Data, ix); err != nil {
		t.Fatalf("message %d is not an Interaction: %v", seq, err)
	}
	return ix, raw
}
