package redisstore_test

import (
	"errors"
	"log/slog"
	"slices"
	"testing"

	"github.com/redis/go-redis/v9"

	"unisson.dev/platform/testenv"
	"unisson.dev/services/context/internal/contextstore"
	"unisson.dev/services/context/internal/contextstore/redisstore"
	"unisson.dev/services/context/internal/contextstore/storetest"
	"unisson.dev/services/context/internal/projection"
)

// TestLayoutUpgrade: a store in the previous key layout (sorted-set
// timelines, a meta hash without a layout) reads as emptied, so that the
// projector resets it and rebuilds it from the log instead of misreading
// it, and a batch applied to it anyway fails before writing.
func TestLayoutUpgrade(t *testing.T) {
	r := testenv.StartRedis(t)
	c := r.Client(t)
	ctx := t.Context()
	p := r.Prefix + testenv.RandomID() + ":"
	old := []func() error{
		func() error { return c.HSet(ctx, p+"meta", "epoch", "life-0", "applied_seq", "3").Err() },
		func() error {
			return c.HSet(ctx, p+"{c:A}:c", "created_seq", "1", "created_at", "", "version", "2", "updated_at", "").Err()
		},
		func() error {
			return c.ZAdd(ctx, p+"{c:A}:t", redis.Z{Score: 1, Member: "\x00\x00\x00\x00\x00\x00\x00\x01"}).Err()
		},
		func() error { return c.Set(ctx, p+"{i:email:a@example.fr}", "1:A", 0).Err() },
	}
	for _, write := range old {
		if err := write(); err != nil {
			t.Fatalf("write the old layout: %v", err)
		}
	}
	s := redisstore.New(c, p, timeout)
	if epoch, err := s.Epoch(ctx); err != nil || epoch != "" {
		t.Fatalf("Epoch of the old layout = %q, %v; want \"\"", epoch, err)
	}
	b := storetest.History("life-0")[0]
	if err := s.Apply(ctx, b); !errors.Is(err, contextstore.ErrEpochMismatch) {
		t.Errorf("Apply to the old layout: error = %v, want ErrEpochMismatch", err)
	}
	if typ := c.Type(ctx, p+"{c:A}:t").Val(); typ != "zset" {
		t.Errorf("Apply to the old layout wrote the timeline: type %s", typ)
	}

	pr := projection.NewProjector(s, projection.NewWatermark(0), nil, nil, slog.New(slog.DiscardHandler))
	if seq, err := pr.Start(ctx, storetest.Epoch); err != nil || seq != 0 {
		t.Fatalf("Start = %d, %v; want 0: a rebuild from the log", seq, err)
	}
	if got := keys(t, c, p); !slices.Equal(got, []string{"meta"}) {
		t.Errorf("keys after Start = %v, want [meta]", got)
	}
	storetest.ApplyAll(t, s, storetest.History(storetest.Epoch)...)
	if epoch, err := s.Epoch(ctx); err != nil || epoch != storetest.Epoch {
		t.Errorf("Epoch after the rebuild = %q, %v; want %q", epoch, err, storetest.Epoch)
	}
}
