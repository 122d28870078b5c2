package memstore_test

import (
	"fmt"
	"testing"

	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
	"unisson.dev/services/context/internal/contextstore"
	"unisson.dev/services/context/internal/contextstore/memstore"
	"unisson.dev/services/context/internal/contextstore/storetest"
)

// BenchmarkSnapshot reads a citizen with 200 interactions, 6 links and 3
// cases, showing the 20 most recent: GetContext's first page, as
// redisstore's benchmark of the same name.
func BenchmarkSnapshot(b *testing.B) {
	s := memstore.New()
	if err := s.Reset(b.Context(), storetest.Epoch); err != nil {
		b.Fatal(err)
	}
	var changes []contextstore.Change
	for seq := uint64(1); seq <= 200; seq++ {
		ch := storetest.Change(seq, "citizen-1")
		ch.Links = []contextstore.Link{{Key: "email:c1@example.fr", Value: "c1@example.fr", Assurance: interactionv1.Assurance_ASSURANCE_CLAIMED}}
		if seq <= 5 {
			ch.Links[0].Key = fmt.Sprintf("email:%d@example.fr", seq)
		}
		if seq <= 3 {
			ch.Case = &contextstore.Case{Reference: fmt.Sprintf("DOS-%d", seq), Topic: "housing.benefit",
				Status: interactionv1.CaseStatus_CASE_STATUS_SUBMITTED}
		}
		changes = append(changes, ch)
	}
	storetest.ApplyAll(b, s, contextstore.Batch{Epoch: storetest.Epoch, AppliedSeq: 200, Changes: changes})
	b.ReportAllocs()
	for b.Loop() {
		snap, err := s.Snapshot(b.Context(), "citizen-1", 20)
		if err != nil || len(snap.Recent) != 20 || len(snap.Links) != 6 || len(snap.Cases) != 3 {
			b.Fatalf("Snapshot = %d recent, %d links, %d cases, %v", len(snap.Recent), len(snap.Links), len(snap.Cases), err)
		}
	}
}
