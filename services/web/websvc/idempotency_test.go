package websvc_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSameIdempotencyKeyStoresOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		path, body string
		concurrent int // 0: two requests one after the other
	}{
		{name: "message, sequential", path: "/v1/messages", body: messageBody},
		{name: "form, sequential", path: "/v1/forms", body: formBody},
		{name: "message, concurrent", path: "/v1/messages", body: messageBody, concurrent: 2},
		{name: "form, concurrent", path: "/v1/forms", body: formBody, concurrent: 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := startWeb(t, nil)
			key := map[string]string{"Idempotency-Key": "3f6c2a52-8d4e-4c43-9a51-" + tt.name}
			var resps []response
			if tt.concurrent == 0 {
				resps = append(resps, postJSON(t, w.URL+tt.path, tt.body, key), postJSON(t, w.URL+tt.path, tt.body, key))
				if got := resps[1].Header.Get("Idempotent-Replayed"); got != "true" {
					t.Errorf("second response has Idempotent-Replayed %q, want true", got)
				}
			} else {
				resps = postConcurrently(t, w.URL+tt.path, tt.body, key, tt.concurrent)
			}
			var receipts []receipt
			for _, r := range resps {
				if r.Status != http.StatusAccepted {
					t.Fatalf("status %d, body %s", r.Status, r.Body)
				}
				receipts = append(receipts, decode[receipt](t, r))
			}
			for _, rc := range receipts[1:] {
				if diff := cmp.Diff(receipts[0], rc); diff != "" {
					t.Errorf("receipts differ (-first +other):\n%s", diff)
				}
			}
			if got := w.NATS.StreamMessages(t, w.JS); got != 1 {
				t.Fatalf("stream holds %d messages, want 1", got)
			}
			ix, _ := w.stored(t, 1)
			if ix.GetId() != receipts[0].InteractionID || len(ix.GetWeb().GetIdempotencyKeyHash()) != 64 {
				t.Errorf("stored id %s, key hash %q; want %s and a SHA-256", ix.GetId(), ix.GetWeb().GetIdempotencyKeyHash(), receipts[0].InteractionID)
			}
		})
	}
}

func postConcurrently(t *testing.T, url, body string, header map[string]string, n int) []response {
	t.Helper()
	resps := make([]response, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			resps[i] = postJSON(t, url, body, header)
		})
	}
	close(start)
	wg.Wait()
	return resps
}

func TestIdempotencyKeyReusedForAnotherRequestIsRefused(t *testing.T) {
	t.Parallel()
	w := startWeb(t, nil)
	key := map[string]string{"Idempotency-Key": "order-1"}
	if r := postJSON(t, w.URL+"/v1/messages", messageBody, key); r.Status != http.StatusAccepted {
		t.Fatalf("first request: status %d, body %s", r.Status, r.Body)
	}
	other := `{"identifiers":[{"type":"email","value":"paul@example.fr"}],"text":"Bonjour"}`
	r := postJSON(t, w.URL+"/v1/messages", other, key)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("reused key: status %d, want 422; body %s", r.Status, r.Body)
	}
	checkError(t, r, "idempotency_key_reused", "Idempotency-Key")
	if got := w.NATS.StreamMessages(t, w.JS); got != 1 {
		t.Fatalf("stream holds %d messages, want 1", got)
	}
	// Without a key, the same body is a new interaction.
	if r := postJSON(t, w.URL+"/v1/messages", messageBody, nil); r.Status != http.StatusAccepted {
		t.Fatalf("request without key: status %d, body %s", r.Status, r.Body)
	}
	if got := w.NATS.StreamMessages(t, w.JS); got != 2 {
		t.Fatalf("stream holds %d messages, want 2", got)
	}
}
