package redisstore_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"unisson.dev/platform/testenv"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
	"unisson.dev/services/context/internal/contextstore"
	"unisson.dev/services/context/internal/contextstore/redisstore"
	"unisson.dev/services/context/internal/contextstore/storetest"
)

const (
	benchBatch    = 500
	benchCitizens = 20000
	benchEpoch    = storetest.Epoch
	// roundCitizens makes workload rounds of 100,000 interactions, 10 per
	// citizen as in the 1M-interaction data set of services/bench: run
	// BenchmarkApply with -benchtime 200x to apply exactly one round.
	roundCitizens = 10000
)

// benchStore is a reset store on a redis-server of its own (or REDIS_URL),
// with a client to read the server's figures.
func benchStore(b *testing.B) (*redisstore.Store, *redis.Client) {
	b.Helper()
	r := testenv.StartRedis(b)
	c := r.Client(b)
	s := redisstore.New(r.Client(b), r.Prefix, timeout)
	if err := s.Reset(b.Context(), benchEpoch); err != nil {
		b.Fatalf("Reset: %v", err)
	}
	return s, c
}

// BenchmarkApply applies the workload's batches of 500 changes (see
// workload): a long tail of citizens, links at first contacts and counter
// visits only, cases moving on, a merge now and then. Run it with
// -benchtime 200x to apply one round. interactions/s is the applier's
// ceiling on one connection; redis-µs/interaction is what an interaction
// costs Redis (INFO cpu), the figure that bounds the apply rate once Go
// and Redis work at the same time; go-µs/interaction is this process's
// CPU during Apply, its GC included (the workload's garbage is collected
// before each batch).
func BenchmarkApply(b *testing.B) {
	s, c := benchStore(b)
	w := newWorkload(1, roundCitizens)
	cpu := redisCPU(b, c)
	var goCPU time.Duration
	for b.Loop() {
		b.StopTimer()
		batch := w.batch(benchBatch)
		runtime.GC()
		b.StartTimer()
		before := processCPU(b)
		if err := s.Apply(b.Context(), batch); err != nil {
			b.Fatalf("Apply: %v", err)
		}
		goCPU += processCPU(b) - before
	}
	n := float64(b.N * benchBatch)
	b.ReportMetric(n/b.Elapsed().Seconds(), "interactions/s")
	b.ReportMetric((redisCPU(b, c)-cpu)*1e6/n, "redis-µs/interaction")
	b.ReportMetric(float64(goCPU.Microseconds())/n, "go-µs/interaction")
}

// BenchmarkApplyAnswers applies batches where every change gives an
// answer with its ledger entry: the follow-up round trip and the answer
// indexes.
func BenchmarkApplyAnswers(b *testing.B) {
	s, c := benchStore(b)
	var seq uint64
	cpu := redisCPU(b, c)
	for b.Loop() {
		b.StopTimer()
		batch := contextstore.Batch{Epoch: benchEpoch, Changes: make([]contextstore.Change, benchBatch)}
		for i := range batch.Changes {
			seq++
			batch.Changes[i] = benchAnswer(seq)
		}
		batch.AppliedSeq = seq
		b.StartTimer()
		if err := s.Apply(b.Context(), batch); err != nil {
			b.Fatalf("Apply: %v", err)
		}
	}
	n := float64(b.N * benchBatch)
	b.ReportMetric(n/b.Elapsed().Seconds(), "interactions/s")
	b.ReportMetric((redisCPU(b, c)-cpu)*1e6/n, "redis-µs/interaction")
}

// BenchmarkMemory applies one workload round (100,000 interactions over
// 10,000 citizens) to an empty store and reports Redis used_memory per
// interaction, with the share of each kind of key (MEMORY USAGE).
// Run it once: -bench Memory -benchtime 1x.
func BenchmarkMemory(b *testing.B) {
	s, c := benchStore(b)
	w := newWorkload(1, roundCitizens)
	n := 10 * roundCitizens
	for b.Loop() {
		if err := s.Reset(b.Context(), benchEpoch); err != nil {
			b.Fatalf("Reset: %v", err)
		}
		before := info(b, c, "memory", "used_memory")
		var data int
		for range n / benchBatch {
			batch := w.batch(benchBatch)
			for _, ch := range batch.Changes {
				data += len(ch.Data)
			}
			if err := s.Apply(b.Context(), batch); err != nil {
				b.Fatalf("Apply: %v", err)
			}
		}
		used := info(b, c, "memory", "used_memory") - before
		b.ReportMetric(used/float64(n), "B/interaction")
		b.ReportMetric(float64(data)/float64(n), "entry-B")
		for kind, bytes := range keyUsage(b, c) {
			b.ReportMetric(float64(bytes)/float64(n), kind+"-B/interaction")
		}
	}
}

// benchChange is an interaction of about 512 bytes of text for one of
// benchCitizens citizens, with the e-mail address it came from.
func benchChange(seq uint64) contextstore.Change {
	id := fmt.Sprintf("citizen-%05d", seq%benchCitizens)
	c := storetest.Change(seq, id)
	c.Interaction.Text = strings.Repeat("Bonjour, je souhaite savoir où en est mon dossier. ", 10)
	c.Links = []contextstore.Link{{
		Key:       "email:" + id + "@example.fr",
		Type:      interactionv1.IdentifierType_IDENTIFIER_TYPE_EMAIL,
		Value:     id + "@example.fr",
		Assurance: interactionv1.Assurance_ASSURANCE_CLAIMED,
	}}
	return c
}

// benchAnswer is benchChange giving one of a few answers, at one of a few
// versions, with its ledger entry.
func benchAnswer(seq uint64) contextstore.Change {
	c := benchChange(seq)
	c.Ledger = &contextstore.LedgerEntry{Hash: fmt.Sprintf("%064x", seq)}
	c.Answer = &contextstore.AnswerRecord{
		Topic: "housing.benefit", AnswerID: fmt.Sprintf("answer-%d", seq%7),
		Version: uint32(1 + seq%3), ContextVersion: seq / 3, Channel: interactionv1.Channel_CHANNEL_EMAIL,
	}
	return c
}

// BenchmarkSnapshot reads a first page of 20 of the citizen of
// storetest.SnapshotBatch: GetContext's first page.
func BenchmarkSnapshot(b *testing.B) {
	s, _ := snapshotStore(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := readSnapshot(b.Context(), s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSnapshotConcurrent is BenchmarkSnapshot from 16 goroutines at
// once, as GetContext at concurrency 16: reads share pipelines. It reports
// the CPU one read costs Redis and this process.
func BenchmarkSnapshotConcurrent(b *testing.B) {
	s, c := snapshotStore(b)
	b.SetParallelism(16 / runtime.GOMAXPROCS(0))
	b.ReportAllocs()
	cpu, goCPU := redisCPU(b, c), processCPU(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := readSnapshot(b.Context(), s); err != nil {
				b.Error(err) // not Fatal: this is not the benchmark's goroutine
				return
			}
		}
	})
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric((redisCPU(b, c)-cpu)*1e6/n, "redis-µs/read")
	b.ReportMetric(float64((processCPU(b)-goCPU).Microseconds())/n, "go-µs/read")
}

// snapshotStore holds the citizen the snapshot benchmarks read.
func snapshotStore(b *testing.B) (*redisstore.Store, *redis.Client) {
	s, c := benchStore(b)
	storetest.ApplyAll(b, s, storetest.SnapshotBatch(benchEpoch, "citizen-00000"))
	return s, c
}

func readSnapshot(ctx context.Context, s *redisstore.Store) error {
	return storetest.CheckSnapshotPage(s.Snapshot(ctx, "citizen-00000", 20))
}

// BenchmarkAnswerHolders reads one page of 100 holders below the newest
// version, from the middle of the citizens: the time must not grow with
// their number.
func BenchmarkAnswerHolders(b *testing.B) {
	for _, n := range []int{10_000, 200_000} {
		b.Run(fmt.Sprintf("holders=%d", n), func(b *testing.B) {
			s, _ := benchStore(b)
			for start := 0; start < n; start += benchBatch {
				batch := contextstore.Batch{Epoch: benchEpoch, AppliedSeq: uint64(start + benchBatch)}
				for i := start + 1; i <= start+benchBatch; i++ {
					c := contextstore.Change{Seq: uint64(i), CitizenID: fmt.Sprintf("c_%07d", i), Answer: &contextstore.AnswerRecord{
						Topic: "housing.benefit", AnswerID: "aid-eligibility", Version: uint32(1 + i%4),
					}}
					batch.Changes = append(batch.Changes, c)
				}
				storetest.ApplyAll(b, s, batch)
			}
			after := fmt.Sprintf("c_%07d", n/2)
			for b.Loop() {
				h, err := s.AnswerHolders(b.Context(), "aid-eligibility", 4, after, 100)
				if err != nil || len(h) != 100 {
					b.Fatalf("AnswerHolders = %d holders, %v", len(h), err)
				}
			}
		})
	}
}
