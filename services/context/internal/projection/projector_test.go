package projection_test

import (
	"maps"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	v1 "unisson.dev/proto/unisson/interaction/v1"

	"unisson.dev/services/context/internal/projection"
)

const (
	a = "a@example.fr"
	b = "b@example.fr"
	c = "c@example.fr"
	d = "d@example.fr"
)

// TestApplyResolvesWithinBatch: inside one Apply, identity resolution sees
// what the earlier interactions of the same batch did, merges included.
func TestApplyResolvesWithinBatch(t *testing.T) {
	tests := []struct {
		name string
		ixs  []*v1.Interaction
		// want[i] is the position of the interaction that created the
		// citizen of position i+1.
		want []int
		// wantMerged: citizen → citizens merged into it, by creating position.
		wantMerged map[int][]int
		// wantOwners: address → its owner, by creating position.
		wantOwners map[string]int
	}{
		{
			name:       "same e-mail twice",
			ixs:        []*v1.Interaction{ix(1, claimed(a)), ix(2, claimed("A@Example.FR"))},
			want:       []int{1, 1},
			wantOwners: map[string]int{a: 1},
		},
		{
			name: "merge in the middle",
			// d, linked to citizen 2 earlier in the batch, is
			// re-pointed by the merge: the next lookup must see that.
			ixs: []*v1.Interaction{
				ix(1, verified(a)), ix(2, verified(b), claimed(d)), ix(3, claimed(b)),
				ix(4, verified(a), verified(b)), ix(5, claimed(d)), ix(6, claimed(c), claimed(b)),
			},
			want:       []int{1, 2, 2, 1, 1, 1},
			wantMerged: map[int][]int{1: {2}},
			wantOwners: map[string]int{a: 1, b: 1, c: 1, d: 1},
		},
		{
			name: "claimed identifiers do not merge",
			ixs: []*v1.Interaction{
				ix(1, claimed(a)), ix(2, claimed(b)), ix(3, claimed(a), claimed(b)), ix(4, claimed(b)),
			},
			want:       []int{1, 2, 1, 2},
			wantOwners: map[string]int{a: 1, b: 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			r.apply(t, messages(t, tt.ixs)...)
			ctx := t.Context()
			of := func(pos int) string { return citizenOf(tt.ixs, pos) }

			var want, got []string
			for _, pos := range tt.want {
				want = append(want, of(pos))
			}
			for _, ap := range r.seen.all() {
				got = append(got, ap.CitizenID)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("citizen of each interaction (-want +got):\n%s", diff)
			}
			if seq := r.w.Seq(); seq != uint64(len(tt.ixs)) {
				t.Errorf("watermark = %d, want %d", seq, len(tt.ixs))
			}

			wantOwners, gotOwners := map[string]string{}, map[string]string{}
			for addr, pos := range tt.wantOwners {
				wantOwners[emailKey(addr)] = of(pos)
			}
			owners, err := r.store.Lookup(ctx, slices.Collect(maps.Keys(wantOwners)))
			if err != nil {
				t.Fatalf("Lookup: %v", err)
			}
			for k, o := range owners {
				gotOwners[k] = o.CitizenID
			}
			if diff := cmp.Diff(wantOwners, gotOwners); diff != "" {
				t.Errorf("owners (-want +got):\n%s", diff)
			}

			for target, froms := range tt.wantMerged {
				var wantFrom []string
				for _, f := range froms {
					wantFrom = append(wantFrom, of(f))
					snap, err := r.store.Snapshot(ctx, of(f), 0)
					if err != nil || snap.Citizen.MergedInto != of(target) {
						t.Errorf("citizen %d: merged into %q (%v), want %q", f, snap.Citizen.MergedInto, err, of(target))
					}
				}
				snap, err := r.store.Snapshot(ctx, of(target), 0)
				if err != nil {
					t.Fatalf("Snapshot: %v", err)
				}
				if diff := cmp.Diff(wantFrom, snap.Citizen.Merged); diff != "" {
					t.Errorf("merged into citizen %d (-want +got):\n%s", target, diff)
				}
			}

			// Each stored entry names the citizen it was resolved to.
			for seq, pos := range tt.want {
				entries, err := r.store.After(ctx, of(pos), uint64(seq), 1)
				if err != nil || len(entries) != 1 || entries[0].Seq != uint64(seq+1) {
					t.Fatalf("entry %d on citizen %d: %v, %v", seq+1, pos, entries, err)
				}
				ix, err := entries[0].Interaction()
				if err != nil {
					t.Fatal(err)
				}
				if got := ix.GetSubject().GetCitizenId(); got != of(pos) {
					t.Errorf("entry %d: subject citizen %q, want %q", seq+1, got, of(pos))
				}
			}
		})
	}
}

// TestApplySkipsInvalid: a message that is not a valid interaction is
// counted and skipped; the rest of the batch applies and the watermark
// passes it.
func TestApplySkipsInvalid(t *testing.T) {
	noID := ix(0, claimed(a))
	noID.Id = ""
	valid := func(n int) []byte { return encode(t, ix(n, claimed(a))) }
	garbage := []byte{0xff, 0xff, 0xff}
	tests := []struct {
		name         string
		msgs         []projection.Message
		wantSeqs     []uint64
		wantRejected float64
		wantApplied  uint64
	}{
		{
			name: "in the middle",
			msgs: []projection.Message{
				{Seq: 1, Data: valid(1)}, {Seq: 2, Data: garbage}, {Seq: 3, Data: encode(t, noID)}, {Seq: 4, Data: valid(4)},
			},
			wantSeqs: []uint64{1, 4}, wantRejected: 2, wantApplied: 4,
		},
		{
			name:     "last",
			msgs:     []projection.Message{{Seq: 1, Data: valid(1)}, {Seq: 2, Data: garbage}},
			wantSeqs: []uint64{1}, wantRejected: 1, wantApplied: 2,
		},
		{
			name:         "alone",
			msgs:         []projection.Message{{Seq: 1, Data: garbage}, {Seq: 2, Data: encode(t, noID)}},
			wantRejected: 2, wantApplied: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			r.apply(t, tt.msgs...)
			var notified []uint64
			for _, ap := range r.seen.all() {
				notified = append(notified, ap.Entry.Seq)
			}
			if diff := cmp.Diff(tt.wantSeqs, notified); diff != "" {
				t.Errorf("applied (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantSeqs, storedSeqs(t, r), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("stored (-want +got):\n%s", diff)
			}
			if got := counter(t, r.metrics.Rejected); got != tt.wantRejected {
				t.Errorf("rejected = %v, want %v", got, tt.wantRejected)
			}
			if got := counter(t, r.metrics.Applied); got != float64(len(tt.wantSeqs)) {
				t.Errorf("applied = %v, want %d", got, len(tt.wantSeqs))
			}
			stored, err := r.store.AppliedSeq(t.Context())
			if err != nil || stored != tt.wantApplied || r.w.Seq() != tt.wantApplied {
				t.Errorf("applied position: store %d (%v), watermark %d; want %d", stored, err, r.w.Seq(), tt.wantApplied)
			}
		})
	}
}

// TestReapplyChangesNothing: messages at or below the watermark, which a
// redelivery brings, are skipped, alone or mixed with new ones.
func TestReapplyChangesNothing(t *testing.T) {
	form := ix(7, claimed(c))
	form.Kind, form.CaseReference, form.CaseStatus = v1.Kind_KIND_FORM_SUBMISSION, "DOS-1", v1.CaseStatus_CASE_STATUS_IN_REVIEW
	ixs := []*v1.Interaction{
		ix(1, verified(a)), ix(2, verified(b)), ix(3, claimed(b)),
		ix(4, verified(a), verified(b)), ix(5, claimed(b)), ix(6, claimed(c), claimed(b)), form,
	}
	msgs := messages(t, ixs)
	r := newRig(t)
	r.apply(t, msgs[:4]...)
	r.apply(t, msgs[4:]...)
	before, notified, applied := checksum(t, r.store), len(r.seen.all()), counter(t, r.metrics.Applied)

	tests := []struct {
		name string
		msgs []projection.Message
	}{
		{"all again", msgs},
		{"a merge again", msgs[1:4]},
		{"the last one", msgs[6:]},
		{"out of order", []projection.Message{msgs[4], msgs[1], msgs[0]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r.apply(t, tt.msgs...)
			if after := checksum(t, r.store); after != before {
				t.Errorf("checksum changed")
			}
			if n := len(r.seen.all()); n != notified {
				t.Errorf("%d changes notified, want none", n-notified)
			}
			if got := counter(t, r.metrics.Applied); got != applied {
				t.Errorf("applied = %v, want %v", got, applied)
			}
			if r.w.Seq() != 7 {
				t.Errorf("watermark = %d, want 7", r.w.Seq())
			}
		})
	}

	// With a new message, the old ones of the batch are still skipped.
	r.apply(t, msgs[5], msgs[6], projection.Message{Seq: 8, Data: encode(t, ix(8, claimed(b)))})
	var seqs []uint64
	for _, ap := range r.seen.all()[notified:] {
		seqs = append(seqs, ap.Entry.Seq)
	}
	if diff := cmp.Diff([]uint64{8}, seqs); diff != "" {
		t.Errorf("applied with a new message (-want +got):\n%s", diff)
	}
}

// storedSeqs lists every timeline entry of every citizen.
func storedSeqs(t *testing.T, r *rig) []uint64 {
	t.Helper()
	var seqs []uint64
	err := r.store.CitizenIDs(t.Context(), func(id string) error {
		entries, err := r.store.After(t.Context(), id, 0, 1000)
		for _, e := range entries {
			seqs = append(seqs, e.Seq)
		}
		return err
	})
	if err != nil {
		t.Fatalf("walk: %v", err)
	}
	slices.Sort(seqs)
	return seqs
}
