package snapcache_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"unisson.dev/platform/testenv"

	"unisson.dev/services/context/internal/contextstore"
	"unisson.dev/services/context/internal/contextstore/memstore"
	"unisson.dev/services/context/internal/contextstore/redisstore"
	"unisson.dev/services/context/internal/contextstore/snapcache"
	"unisson.dev/services/context/internal/contextstore/storetest"
)

// alwaysHeld is a lease held for good, in term 1.
func alwaysHeld() (uint64, bool) { return 1, true }

// TestStoreOverRedis runs the store conformance suite through the cache,
// held all along, on a real Redis: whatever the suite applies, a read
// that follows sees it.
func TestStoreOverRedis(t *testing.T) {
	r := testenv.StartRedis(t)
	storetest.Run(t, func(t *testing.T) contextstore.Store {
		opts, err := redisstore.ParseURL(r.URL)
		if err != nil {
			t.Fatal(err)
		}
		return snapcache.New(redisstore.New(redisClient(t, opts), r.Prefix+testenv.RandomID()+":", 5*time.Second), alwaysHeld, 1<<20)
	})
}

func TestStoreOverMemory(t *testing.T) {
	storetest.Run(t, func(*testing.T) contextstore.Store {
		return snapcache.New(memstore.New(), alwaysHeld, 1<<20)
	})
}

// counting counts the snapshot reads that reach the store; when gate is
// set, a read waits for it after reading, as a slow Redis reply would.
type counting struct {
	contextstore.Store
	reads atomic.Int64
	gate  chan struct{}
	read  chan struct{}
}

func (c *counting) Snapshot(ctx context.Context, id string, recent int) (contextstore.Snapshot, error) {
	c.reads.Add(1)
	snap, err := c.Store.Snapshot(ctx, id, recent)
	if c.gate != nil {
		c.read <- struct{}{}
		<-c.gate
	}
	return snap, err
}

// lease is a Holder the test moves.
type lease struct {
	mu   sync.Mutex
	term uint64
	ok   bool
}

func (l *lease) held() (uint64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.term, l.ok
}

func (l *lease) set(term uint64, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.term, l.ok = term, ok
}

type fixture struct {
	t     *testing.T
	store *counting
	lease *lease
	cache *snapcache.Store
	seq   uint64
}

func newFixture(t *testing.T, maxBytes int64) *fixture {
	t.Helper()
	f := &fixture{t: t, store: &counting{Store: memstore.New()}, lease: &lease{term: 1, ok: true}}
	f.cache = snapcache.New(f.store, f.lease.held, maxBytes)
	if err := f.cache.Reset(t.Context(), storetest.Epoch); err != nil {
		t.Fatal(err)
	}
	return f
}

// write applies one interaction to each citizen.
func (f *fixture) write(citizens ...string) {
	f.t.Helper()
	b := contextstore.Batch{Epoch: storetest.Epoch}
	for _, id := range citizens {
		f.seq++
		b.Changes = append(b.Changes, storetest.Change(f.seq, id))
	}
	b.AppliedSeq = f.seq
	storetest.ApplyAll(f.t, f.cache, b)
}

// count reads citizen's snapshot with recent entries and returns how many
// interactions it shows, and how many reads reached the store for it.
func (f *fixture) count(citizen string, recent int) (shown int64, reads int64) {
	f.t.Helper()
	before := f.store.reads.Load()
	snap, err := f.cache.Snapshot(f.t.Context(), citizen, recent)
	if err != nil {
		f.t.Fatalf("Snapshot(%s): %v", citizen, err)
	}
	if want := min(recent, int(snap.InteractionCount)); len(snap.Recent) != want {
		f.t.Fatalf("Snapshot(%s, %d) has %d recent entries, want %d", citizen, recent, len(snap.Recent), want)
	}
	return snap.InteractionCount, f.store.reads.Load() - before
}

func (f *fixture) expect(citizen string, recent int, wantShown, wantReads int64) {
	f.t.Helper()
	shown, reads := f.count(citizen, recent)
	if shown != wantShown || reads != wantReads {
		f.t.Fatalf("Snapshot(%s, %d): %d interactions after %d store reads, want %d after %d", citizen, recent, shown, reads, wantShown, wantReads)
	}
}

func TestHitsAndWrites(t *testing.T) {
	f := newFixture(t, 1<<20)
	f.write("A", "A", "A", "B")
	f.expect("A", 20, 3, 1)
	f.expect("A", 20, 3, 0) // kept
	f.expect("A", 2, 3, 0)  // a shorter page of the kept one
	f.expect("B", 20, 1, 1)

	f.write("A")
	f.expect("A", 20, 4, 1) // forgotten by the write
	f.expect("B", 20, 1, 0) // untouched
	f.write("C")
	f.expect("A", 20, 4, 0)

	f.write("A", "A") // now A has 6
	f.expect("A", 5, 6, 1)
	f.expect("A", 6, 6, 1) // more than kept: read again
	f.expect("A", 6, 6, 0)
	f.expect("A", 100, 6, 0) // the whole timeline was kept

	if err := f.cache.Reset(t.Context(), storetest.Epoch); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cache.Snapshot(t.Context(), "B", 20); err == nil {
		t.Fatal("a reset store still shows B")
	}
	st := f.cache.Stats()
	if st.Entries != 0 || st.Bytes != 0 {
		t.Fatalf("after a reset: %+v", st)
	}
	if st.Hits != 6 || st.Misses != 6 {
		t.Fatalf("Stats: %d hits, %d misses, want 6 and 6", st.Hits, st.Misses)
	}
}

func TestMergeForgetsBothCitizens(t *testing.T) {
	f := newFixture(t, 1<<20)
	f.write("A", "B")
	f.expect("A", 20, 1, 1)
	f.expect("B", 20, 1, 1)
	f.seq++
	c := storetest.Change(f.seq, "A")
	c.MergeFrom = []string{"B"}
	storetest.ApplyAll(t, f.cache, contextstore.Batch{Epoch: storetest.Epoch, AppliedSeq: f.seq, Changes: []contextstore.Change{c}})
	f.expect("A", 20, 3, 1)
	snap, err := f.cache.Snapshot(t.Context(), "B", 20)
	if err != nil || snap.Citizen.MergedInto != "A" {
		t.Fatalf("B after the merge: merged into %q, %v; want A", snap.Citizen.MergedInto, err)
	}
}

func TestOnlyWhileHeld(t *testing.T) {
	f := newFixture(t, 1<<20)
	f.write("A")
	f.lease.set(0, false)
	f.expect("A", 20, 1, 1)
	f.expect("A", 20, 1, 1) // a standby keeps nothing

	f.lease.set(1, true)
	f.expect("A", 20, 1, 1)
	f.expect("A", 20, 1, 0)
	// Another applier wrote A between two tenures: this process did not
	// see it, so the new term reads again.
	if err := f.store.Apply(t.Context(), contextstore.Batch{Epoch: storetest.Epoch, AppliedSeq: 2,
		Changes: []contextstore.Change{storetest.Change(2, "A")}}); err != nil {
		t.Fatal(err)
	}
	f.lease.set(2, true)
	f.expect("A", 20, 2, 1)
	f.expect("A", 20, 2, 0)
}

// TestReadDuringWriteNotKept: a read that began before a write to its
// citizen and ends after it may hold the state before the write; it is
// returned but not kept.
func TestReadDuringWriteNotKept(t *testing.T) {
	f := newFixture(t, 1<<20)
	f.write("A")
	f.store.gate, f.store.read = make(chan struct{}), make(chan struct{})
	done := make(chan int64)
	go func() {
		snap, err := f.cache.Snapshot(context.Background(), "A", 20)
		if err != nil {
			t.Error(err)
		}
		done <- snap.InteractionCount
	}()
	<-f.store.read // the read has the state before the write
	f.write("A")
	close(f.store.gate)
	if n := <-done; n != 1 {
		t.Fatalf("the slow read shows %d interactions, want the 1 it read", n)
	}
	f.store.gate = nil
	f.expect("A", 20, 2, 1)
	f.expect("A", 20, 2, 0)
}

func TestBudget(t *testing.T) {
	const budget = 4 << 20
	f := newFixture(t, budget)
	// Each citizen's page of 20 is about 20 × 600 bytes: 600 of them
	// take about twice the budget.
	batch := contextstore.Batch{Epoch: storetest.Epoch}
	for i := range 600 {
		id := fmt.Sprintf("citizen-%d", i)
		for range 20 {
			f.seq++
			c := storetest.Change(f.seq, id)
			c.Interaction.Text = string(make([]byte, 512))
			batch.Changes = append(batch.Changes, c)
		}
	}
	batch.AppliedSeq = f.seq
	storetest.ApplyAll(t, f.cache, batch)
	// citizen-0 is read after every other one: the eviction, which drops
	// the least recently used of a sample, keeps it.
	f.expect("citizen-0", 20, 20, 1)
	seen := map[string]bool{"citizen-0": true}
	for _, c := range batch.Changes {
		if !seen[c.CitizenID] {
			seen[c.CitizenID] = true
			f.expect(c.CitizenID, 20, 20, 1)
			f.expect("citizen-0", 20, 20, 0)
		}
	}
	st := f.cache.Stats()
	if st.Bytes > budget || st.Entries == 0 || st.Entries >= len(seen) {
		t.Fatalf("after reading %d citizens of about 12 KB within %d bytes: %+v", len(seen), budget, st)
	}
}

// TestSharesNothingWritable: what a hit returns cannot change the kept
// snapshot through an append.
func TestSharesNothingWritable(t *testing.T) {
	f := newFixture(t, 1<<20)
	f.write("A", "A", "A")
	want, err := f.cache.Snapshot(t.Context(), "A", 20)
	if err != nil {
		t.Fatal(err)
	}
	short, err := f.cache.Snapshot(t.Context(), "A", 1)
	if err != nil {
		t.Fatal(err)
	}
	_ = append(short.Recent, contextstore.Entry{Seq: 99})
	got, err := f.cache.Snapshot(t.Context(), "A", 20)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, storetest.Opts); diff != "" {
		t.Fatalf("kept snapshot changed (-want +got):\n%s", diff)
	}
}

func redisClient(t testing.TB, opts *redis.Options) *redis.Client {
	c := redis.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	return c
}
