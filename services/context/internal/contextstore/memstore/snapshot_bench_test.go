package memstore_test

import (
	"testing"

	"unisson.dev/services/context/internal/contextstore/memstore"
	"unisson.dev/services/context/internal/contextstore/storetest"
)

// BenchmarkSnapshot reads a first page of 20 of the citizen of
// storetest.SnapshotBatch (200 interactions, 6 links, 3 cases), as
// redisstore's benchmark of the same name.
func BenchmarkSnapshot(b *testing.B) {
	s := memstore.New()
	if err := s.Reset(b.Context(), storetest.Epoch); err != nil {
		b.Fatal(err)
	}
	storetest.ApplyAll(b, s, storetest.SnapshotBatch(storetest.Epoch, "citizen-1"))
	b.ReportAllocs()
	for b.Loop() {
		if err := storetest.CheckSnapshotPage(s.Snapshot(b.Context(), "citizen-1", 20)); err != nil {
			b.Fatal(err)
		}
	}
}
