package redisstore_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"unisson.dev/platform/testenv"
	"unisson.dev/services/context/internal/contextstore"
	"unisson.dev/services/context/internal/contextstore/memstore"
	"unisson.dev/services/context/internal/contextstore/redisstore"
	"unisson.dev/services/context/internal/contextstore/storetest"
)

const timeout = 5 * time.Second

// opener returns stores on r, each under a prefix of its own, with the
// client the service builds (see redisstore.ParseURL).
func opener(r *testenv.Redis) func(t *testing.T) contextstore.Store {
	return func(t *testing.T) contextstore.Store {
		return redisstore.New(serviceClient(t, r), r.Prefix+testenv.RandomID()+":", timeout)
	}
}

// serviceClient is a client built as the context service builds it.
func serviceClient(t *testing.T, r *testenv.Redis) *redis.Client {
	opts, err := redisstore.ParseURL(r.URL)
	if err != nil {
		t.Fatalf("ParseURL: %v", err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestStore(t *testing.T) {
	storetest.Run(t, opener(testenv.StartRedis(t)))
}

// TestStoreRESP3: the store reads the same with a client speaking RESP3,
// go-redis's default, as with the RESP2 client the service builds.
func TestStoreRESP3(t *testing.T) {
	r := testenv.StartRedis(t)
	storetest.Run(t, func(t *testing.T) contextstore.Store {
		return redisstore.New(r.Client(t), r.Prefix+testenv.RandomID()+":", timeout)
	})
}

func TestWireForm(t *testing.T) {
	storetest.WireForm(t, opener(testenv.StartRedis(t)))
}

// TestFlush: a Redis emptied behind the store's back (a restart without
// persistence) has no epoch, and Apply refuses to go on.
func TestFlush(t *testing.T) {
	r := testenv.StartRedis(t)
	s := redisstore.New(r.Client(t), r.Prefix, timeout)
	ctx := t.Context()
	if err := s.Reset(ctx, storetest.Epoch); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	history := storetest.History(storetest.Epoch)
	storetest.ApplyAll(t, s, history[:2]...)
	r.Flush(t)
	if epoch, err := s.Epoch(ctx); err != nil || epoch != "" {
		t.Errorf("Epoch after flush = %q, %v; want \"\"", epoch, err)
	}
	if err := s.Apply(ctx, history[2]); !errors.Is(err, contextstore.ErrEpochMismatch) {
		t.Errorf("Apply after flush: error = %v, want ErrEpochMismatch", err)
	}
	if seq, err := s.AppliedSeq(ctx); err != nil || seq != 0 {
		t.Errorf("AppliedSeq after flush = %d, %v; want 0", seq, err)
	}
}

// TestWrongEpochWritesNothing: the epoch is read before the writes, so a
// batch of another life leaves the store as it was.
func TestWrongEpochWritesNothing(t *testing.T) {
	r := testenv.StartRedis(t)
	c := r.Client(t)
	prefix := r.Prefix + testenv.RandomID() + ":"
	s := storetest.Fresh(t, func(*testing.T) contextstore.Store { return redisstore.New(c, prefix, timeout) })
	b := storetest.History("other")[0]
	if err := s.Apply(t.Context(), b); !errors.Is(err, contextstore.ErrEpochMismatch) {
		t.Fatalf("Apply error = %v, want ErrEpochMismatch", err)
	}
	if got := keys(t, c, prefix); !slices.Equal(got, []string{"meta"}) {
		t.Errorf("keys after a wrong epoch = %v, want [meta]", got)
	}
}

// TestMatchesMemstore: both adapters derive the same projections.
func TestMatchesMemstore(t *testing.T) {
	rs := storetest.Fresh(t, opener(testenv.StartRedis(t)))
	ms := storetest.Fresh(t, func(*testing.T) contextstore.Store { return memstore.New() })
	for _, s := range []contextstore.Store{rs, ms} {
		storetest.ApplyAll(t, s, storetest.History(storetest.Epoch)...)
	}
	if diff := cmp.Diff(storetest.Snapshots(t, ms), storetest.Snapshots(t, rs), storetest.Opts); diff != "" {
		t.Errorf("snapshots differ (-memstore +redisstore):\n%s", diff)
	}
	if diff := cmp.Diff(storetest.Answers(t, ms), storetest.Answers(t, rs), storetest.Opts); diff != "" {
		t.Errorf("answers differ (-memstore +redisstore):\n%s", diff)
	}
	if storetest.Checksum(t, ms) != storetest.Checksum(t, rs) {
		t.Errorf("checksums differ")
	}
}

// TestScriptCacheLost: Redis forgetting its scripts (a restart with
// persistence) costs one retry, not an error.
func TestScriptCacheLost(t *testing.T) {
	r := testenv.StartRedis(t)
	if !r.Private {
		t.Skip("SCRIPT FLUSH would disturb a shared server")
	}
	s := storetest.Fresh(t, opener(r))
	history := storetest.History(storetest.Epoch)
	for _, b := range history {
		if err := r.Client(t).ScriptFlush(t.Context()).Err(); err != nil {
			t.Fatalf("SCRIPT FLUSH: %v", err)
		}
		storetest.ApplyAll(t, s, b)
	}
	if seq, err := s.AppliedSeq(t.Context()); err != nil || seq != 9 {
		t.Errorf("AppliedSeq = %d, %v; want 9", seq, err)
	}
}

// TestKeyLayout pins the key names, the outbox's life, and that Reset
// keeps to its prefix.
func TestKeyLayout(t *testing.T) {
	r := testenv.StartRedis(t)
	c := r.Client(t)
	p, other := r.Prefix+"a:", r.Prefix+"b:"
	s := redisstore.New(c, p, timeout)
	neighbour := redisstore.New(c, other, timeout)
	for _, st := range []contextstore.Store{s, neighbour} {
		if err := st.Reset(t.Context(), storetest.Epoch); err != nil {
			t.Fatalf("Reset: %v", err)
		}
		storetest.ApplyAll(t, st, storetest.History(storetest.Epoch)[0])
	}
	want := []string{
		"answers", "citizens", "meta",
		"{a:aid-eligibility}",
		"{c:A}:c", "{c:A}:k", "{c:A}:l", "{c:A}:t",
		"{c:B}:a", "{c:B}:c", "{c:B}:k", "{c:B}:l", "{c:B}:o", "{c:B}:t", "{c:B}:v",
		"{i:device:dev-1}", "{i:email:a@example.fr}", "{i:email:shared@example.fr}", "{i:phone:+33612345678}",
	}
	if diff := cmp.Diff(want, keys(t, c, p)); diff != "" {
		t.Errorf("keys mismatch (-want +got):\n%s", diff)
	}
	// The next batch deletes the outbox entries of the last one.
	storetest.ApplyAll(t, s, contextstore.Batch{Epoch: storetest.Epoch, AppliedSeq: 3})
	want = slices.DeleteFunc(want, func(k string) bool { return k == "{c:B}:o" })
	if diff := cmp.Diff(want, keys(t, c, p)); diff != "" {
		t.Errorf("keys after the next batch mismatch (-want +got):\n%s", diff)
	}
	if err := s.Reset(t.Context(), "life-2"); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	if got := keys(t, c, p); !slices.Equal(got, []string{"meta"}) {
		t.Errorf("keys after Reset = %v, want [meta]", got)
	}
	if _, err := neighbour.Snapshot(t.Context(), "A", 0); err != nil {
		t.Errorf("Reset of %q reached %q: %v", p, other, err)
	}
}

// keys lists the keys under prefix p, without it, sorted.
func keys(t *testing.T, c *redis.Client, p string) []string {
	t.Helper()
	keys, err := c.Keys(t.Context(), p+"*").Result()
	if err != nil {
		t.Fatalf("KEYS: %v", err)
	}
	for i := range keys {
		keys[i] = keys[i][len(p):]
	}
	slices.Sort(keys)
	return keys
}
