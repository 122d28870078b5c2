package redisstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"unisson.dev/platform/testenv"
	"unisson.dev/services/context/internal/contextstore"
	"unisson.dev/services/context/internal/contextstore/memstore"
	"unisson.dev/services/context/internal/contextstore/redisstore"
	"unisson.dev/services/context/internal/contextstore/storetest"
)

// cutHook lets Redis run only the first k commands of the nth pipeline
// once armed, as when a connection drops in the middle of one: Redis
// runs the commands it received, in order, and the client sees an error.
type cutHook struct {
	mu      sync.Mutex
	n, k    int
	cut     bool
	armed   bool
	counted int
}

func (h *cutHook) arm(n, k int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.n, h.k, h.armed, h.cut, h.counted = n, k, true, false, 0
}

// result reports whether the armed pipeline was cut, and whether there
// was an nth pipeline at all.
func (h *cutHook) result() (cut, reached bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cut, h.counted >= h.n
}

func (h *cutHook) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (h *cutHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (h *cutHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.mu.Lock()
		cut := false
		if h.armed {
			h.counted++
			if h.counted == h.n {
				h.armed = false
				cut = h.k < len(cmds)
				h.cut = cut
			}
		}
		k := h.k
		h.mu.Unlock()
		if !cut {
			return next(ctx, cmds)
		}
		_ = next(ctx, cmds[:k])
		for _, c := range cmds {
			c.SetErr(errLost)
		}
		return errLost
	}
}

// TestReplayAfterCut cuts each pipeline of a batch after each of its
// commands, then sends the batch again, rebuilt: every citizen ends as if
// its changes had been applied once, with the first attempt's content or
// the second's, and no timeline keeps an entry the cut left uncommitted.
func TestReplayAfterCut(t *testing.T) {
	r := testenv.StartRedis(t)
	history := storetest.History(storetest.Epoch)
	tests := []struct {
		name          string
		before        []contextstore.Batch
		first, second contextstore.Batch
	}{
		{"answers", history, answers(""), answers(rebuilt)},
		{"merge", history[:2], history[2], history[2]},
	}
	for _, tc := range tests {
		wants := []contextstore.Store{
			storetest.Fresh(t, func(*testing.T) contextstore.Store { return memstore.New() }),
			storetest.Fresh(t, func(*testing.T) contextstore.Store { return memstore.New() }),
		}
		storetest.ApplyAll(t, wants[0], append(tc.before, tc.first)...)
		storetest.ApplyAll(t, wants[1], append(tc.before, tc.second)...)
		want0, want1 := storetest.Snapshots(t, wants[0]), storetest.Snapshots(t, wants[1])
		wantAnswers := storetest.Answers(t, wants[1])
		for n, reached := 1, true; reached; n++ {
			cuts := 0
			for k := 1; ; k++ {
				hook := &cutHook{}
				c := r.Client(t)
				c.AddHook(hook)
				prefix := r.Prefix + testenv.RandomID() + ":"
				s := storetest.Fresh(t, func(*testing.T) contextstore.Store { return redisstore.New(c, prefix, timeout) })
				storetest.ApplyAll(t, s, tc.before...)
				hook.arm(n, k)
				err := s.Apply(t.Context(), tc.first)
				var cut bool
				if cut, reached = hook.result(); !cut {
					if err != nil {
						t.Fatalf("%s: Apply without a cut: %v", tc.name, err)
					}
					break
				}
				cuts++
				name := fmt.Sprintf("%s: pipeline %d cut after %d commands", tc.name, n, k)
				storetest.ApplyAll(t, s, tc.second)
				got := storetest.Snapshots(t, s)
				for id, snap := range got {
					if cmp.Diff(want0[id], snap, storetest.Opts) != "" && cmp.Diff(want1[id], snap, storetest.Opts) != "" {
						t.Errorf("%s: citizen %s mismatch (-want +got):\n%s", name, id, cmp.Diff(want1[id], snap, storetest.Opts))
					}
				}
				if len(got) != len(want1) {
					t.Errorf("%s: %d citizens, want %d", name, len(got), len(want1))
				}
				if diff := cmp.Diff(wantAnswers, storetest.Answers(t, s), storetest.Opts); diff != "" {
					t.Errorf("%s: answers mismatch (-want +got):\n%s", name, diff)
				}
				wantCommitted(t, c, prefix, name)
			}
			if cuts > 0 {
				t.Logf("%s: pipeline %d cut %d ways", tc.name, n, cuts)
			}
		}
	}
}

// wantCommitted checks that every timeline under prefix holds exactly
// the entries its record counts.
func wantCommitted(t *testing.T, c *redis.Client, prefix, name string) {
	t.Helper()
	keys, err := c.Keys(t.Context(), prefix+"*}:t").Result()
	if err != nil {
		t.Fatalf("KEYS: %v", err)
	}
	for _, key := range keys {
		record := key[:len(key)-1] + "c"
		n, err1 := c.HGet(t.Context(), record, "n").Int64()
		length, err2 := c.LLen(t.Context(), key).Result()
		if err1 != nil || err2 != nil || n != length {
			t.Errorf("%s: %s holds %d entries, its record counts %d (%v, %v)", name, key, length, n, err1, err2)
		}
	}
}

// TestUncommittedUnseen: entries a cut-short round trip appended past a
// timeline's committed length are seen by no read, and the citizen's
// next entry replaces them.
func TestUncommittedUnseen(t *testing.T) {
	r := testenv.StartRedis(t)
	c := r.Client(t)
	ctx := t.Context()
	prefix := r.Prefix + testenv.RandomID() + ":"
	s := storetest.Fresh(t, func(*testing.T) contextstore.Store { return redisstore.New(c, prefix, timeout) })
	storetest.ApplyAll(t, s, storetest.History(storetest.Epoch)...)
	before := storetest.Snapshots(t, s)
	leftover := "\x00\x00\x00\x00\x00\x00\x00\x63left over"
	for _, id := range []string{"A", "nobody"} {
		if err := c.RPush(ctx, prefix+"{c:"+id+"}:t", leftover).Err(); err != nil {
			t.Fatalf("RPUSH: %v", err)
		}
	}
	if diff := cmp.Diff(before, storetest.Snapshots(t, s), storetest.Opts); diff != "" {
		t.Errorf("snapshots with a leftover mismatch (-want +got):\n%s", diff)
	}
	if snap, err := s.Snapshot(ctx, "A", 0); err != nil || snap.InteractionCount != 6 {
		t.Errorf("Snapshot(A, 0) = %d interactions, %v; want 6", snap.InteractionCount, err)
	}
	reads := []struct {
		name string
		read func() ([]contextstore.Entry, error)
		want []uint64
	}{
		{"Timeline(A, 0)", func() ([]contextstore.Entry, error) { return s.Timeline(ctx, "A", 0, 10) }, []uint64{8, 7, 4, 3, 2, 1}},
		{"Timeline(A, 200)", func() ([]contextstore.Entry, error) { return s.Timeline(ctx, "A", 200, 2) }, []uint64{8, 7}},
		{"After(A, 0)", func() ([]contextstore.Entry, error) { return s.After(ctx, "A", 0, 10) }, []uint64{1, 2, 3, 4, 7, 8}},
		{"After(A, 7)", func() ([]contextstore.Entry, error) { return s.After(ctx, "A", 7, 10) }, []uint64{8}},
		{"After(A, 8)", func() ([]contextstore.Entry, error) { return s.After(ctx, "A", 8, 10) }, nil},
		{"After(nobody, 0)", func() ([]contextstore.Entry, error) { return s.After(ctx, "nobody", 0, 10) }, nil},
		{"Timeline(nobody, 0)", func() ([]contextstore.Entry, error) { return s.Timeline(ctx, "nobody", 0, 10) }, nil},
	}
	for _, rd := range reads {
		got, err := rd.read()
		if err != nil {
			t.Fatalf("%s: %v", rd.name, err)
		}
		var seqs []uint64
		for _, e := range got {
			seqs = append(seqs, e.Seq)
		}
		if diff := cmp.Diff(rd.want, seqs); diff != "" {
			t.Errorf("%s seqs mismatch (-want +got):\n%s", rd.name, diff)
		}
	}
	storetest.ApplyAll(t, s, contextstore.Batch{Epoch: storetest.Epoch, AppliedSeq: 10,
		Changes: []contextstore.Change{storetest.Change(10, "A")}})
	if got, err := s.After(ctx, "A", 8, 10); err != nil || len(got) != 1 || got[0].Seq != 10 {
		t.Errorf("After(A, 8) after the next change = %v, %v; want entry 10", got, err)
	}
	// nobody's leftover stays until nobody is given an entry.
	if err := c.Del(ctx, prefix+"{c:nobody}:t").Err(); err != nil {
		t.Fatalf("DEL: %v", err)
	}
	wantCommitted(t, c, prefix, "after the next change")
}
