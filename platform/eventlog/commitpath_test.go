package eventlog_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/synadia-io/orbit.go/jetstreamext"

	"unisson.dev/platform/eventlog"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
)

// Whichever path a batch takes, atomic or single publishes, each caller gets
// its own message's sequence, a repeated id gets the original's sequence and
// exactly one caller per id is told its message was new. A batch smaller than
// MinAtomicBatch is never committed atomically.
func TestPublisherCommitPaths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		minAtomicBatch int
	}{
		{"single publishes only", 1000},
		{"atomic batches from 4 messages", 4},
		{"atomic batches from 2 messages", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n, _, js := setup(t)
			p := startPublisher(t, js, eventlog.PublisherConfig{MaxBatch: 500, MinAtomicBatch: tt.minAtomicBatch, Committers: 2})
			acks := publishWithRepeats(t, p, n.Stream.Subject(interactionv1.Channel_CHANNEL_WEB))
			stream, err := js.Stream(context.Background(), n.Stream.Name)
			if err != nil {
				t.Fatal(err)
			}
			batches := map[string]int{}
			for id, as := range acks {
				fresh := 0
				for _, a := range as {
					if a.Seq != as[0].Seq {
						t.Fatalf("id %s: sequences %d and %d", id, as[0].Seq, a.Seq)
					}
					if !a.Duplicate {
						fresh++
					}
				}
				if fresh != 1 {
					t.Errorf("id %s: %d of %d acks say new, want 1", id, fresh, len(as))
				}
				got, err := stream.GetMsg(context.Background(), as[0].Seq)
				if err != nil {
					t.Fatalf("get %d: %v", as[0].Seq, err)
				}
				if string(got.Data) != id {
					t.Fatalf("sequence %d holds %q, want %q", as[0].Seq, got.Data, id)
				}
				if b := got.Header.Get(jetstreamext.BatchIDHeader); b != "" {
					batches[b]++
				}
			}
			t.Logf("%d ids, %d atomic batches", len(acks), len(batches))
			for b, size := range batches {
				if size < tt.minAtomicBatch {
					t.Errorf("atomic batch %s of %d messages, below MinAtomicBatch %d", b, size, tt.minAtomicBatch)
				}
			}
			if got := n.StreamMessages(t, js); got != uint64(len(acks)) {
				t.Fatalf("stream holds %d messages, want %d", got, len(acks))
			}
		})
	}
}

// publishWithRepeats publishes from 24 concurrent callers, first ids of
// their own, then again ids that two callers publish at once, and returns
// the acks by id.
func publishWithRepeats(t *testing.T, p *eventlog.Publisher, subject string) map[string][]eventlog.Ack {
	t.Helper()
	const callers, each = 24, 20
	var mu sync.Mutex
	acks := map[string][]eventlog.Ack{}
	publish := func(owner func(caller int) int) {
		var wg sync.WaitGroup
		for c := range callers {
			wg.Go(func() {
				for i := range each {
					id := fmt.Sprintf("id-%d-%d", owner(c), i)
					ack, err := p.Publish(context.Background(), msg(subject, id, id))
					if err != nil {
						t.Errorf("publish %s: %v", id, err)
						return
					}
					mu.Lock()
					acks[id] = append(acks[id], ack)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
	}
	publish(func(c int) int { return c })
	publish(func(c int) int { return c / 2 * 2 })
	return acks
}
