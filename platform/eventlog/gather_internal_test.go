package eventlog

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// These tests drive the gathering directly, without a server, because when a
// batch is handed over depends on timing that a black-box test cannot pin.
// They assert what is handed over, never how long it took: a guard of
// seconds only catches a wait of the hour the config would allow.

const guard = 10 * time.Second

func gatherer(t *testing.T, cfg PublisherConfig, answered, queued int) *Publisher {
	t.Helper()
	p := NewPublisher(nil, cfg)
	p.answered.Store(int64(answered))
	for range queued {
		p.reqs <- &request{msg: nats.NewMsg("s"), done: make(chan struct{})}
	}
	return p
}

// handOver runs fill with one request already taken and an idle committer,
// and returns the batch the committer got.
func handOver(t *testing.T, p *Publisher) []*request {
	t.Helper()
	batches := make(chan []*request)
	first := <-p.reqs
	go func() {
		if b := p.fill([]*request{first}, batches); b != nil {
			batches <- b
		}
	}()
	select {
	case b := <-batches:
		return b
	case <-time.After(guard):
		t.Fatalf("no batch handed over within %v", guard)
		return nil
	}
}

func TestFillLinger(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		linger   time.Duration
		answered int // size of the last batch answered
		queued   int // requests waiting, the first included
		want     int // size of the batch handed over
	}{
		// A lone writer's last batch held its own message: no company is
		// expected, so it never waits, however long Linger is.
		{"lone writer does not wait", time.Hour, 1, 1, 1},
		{"below the atomic size does not wait", time.Hour, 3, 1, 1},
		// The batch goes as soon as it is as large as the last one.
		{"expected company arrived", time.Hour, 4, 4, 4},
		// Company that does not come is waited for at most Linger.
		{"bounded wait", 20 * time.Millisecond, 50, 2, 2},
		{"no linger", 0, 50, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := gatherer(t, PublisherConfig{MaxBatch: 100, MinAtomicBatch: 4, Linger: tt.linger}, tt.answered, tt.queued)
			if got := len(handOver(t, p)); got != tt.want {
				t.Fatalf("batch of %d handed over, want %d", got, tt.want)
			}
		})
	}
}

// With every committer busy, a batch keeps growing until it is full.
func TestFillStopsAtMaxBatch(t *testing.T) {
	t.Parallel()
	p := gatherer(t, PublisherConfig{MaxBatch: 5}, 1, 7)
	first := <-p.reqs
	done := make(chan []*request, 1)
	go func() { done <- p.fill([]*request{first}, make(chan []*request)) }()
	select {
	case b := <-done:
		if len(b) != 5 {
			t.Fatalf("full batch of %d, want 5", len(b))
		}
	case <-time.After(guard):
		t.Fatalf("fill did not return a full batch within %v", guard)
	}
}
