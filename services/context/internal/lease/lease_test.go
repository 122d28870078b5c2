package lease_test

import (
	"errors"
	"io"
	"log/slog"
	"testing"

	"unisson.dev/platform/testenv"

	"unisson.dev/services/context/internal/lease"
)

// TestTenure follows Held through a holding, a refresh, a release and a
// holding by someone else, on a real JetStream key-value bucket.
func TestTenure(t *testing.T) {
	n := testenv.StartNATS(t)
	_, js := n.Connect(t)
	ctx := t.Context()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	name := "test-" + testenv.RandomID()
	a, err := lease.Open(ctx, js, 1, name, log)
	if err != nil {
		t.Fatal(err)
	}
	b, err := lease.Open(ctx, js, 1, name, log)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := a.Held(); ok {
		t.Fatal("held before acquiring")
	}
	if err := a.TryAcquire(ctx); err != nil {
		t.Fatal(err)
	}
	first, ok := a.Held()
	if !ok {
		t.Fatal("not held after acquiring")
	}
	if err := b.TryAcquire(ctx); !errors.Is(err, lease.ErrHeld) {
		t.Fatalf("second holder: got %v, want ErrHeld", err)
	}
	if _, ok := b.Held(); ok {
		t.Fatal("the refused holder counts on the lease")
	}
	if err := a.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if term, ok := a.Held(); !ok || term != first {
		t.Fatalf("after a refresh: term %d held %v, want %d true", term, ok, first)
	}

	a.Release(ctx)
	if _, ok := a.Held(); ok {
		t.Fatal("held after releasing")
	}
	if err := b.TryAcquire(ctx); err != nil {
		t.Fatal(err)
	}
	other, ok := b.Held()
	if !ok || other == first {
		t.Fatalf("the next holder: term %d held %v, want a term other than %d", other, ok, first)
	}
	// The first holder's refresh fails now: it no longer counts on the
	// lease, and taking it back is refused while b holds it.
	if err := a.Refresh(ctx); err == nil {
		t.Fatal("refresh of a released lease succeeded")
	}
	if err := a.TryAcquire(ctx); !errors.Is(err, lease.ErrHeld) {
		t.Fatalf("taking back a held lease: got %v, want ErrHeld", err)
	}
	if _, ok := a.Held(); ok {
		t.Fatal("held while another holder has the lease")
	}
	b.Release(ctx)
	if err := a.TryAcquire(ctx); err != nil {
		t.Fatal(err)
	}
	if term, ok := a.Held(); !ok || term == first || term == other {
		t.Fatalf("taken anew: term %d held %v, want a new term (not %d or %d)", term, ok, first, other)
	}
}
