package projection_test

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	answerv1 "unisson.dev/proto/unisson/answer/v1"
	v1 "unisson.dev/proto/unisson/interaction/v1"

	"unisson.dev/services/context/internal/identity"
	"unisson.dev/services/context/internal/projection"
)

// TestPipelineMatchesOneByOne: pipelined batches, each prepared while the
// store still lacks the one before, give the store, the watermark and the
// notifications that applying one message at a time gives: identity
// resolution sees the links and ledger heads of the run being written,
// and merges are resolved after the store has them.
func TestPipelineMatchesOneByOne(t *testing.T) {
	t.Parallel()
	// Many split records, so many merges; answers chain ledgers.
	msgs := benchLog(t, 1500, 150, 4)
	ref, wantSeen := oneByOne(t, msgs)
	want := checksum(t, ref)
	for _, tc := range []struct{ size, cache int }{{9, 0}, {50, 0}, {500, 0}, {9, 16}, {50, 1 << 16}, {500, 64}} {
		t.Run(fmt.Sprintf("batches of %d, index cache %d", tc.size, tc.cache), func(t *testing.T) {
			t.Parallel()
			size := tc.size
			s := newGateStore(uint64(len(msgs)))
			p, w, seen := newProjector(t, s, tc.cache)
			pl := p.Pipeline(t.Context())
			for _, b := range batches(msgs, size) {
				if err := pl.Apply(t.Context(), b); err != nil {
					t.Fatalf("Apply: %v", err)
				}
			}
			if err := pl.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if got := checksum(t, s); got != want {
				t.Errorf("checksum %s, want %s", got, want)
			}
			if w.Seq() != uint64(len(msgs)) || pl.Stored() != uint64(len(msgs)) {
				t.Errorf("watermark %d, stored %d; want %d", w.Seq(), pl.Stored(), len(msgs))
			}
			if diff := cmp.Diff(wantSeen, seen.all(), equalBytes); diff != "" {
				t.Errorf("notifications (-one by one +pipelined):\n%s", diff)
			}
		})
	}
}

// TestPipelineStoreFailure: when the store fails batch N while batch N+1
// is prepared, N+1 is dropped unwritten, the watermark and the
// notifications stop before N, and applying the unacknowledged messages
// again (as the log consumer does) ends with the store that applying one
// message at a time gives, every interaction told once, in log order.
func TestPipelineStoreFailure(t *testing.T) {
	t.Parallel()
	msgs := benchLog(t, 600, 60, 4)
	ref, wantSeen := oneByOne(t, msgs)
	want := checksum(t, ref)
	clean := newGateStore(uint64(len(msgs)))
	applyWithRetries(t, clean, msgs, 0)
	calls := clean.calls // store calls without failures
	tests := []struct {
		name   string
		failOn []int
	}{
		{"first batch", []int{1}},
		{"a batch in the middle", []int{calls / 2}},
		{"the last batch, reported by Close", []int{calls}},
		{"the retry too", []int{calls / 3, calls/3 + 1}},
	}
	for _, tt := range tests {
		for _, cache := range []int{0, 1 << 16} {
			t.Run(fmt.Sprintf("%s, index cache %d", tt.name, cache), func(t *testing.T) {
				t.Parallel()
				s := newGateStore(uint64(len(msgs)), tt.failOn...)
				seen := applyWithRetries(t, s, msgs, cache)
				if got := checksum(t, s); got != want {
					t.Errorf("checksum %s, want %s", got, want)
				}
				// Entries are compared in the store: an answer the failed call
				// stored is skipped on retry, and watchers get it without the
				// ledger hashes the store has.
				if diff := cmp.Diff(told(wantSeen), told(seen.all())); diff != "" {
					t.Errorf("notifications (-one by one +after failures):\n%s", diff)
				}
			})
		}
	}
}

// applyWithRetries applies msgs through pipelines in batches of 50, as the
// log consumer does: on a failure it checks what the store holds, then
// applies every message not acknowledged yet again until the store takes
// them, and goes on with a new pipeline.
func applyWithRetries(t *testing.T, s *gateStore, msgs []projection.Message, cache int) *recorder {
	t.Helper()
	p, w, seen := newProjector(t, s, cache)
	var unacked []projection.Message
	pl := p.Pipeline(t.Context())
	failed := func(err error) {
		checkFailed(t, s, w, seen, pl, err, unacked)
		// Calls no longer match runs one to one.
		s.ungate()
		for i := 0; p.Apply(t.Context(), unacked) != nil; i++ {
			if i == 5 {
				t.Fatal("the store keeps failing")
			}
		}
		unacked = acked(unacked, w.Seq())
		pl = p.Pipeline(t.Context())
	}
	for _, b := range batches(msgs, 50) {
		unacked = append(unacked, b...)
		if err := pl.Apply(t.Context(), b); err != nil {
			failed(err)
		}
		unacked = acked(unacked, pl.Stored())
	}
	if err := pl.Close(); err != nil {
		failed(err)
	}
	unacked = acked(unacked, pl.Stored())
	if len(s.failOn) > 0 && s.calls <= slices.Max(slices.Collect(maps.Keys(s.failOn))) {
		t.Errorf("%d store calls, fewer than the failures planned", s.calls)
	}
	if w.Seq() != uint64(len(msgs)) || len(unacked) > 0 {
		t.Errorf("watermark %d, want %d; %d messages unacknowledged", w.Seq(), len(msgs), len(unacked))
	}
	return seen
}

// checkFailed checks a pipeline that returned err: nothing past the
// failed run is stored or told, and the pending messages cover the rest.
func checkFailed(t *testing.T, s *gateStore, w *projection.Watermark, seen *recorder, pl *projection.Pipeline, err error, unacked []projection.Message) {
	t.Helper()
	if cerr := pl.Close(); !errors.Is(err, errStoreDown) || !errors.Is(cerr, errStoreDown) {
		t.Fatalf("Apply: %v, Close: %v; want %v", err, cerr, errStoreDown)
	}
	stored, _ := s.AppliedSeq(t.Context())
	if stored != w.Seq() || stored != pl.Stored() {
		t.Fatalf("store at %d, watermark %d, pipeline stored %d", stored, w.Seq(), pl.Stored())
	}
	// Nothing lost: every message past the store's position is pending.
	if len(unacked) == 0 {
		t.Fatalf("a failure with every message acknowledged, store at %d", stored)
	}
	if first, last := unacked[0].Seq, unacked[len(unacked)-1].Seq; first > stored+1 || int(last-first)+1 != len(unacked) {
		t.Fatalf("pending %d messages from %d to %d, store at %d", len(unacked), first, last, stored)
	}
	all := seen.all()
	if len(all) > 0 && all[len(all)-1].Entry.Seq > stored {
		t.Errorf("told about %d, past the stored %d", all[len(all)-1].Entry.Seq, stored)
	}
	// The failed run wrote half its changes at most; the runs after it
	// nothing.
	last := slices.Max(storedSeqsOf(t, s.Store))
	if n := last - stored; n > 25 {
		t.Errorf("%d changes stored past the applied position, want at most half a batch", n)
	}
}

// TestPipelineOverlay: each message in a batch of its own, so that each
// run is prepared while the store lacks the one before.
func TestPipelineOverlay(t *testing.T) {
	t.Parallel()
	phone := id(v1.IdentifierType_IDENTIFIER_TYPE_PHONE, "+33612345678", v1.Assurance_ASSURANCE_CLAIMED)
	verifiedPhone := id(v1.IdentifierType_IDENTIFIER_TYPE_PHONE, "+33612345678", v1.Assurance_ASSURANCE_VERIFIED)
	answer := func(n int, citizen *v1.Interaction) *v1.Interaction {
		x := ix(n)
		x.Kind, x.Direction = v1.Kind_KIND_ANSWER_GIVEN, v1.Direction_DIRECTION_OUTBOUND
		x.Subject = &v1.Subject{CitizenId: identity.CitizenIDPrefix + strings.ToLower(citizen.GetId())}
		x.Answer = &answerv1.AnswerGiven{AnswerId: "aid-eligibility", AnswerVersion: uint32(n), ContentHash: "abc"}
		return x
	}
	first := ix(1, claimed(a))
	tests := []struct {
		name string
		ixs  []*v1.Interaction
	}{
		{"links of the run being written", []*v1.Interaction{first, ix(2, claimed(a)), ix(3, verified(a), claimed(b)), ix(4, claimed(b))}},
		{"ledger head of the run being written", []*v1.Interaction{first, answer(2, first), answer(3, first), answer(4, first)}},
		{"a merge, stored before the next lookup", []*v1.Interaction{
			// b moves with the merge, though no overlay knows it.
			ix(1, phone, claimed(b)), ix(2, claimed(a)), ix(3, verified(a), verifiedPhone), ix(4, claimed(b)), ix(5, phone),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			msgs := messages(t, tt.ixs)
			ref, wantSeen := oneByOne(t, msgs)
			s := newGateStore(uint64(len(msgs)))
			p, _, seen := newProjector(t, s, 1<<16)
			pl := p.Pipeline(t.Context())
			for _, m := range msgs {
				if err := pl.Apply(t.Context(), []projection.Message{m}); err != nil {
					t.Fatalf("Apply: %v", err)
				}
			}
			if err := pl.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if diff := cmp.Diff(wantSeen, seen.all(), equalBytes); diff != "" {
				t.Errorf("notifications (-one by one +pipelined):\n%s", diff)
			}
			if got, want := checksum(t, s), checksum(t, ref); got != want {
				t.Errorf("checksum %s, want %s", got, want)
			}
		})
	}
}
