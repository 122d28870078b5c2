package storetest

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"unisson.dev/services/context/internal/contextstore"
)

// evenTimeline gives citizen A interactions at 2, 4, 6, 8 and 10, and B
// one at 5, so that bounds fall both on and between entries.
func evenTimeline(t *testing.T, open func(t *testing.T) contextstore.Store) contextstore.Store {
	s := Fresh(t, open)
	ApplyAll(t, s, batch(10,
		Change(2, "A"), Change(4, "A"), Change(5, "B"), Change(6, "A"), Change(8, "A"), Change(10, "A")))
	return s
}

func testTimeline(t *testing.T, open func(t *testing.T) contextstore.Store) {
	s := evenTimeline(t, open)
	tests := []struct {
		citizen   string
		beforeSeq uint64
		limit     int
		want      []uint64
	}{
		{"A", 0, 3, []uint64{10, 8, 6}},
		{"A", 0, 100, []uint64{10, 8, 6, 4, 2}},
		{"A", 6, 2, []uint64{4, 2}},
		{"A", 5, 10, []uint64{4, 2}},
		{"A", 11, 1, []uint64{10}},
		{"A", 2, 10, nil},
		{"A", 0, 0, nil},
		{"B", 0, 10, []uint64{5}},
		{"nobody", 0, 10, nil},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s before %d limit %d", tc.citizen, tc.beforeSeq, tc.limit), func(t *testing.T) {
			got, err := s.Timeline(t.Context(), tc.citizen, tc.beforeSeq, tc.limit)
			if err != nil {
				t.Fatalf("Timeline: %v", err)
			}
			if diff := cmp.Diff(tc.want, seqs(got)); diff != "" {
				t.Errorf("seqs mismatch (-want +got):\n%s", diff)
			}
			wantInteractions(t, got)
		})
	}
	t.Run("paging", func(t *testing.T) { testTimelinePaging(t, s) })
}

// testTimelinePaging pages through A's timeline two entries at a time, as
// a client would with beforeSeq.
func testTimelinePaging(t *testing.T, s contextstore.Store) {
	var all []uint64
	var before uint64
	for page := 0; page < 10; page++ {
		got, err := s.Timeline(t.Context(), "A", before, 2)
		if err != nil {
			t.Fatalf("Timeline: %v", err)
		}
		if len(got) == 0 {
			break
		}
		all = append(all, seqs(got)...)
		before = got[len(got)-1].Seq
	}
	if diff := cmp.Diff([]uint64{10, 8, 6, 4, 2}, all); diff != "" {
		t.Errorf("paged seqs mismatch (-want +got):\n%s", diff)
	}
}

func testAfter(t *testing.T, open func(t *testing.T) contextstore.Store) {
	s := evenTimeline(t, open)
	tests := []struct {
		citizen  string
		afterSeq uint64
		limit    int
		want     []uint64
	}{
		{"A", 0, 3, []uint64{2, 4, 6}},
		{"A", 0, 100, []uint64{2, 4, 6, 8, 10}},
		{"A", 4, 2, []uint64{6, 8}},
		{"A", 5, 10, []uint64{6, 8, 10}},
		{"A", 1, 1, []uint64{2}},
		{"A", 10, 10, nil},
		{"A", 0, 0, nil},
		{"B", 0, 10, []uint64{5}},
		{"nobody", 0, 10, nil},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s after %d limit %d", tc.citizen, tc.afterSeq, tc.limit), func(t *testing.T) {
			got, err := s.After(t.Context(), tc.citizen, tc.afterSeq, tc.limit)
			if err != nil {
				t.Fatalf("After: %v", err)
			}
			if diff := cmp.Diff(tc.want, seqs(got)); diff != "" {
				t.Errorf("seqs mismatch (-want +got):\n%s", diff)
			}
			wantInteractions(t, got)
		})
	}
}

// wantInteractions checks each entry holds the fixture interaction of its
// seq, not just the right position.
func wantInteractions(t *testing.T, entries []contextstore.Entry) {
	t.Helper()
	for _, e := range entries {
		want := Interaction(e.Seq, fmt.Sprintf("message %d", e.Seq))
		got, err := e.Interaction()
		if err != nil {
			t.Errorf("entry %d: %v", e.Seq, err)
			continue
		}
		if diff := cmp.Diff(want, got, Opts); diff != "" {
			t.Errorf("entry %d interaction mismatch (-want +got):\n%s", e.Seq, diff)
		}
	}
}
