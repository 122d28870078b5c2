package logconsumer_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"unisson.dev/services/context/internal/contextstore/memstore"
	"unisson.dev/services/context/internal/lease"
	"unisson.dev/services/context/internal/logconsumer"
	"unisson.dev/services/context/internal/projection"
)

// stuckEpochStore is a memstore whose epoch reads, once armed, hang until
// released, whatever their context says: a store answering the periodic
// check very late.
type stuckEpochStore struct {
	*memstore.Store
	armed   atomic.Bool
	entered chan struct{} // closed by the first hanging read
	once    sync.Once
	release chan struct{}
}

func (s *stuckEpochStore) Epoch(ctx context.Context) (string, error) {
	if s.armed.Load() {
		s.once.Do(func() { close(s.entered) })
		<-s.release
	}
	return s.Store.Epoch(ctx)
}

// TestApplyingGoesOnDuringEpochCheck: the periodic epoch check (and lease
// refresh) runs beside the applying loop, so messages published while it
// hangs are applied all the same. Before, the loop itself ran the check and
// every message waited for it.
func TestApplyingGoesOnDuringEpochCheck(t *testing.T) {
	t.Parallel()
	n, js := startLog(t)
	ixs := logOf(400, 40)
	first := publish(t, js, n.Stream, ixs[:100])

	store := &stuckEpochStore{Store: memstore.New(), entered: make(chan struct{}), release: make(chan struct{})}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	proj := projection.NewProjector(store, projection.NewWatermark(0), nil, nil, log)
	cfg := logconsumer.Config{Stream: n.Stream, Durable: "guard", MaxBatch: 50, EpochCheck: 10 * time.Millisecond}
	c := logconsumer.New(js, cfg, proj, store, log)
	defer runInBackground(t, c)()
	defer close(store.release) // runs before the deferred cancel: Run can end

	waitApplied(t, proj, uint64(len(first)))
	store.armed.Store(true)
	select {
	case <-store.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the epoch check did not run")
	}
	// The check hangs from now on; the rest of the log must still arrive.
	publish(t, js, n.Stream, ixs[100:])
	waitApplied(t, proj, uint64(len(ixs)))
}

// runInBackground runs c until the function it returns is called, which
// then checks that Run ended cleanly.
func runInBackground(t *testing.T, c *logconsumer.Consumer) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	ran := make(chan error, 1)
	go func() { ran <- c.Run(ctx, 0) }()
	return func() {
		cancel()
		if err := <-ran; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

// waitApplied waits until the projector has applied up to seq.
func waitApplied(t *testing.T, proj *projection.Projector, seq uint64) {
	t.Helper()
	waitFor(t, fmt.Sprintf("position %d to be applied", seq), func() bool { return proj.Applied() >= seq })
}

// TestLeaseLostWhileApplying: another holder takes the lease while the
// consumer applies; the guard notices at its next refresh and the consumer
// stops applying. Once the other holder lets the lease go, the consumer
// takes it back and applies what was published meanwhile.
func TestLeaseLostWhileApplying(t *testing.T) {
	t.Parallel()
	n, js := startLog(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	l, err := lease.Open(t.Context(), js, 1, "guard-lease", log)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(t.Context(), lease.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	ixs := logOf(300, 30)
	first := publish(t, js, n.Stream, ixs[:100])

	store := memstore.New()
	proj := projection.NewProjector(store, projection.NewWatermark(0), nil, nil, log)
	cfg := logconsumer.Config{Stream: n.Stream, Durable: "guard", MaxBatch: 50, EpochCheck: 10 * time.Millisecond, Lease: l}
	c := logconsumer.New(js, cfg, proj, store, log)
	defer runInBackground(t, c)()
	waitApplied(t, proj, uint64(len(first)))

	if _, err := kv.Put(t.Context(), "guard-lease", []byte("another service")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the consumer to stop applying", func() bool { return !c.Applying() })
	publish(t, js, n.Stream, ixs[100:])
	if err := kv.Delete(t.Context(), "guard-lease"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the consumer to apply again", c.Applying)
	waitApplied(t, proj, uint64(len(ixs)))
}

// waitFor waits until cond holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
