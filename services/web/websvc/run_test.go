package websvc_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"unisson.dev/platform/testenv"
	"unisson.dev/services/web/websvc"
)

// addrHandler hands over the addresses Run logs once it serves.
type addrHandler struct {
	slog.Handler
	addrs chan [2]string
}

func (h addrHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h addrHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "web adapter serving" {
		var a [2]string
		r.Attrs(func(at slog.Attr) bool {
			switch at.Key {
			case "http_addr":
				a[0] = at.Value.String()
			case "admin_addr":
				a[1] = at.Value.String()
			}
			return true
		})
		h.addrs <- a
	}
	if !h.Handler.Enabled(ctx, r.Level) {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func TestRunServesAndShutsDown(t *testing.T) {
	t.Parallel()
	n := testenv.StartNATS(t)
	cfg := websvc.DefaultConfig()
	cfg.HTTPAddr, cfg.AdminAddr, cfg.NATSURL = "127.0.0.1:0", "127.0.0.1:0", n.URL
	cfg.ContextAddr, cfg.Stream = "127.0.0.1:1", n.Stream
	h := addrHandler{Handler: slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}), addrs: make(chan [2]string, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- websvc.Run(ctx, cfg, slog.New(h)) }()

	var addrs [2]string
	select {
	case addrs = <-h.addrs:
	case err := <-done:
		t.Fatalf("Run returned early: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not start serving")
	}
	resp := postJSON(t, "http://"+addrs[0]+"/v1/messages", messageBody, nil)
	if resp.Status != http.StatusAccepted {
		t.Fatalf("status %d, body %s", resp.Status, resp.Body)
	}
	if r := get(t, "http://"+addrs[1]+"/readyz", nil); r.Status != http.StatusOK {
		t.Errorf("readyz: status %d, body %s", r.Status, r.Body)
	}
	if r := get(t, "http://"+addrs[1]+"/metrics", nil); !strings.Contains(string(r.Body), "unisson_web_publish_duration_seconds") {
		t.Errorf("metrics lack the publish histogram")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not shut down")
	}
	_, js := n.Connect(t)
	if got := n.StreamMessages(t, js); got != 1 {
		t.Errorf("stream holds %d messages, want 1", got)
	}
}
