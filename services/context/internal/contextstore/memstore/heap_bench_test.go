package memstore_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"unisson.dev/services/context/internal/contextstore"
	"unisson.dev/services/context/internal/contextstore/memstore"
)

// BenchmarkHeap fills a store with 200,000 interactions of 700 bytes over
// 20,000 citizens, each with an e-mail link, and reports the live heap it
// holds per interaction: bytes, and objects, which the garbage collector
// marks at every cycle.
func BenchmarkHeap(b *testing.B) {
	const interactions, citizens, batch = 200_000, 20_000, 500
	data := make([]byte, 700)
	var bytes, objects float64
	for b.Loop() {
		before := liveHeap()
		s := memstore.New()
		if err := s.Reset(b.Context(), "life-1"); err != nil {
			b.Fatal(err)
		}
		at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
		for start := 1; start <= interactions; start += batch {
			changes := make([]contextstore.Change, 0, batch)
			for seq := start; seq < start+batch; seq++ {
				id := fmt.Sprintf("c_%05d", seq%citizens)
				key := "email:" + id + "@example.fr"
				changes = append(changes, contextstore.Change{
					Seq: uint64(seq), CitizenID: id, OccurredAt: at,
					Links: []contextstore.Link{{Key: key, Value: id + "@example.fr", Assurance: 1}},
					Data:  append([]byte(nil), data...),
				})
			}
			if err := s.Apply(b.Context(), contextstore.Batch{Epoch: "life-1", Changes: changes, AppliedSeq: uint64(start + batch - 1)}); err != nil {
				b.Fatal(err)
			}
		}
		after := liveHeap()
		bytes = float64(after.HeapAlloc-before.HeapAlloc) / interactions
		objects = float64(after.HeapObjects-before.HeapObjects) / interactions
		runtime.KeepAlive(s)
	}
	b.ReportMetric(bytes, "heap-B/interaction")
	b.ReportMetric(objects, "heap-objects/interaction")
}

func liveHeap() runtime.MemStats {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m
}
