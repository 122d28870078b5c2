package redisstore_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"unisson.dev/platform/testenv"
	"unisson.dev/services/context/internal/contextstore"
	"unisson.dev/services/context/internal/contextstore/memstore"
	"unisson.dev/services/context/internal/contextstore/redisstore"
	"unisson.dev/services/context/internal/contextstore/storetest"
)

// TestMergeSentAgain: a merge sent again after its batch failed copies
// only what the merged citizen held at the merge, not what the batch gave
// it afterwards (an interaction naming it by id), as a merge applied once.
func TestMergeSentAgain(t *testing.T) {
	r := testenv.StartRedis(t)
	hook := &lossHook{}
	c := r.Client(t)
	c.AddHook(hook)
	prefix := r.Prefix + testenv.RandomID() + ":"
	s := storetest.Fresh(t, func(*testing.T) contextstore.Store { return redisstore.New(c, prefix, timeout) })
	merge := storetest.Change(4, "A")
	merge.MergeFrom = []string{"B"}
	batches := []contextstore.Batch{
		{Epoch: storetest.Epoch, AppliedSeq: 2, Changes: []contextstore.Change{storetest.Change(1, "A"), storetest.Change(2, "B")}},
		{Epoch: storetest.Epoch, AppliedSeq: 5, Changes: []contextstore.Change{merge, storetest.Change(5, "B")}},
	}
	storetest.ApplyAll(t, s, batches[0])
	// Pipelines: read, write (A), merge: read B, re-point; read, write (B).
	hook.arm(6, true)
	if err := s.Apply(t.Context(), batches[1]); !errors.Is(err, errLost) {
		t.Fatalf("Apply with its last pipeline lost: error = %v, want it lost", err)
	}
	storetest.ApplyAll(t, s, batches[1])

	want := storetest.Fresh(t, func(*testing.T) contextstore.Store { return memstore.New() })
	storetest.ApplyAll(t, want, batches...)
	if diff := cmp.Diff(storetest.Snapshots(t, want), storetest.Snapshots(t, s), storetest.Opts); diff != "" {
		t.Errorf("snapshots mismatch (-want +got):\n%s", diff)
	}
}
