package redisstore_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"unisson.dev/platform/testenv"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
	"unisson.dev/services/context/internal/contextstore"
	"unisson.dev/services/context/internal/contextstore/memstore"
	"unisson.dev/services/context/internal/contextstore/redisstore"
	"unisson.dev/services/context/internal/contextstore/storetest"
)

var errLost = errors.New("connection lost")

// rebuilt tags a batch built again.
const rebuilt = " (rebuilt)"

// lossHook fails one pipeline, the nth once armed, before or after Redis
// ran it: a connection lost on the way there or back.
type lossHook struct {
	mu    sync.Mutex
	left  int // pipelines let through before the lost one; 0: disarmed
	after bool
}

func (h *lossHook) arm(n int, after bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.left, h.after = n, after
}

// fire reports whether this pipeline is lost, and after what.
func (h *lossHook) fire() (lost, after bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.left == 0 {
		return false, false
	}
	h.left--
	return h.left == 0, h.after
}

func (h *lossHook) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (h *lossHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (h *lossHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		lost, after := h.fire()
		if !lost {
			return next(ctx, cmds)
		}
		if after {
			_ = next(ctx, cmds)
		}
		for _, c := range cmds {
			c.SetErr(errLost)
		}
		return errLost
	}
}

// answers is a batch after History with answers only: A goes back to the
// eligibility answer, C is given the documents one, then A a new version
// of it from the context version it was first answered at: a divergence.
// tag changes the interactions' text and the ledger hashes, as a batch
// built again after a failure may.
func answers(tag string) contextstore.Batch {
	change := func(seq uint64, id, answer string, version uint32, cv uint64, ch interactionv1.Channel) contextstore.Change {
		c := storetest.Change(seq, id)
		c.Interaction.Text += tag
		c.Ledger = &contextstore.LedgerEntry{Hash: "ledger" + tag}
		c.Answer = &contextstore.AnswerRecord{Topic: "housing.benefit", AnswerID: answer, Version: version,
			ContextVersion: cv, Channel: ch}
		return c
	}
	return contextstore.Batch{Epoch: storetest.Epoch, AppliedSeq: 12, Changes: []contextstore.Change{
		change(10, "A", "aid-eligibility", 1, 1, interactionv1.Channel_CHANNEL_WEB),
		change(11, "C", "aid-documents", 2, 9, interactionv1.Channel_CHANNEL_EMAIL),
		change(12, "A", "aid-documents", 3, 1, interactionv1.Channel_CHANNEL_PHONE),
	}}
}

// TestReplayAfterLoss: a batch whose read, main pipeline or follow-up
// was lost is sent again, built anew with other bytes, possibly by a new process:
// the store ends as if the first attempt had gone through, and no outbox
// entry is left behind.
func TestReplayAfterLoss(t *testing.T) {
	r := testenv.StartRedis(t)
	tests := []struct {
		name    string
		n       int
		after   bool
		restart bool
		// want is the tag of the attempt that applies the changes.
		want string
	}{
		{"read lost", 1, true, false, rebuilt},
		{"main pipeline lost on the way", 2, false, false, rebuilt},
		{"main pipeline ran, reply lost", 2, true, false, ""},
		{"main pipeline ran, reply lost, new process", 2, true, true, ""},
		{"follow-up lost on the way", 3, false, false, ""},
		{"follow-up ran, reply lost", 3, true, false, ""},
		{"follow-up lost, new process", 3, false, true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			hook := &lossHook{}
			c := r.Client(t)
			c.AddHook(hook)
			prefix := r.Prefix + testenv.RandomID() + ":"
			s := storetest.Fresh(t, func(*testing.T) contextstore.Store { return redisstore.New(c, prefix, timeout) })
			storetest.ApplyAll(t, s, storetest.History(storetest.Epoch)...)
			hook.arm(tc.n, tc.after)
			if err := s.Apply(t.Context(), answers("")); !errors.Is(err, errLost) {
				t.Fatalf("Apply with a lost pipeline: error = %v, want it lost", err)
			}
			if tc.restart {
				s = redisstore.New(c, prefix, timeout)
			}
			storetest.ApplyAll(t, s, answers(rebuilt), contextstore.Batch{Epoch: storetest.Epoch, AppliedSeq: 12})

			want := storetest.Fresh(t, func(*testing.T) contextstore.Store { return memstore.New() })
			storetest.ApplyAll(t, want, append(storetest.History(storetest.Epoch), answers(tc.want))...)
			if diff := cmp.Diff(storetest.Snapshots(t, want), storetest.Snapshots(t, s), storetest.Opts); diff != "" {
				t.Errorf("snapshots mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(storetest.Answers(t, want), storetest.Answers(t, s), storetest.Opts); diff != "" {
				t.Errorf("answers mismatch (-want +got):\n%s", diff)
			}
			if storetest.Checksum(t, want) != storetest.Checksum(t, s) {
				t.Errorf("checksums differ")
			}
			if keys := c.Keys(t.Context(), prefix+"*}:o").Val(); len(keys) != 0 {
				t.Errorf("outbox keys left: %v", keys)
			}
		})
	}
}
