// Package storetest is the conformance suite of contextstore.Store: every
// adapter runs it, so the Redis store and the memory store answer alike.
package storetest

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/protobuf/testing/protocmp"

	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
	"unisson.dev/services/context/internal/contextstore"
)

// Epoch is the epoch the suite gives a store it resets.
const Epoch = "life-1"

// Run runs the suite; open returns a new, empty store for each subtest.
// Subtests run in parallel, each on its own store.
func Run(t *testing.T, open func(t *testing.T) contextstore.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open func(t *testing.T) contextstore.Store)
	}{
		{"Empty", testEmpty},
		{"ApplyCreates", testApplyCreates},
		{"Idempotent", testIdempotent},
		{"InteractionCount", testInteractionCount},
		{"Timeline", testTimeline},
		{"After", testAfter},
		{"LinkUpgrade", testLinkUpgrade},
		{"CaseUpdate", testCaseUpdate},
		{"Merge", testMerge},
		{"EpochReset", testEpochReset},
		{"WrongEpoch", testWrongEpoch},
		{"CitizenIDs", testCitizenIDs},
		{"Checksum", testChecksum},
		{"SeqGuard", testSeqGuard},
		{"GuardKeepsMerge", testGuardKeepsMerge},
		{"Ledger", testLedger},
		{"LastAnswer", testLastAnswer},
		{"Divergence", testDivergence},
		{"AnswerHolders", testAnswerHolders},
		{"HistoryAnswers", testHistoryAnswers},
		{"KnownOwners", testKnownOwners},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open)
		})
	}
}

// Opts compare snapshots and entries: interactions by content, whatever
// their wire form, nil and empty slices alike.
var Opts = cmp.Options{
	protocmp.Transform(),
	cmpopts.EquateEmpty(),
	cmp.Transformer("decode", func(e contextstore.Entry) decoded {
		d := decoded{Seq: e.Seq}
		if e.Data != nil {
			d.Interaction, d.Err = e.Interaction()
		}
		return d
	}),
}

// decoded is an Entry as Opts compares it.
type decoded struct {
	Seq         uint64
	Interaction *interactionv1.Interaction
	Err         error
}

// entry is ix encoded at seq.
func entry(t *testing.T, seq uint64, ix *interactionv1.Interaction) contextstore.Entry {
	t.Helper()
	e, err := contextstore.NewEntry(seq, ix)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// Fresh opens a store and resets it to Epoch.
func Fresh(t *testing.T, open func(t *testing.T) contextstore.Store) contextstore.Store {
	t.Helper()
	s := open(t)
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Reset(t.Context(), Epoch); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	return s
}

// ApplyAll applies batches in order.
func ApplyAll(t testing.TB, s contextstore.Store, batches ...contextstore.Batch) {
	t.Helper()
	for _, b := range batches {
		if err := s.Apply(t.Context(), b); err != nil {
			t.Fatalf("Apply(batch to %d): %v", b.AppliedSeq, err)
		}
	}
}

// Checksum is contextstore.Checksum or a fatal error.
func Checksum(t testing.TB, s contextstore.Store) string {
	t.Helper()
	sum, err := contextstore.Checksum(t.Context(), s)
	if err != nil {
		t.Fatalf("Checksum: %v", err)
	}
	return sum
}

func batch(appliedSeq uint64, changes ...contextstore.Change) contextstore.Batch {
	return contextstore.Batch{Epoch: Epoch, AppliedSeq: appliedSeq, Changes: changes}
}

func snapshot(t *testing.T, s contextstore.Store, id string, recent int) contextstore.Snapshot {
	t.Helper()
	snap, err := s.Snapshot(t.Context(), id, recent)
	if err != nil {
		t.Fatalf("Snapshot(%s): %v", id, err)
	}
	return snap
}

func appliedSeq(t *testing.T, s contextstore.Store) uint64 {
	t.Helper()
	seq, err := s.AppliedSeq(t.Context())
	if err != nil {
		t.Fatalf("AppliedSeq: %v", err)
	}
	return seq
}

func lookup(t *testing.T, s contextstore.Store, keys ...string) map[string]contextstore.Owner {
	t.Helper()
	owners, err := s.Lookup(t.Context(), keys)
	if err != nil {
		t.Fatalf("Lookup: %v", err)
	}
	return owners
}

func citizenIDs(t *testing.T, s contextstore.Store) []string {
	t.Helper()
	var ids []string
	if err := s.CitizenIDs(t.Context(), func(id string) error {
		ids = append(ids, id)
		return nil
	}); err != nil {
		t.Fatalf("CitizenIDs: %v", err)
	}
	return ids
}

// Snapshots returns every citizen's full snapshot, by id.
func Snapshots(t *testing.T, s contextstore.Store) map[string]contextstore.Snapshot {
	t.Helper()
	out := make(map[string]contextstore.Snapshot)
	for _, id := range citizenIDs(t, s) {
		out[id] = snapshot(t, s, id, 1000)
	}
	return out
}

func seqs(entries []contextstore.Entry) []uint64 {
	var out []uint64
	for _, e := range entries {
		out = append(out, e.Seq)
	}
	return out
}

func wantNotFound(t *testing.T, s contextstore.Store, id string) {
	t.Helper()
	_, err := s.Snapshot(t.Context(), id, 10)
	if !errors.Is(err, contextstore.ErrNotFound) {
		t.Errorf("Snapshot(%s) error = %v, want ErrNotFound", id, err)
	}
}
