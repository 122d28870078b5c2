package contextapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"unisson.dev/platform/interaction"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"

	"unisson.dev/services/context/internal/contextstore"
	"unisson.dev/services/context/internal/contextstore/memstore"
	"unisson.dev/services/context/internal/projection"
	"unisson.dev/services/context/internal/watch"
)

// rig is a projector and the read side over one memory store, whose
// identifier lookups it counts.
type rig struct {
	t       *testing.T
	store   *countingLookups
	proj    *projection.Projector
	app     *App
	lookups int
}

type countingLookups struct {
	*memstore.Store
	n atomic.Int64
}

func (s *countingLookups) Lookup(ctx context.Context, keys []string) (map[string]contextstore.Owner, error) {
	s.n.Add(1)
	return s.Store.Lookup(ctx, keys)
}

// newRig starts the projector; with learn, the read side learns owners
// from what it applies, as with the Redis store.
func newRig(t *testing.T, learn bool) *rig {
	store := &countingLookups{Store: memstore.New()}
	w := projection.NewWatermark(0)
	hub := watch.NewHub()
	r := &rig{t: t, store: store, app: New(store, w, hub, time.Second)}
	var n projection.Notifier = hub
	if learn {
		n = projection.Notifiers{hub, r.app}
	}
	r.proj = projection.NewProjector(store, w, n, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if _, err := r.proj.Start(t.Context(), "life-1"); err != nil {
		t.Fatal(err)
	}
	return r
}

// apply applies a counter visit with ids at seq.
func (r *rig) apply(seq uint64, ids ...*interactionv1.Identifier) {
	r.t.Helper()
	at := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC).Add(time.Duration(seq) * time.Minute)
	data, err := proto.Marshal(&interactionv1.Interaction{
		Id: interaction.NewID(at), OccurredAt: timestamppb.New(at),
		Channel: interactionv1.Channel_CHANNEL_COUNTER, Kind: interactionv1.Kind_KIND_VISIT,
		Direction: interactionv1.Direction_DIRECTION_INBOUND,
		Actor:     &interactionv1.Actor{Role: interactionv1.ActorRole_ACTOR_ROLE_AGENT, Id: "agent-1"},
		Subject:   &interactionv1.Subject{Identifiers: ids},
		Topic:     "housing.benefit",
	})
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.proj.Apply(r.t.Context(), []projection.Message{{Seq: seq, Data: data}}); err != nil {
		r.t.Fatal(err)
	}
}

// read reads the context of the citizen id designates, and counts the
// index lookups it made (the projector makes its own).
func (r *rig) read(id *interactionv1.Identifier) (string, int64, error) {
	before := r.store.n.Load()
	snap, err := r.app.Context(r.t.Context(), CitizenRef{Identifier: id}, "", 5)
	r.lookups += int(r.store.n.Load() - before)
	return snap.Citizen.ID, snap.InteractionCount, err
}

var (
	phone = &interactionv1.Identifier{Type: interactionv1.IdentifierType_IDENTIFIER_TYPE_PHONE, Value: "06 12 34 56 78", Assurance: interactionv1.Assurance_ASSURANCE_CLAIMED}
	mail  = &interactionv1.Identifier{Type: interactionv1.IdentifierType_IDENTIFIER_TYPE_EMAIL, Value: "anne@example.fr", Assurance: interactionv1.Assurance_ASSURANCE_CLAIMED}
)

func verified(id *interactionv1.Identifier) *interactionv1.Identifier {
	v := proto.CloneOf(id)
	v.Assurance = interactionv1.Assurance_ASSURANCE_VERIFIED
	return v
}

// TestContextByIdentifierAfterMerge: a citizen read by phone number (and so
// cached) then merged into another at the counter is read as the merged
// record, under the target's id, and a rebuilt store that lost the cached
// citizen answers NotFound rather than a stale record.
func TestContextByIdentifierAfterMerge(t *testing.T) {
	r := newRig(t, false)
	ctx, app, proj, apply, read := t.Context(), r.app, r.proj, r.apply, r.read
	apply(1, phone) // citizen P, known by phone
	apply(2, mail)  // citizen M, known by e-mail
	byPhone, _, err := read(phone)
	if err != nil {
		t.Fatal(err)
	}
	byMail, _, err := read(mail)
	if err != nil || byMail == byPhone {
		t.Fatalf("two citizens expected: %q, %q (%v)", byPhone, byMail, err)
	}
	if _, ok := app.owners.get(ownerCacheKey(int32(phone.GetType()), phone.GetValue())); !ok {
		t.Fatalf("the phone number was not cached")
	}

	apply(3, verified(mail), verified(phone)) // the counter merges P into M
	for _, id := range []*interactionv1.Identifier{phone, mail} {
		got, n, err := read(id)
		if err != nil || got != byMail || n != 3 {
			t.Errorf("after the merge, %s reads %q with %d interactions (%v), want %q with 3", id.GetValue(), got, n, err, byMail)
		}
	}
	if got, _ := app.owners.get(ownerCacheKey(int32(phone.GetType()), phone.GetValue())); got != byMail {
		t.Errorf("cache holds %q for the phone, want the merge target %q", got, byMail)
	}

	if err := proj.Reset(ctx, "life-2"); err != nil {
		t.Fatal(err)
	}
	if got, _, err := read(phone); err == nil {
		t.Errorf("after a reset, the phone still reads %q", got)
	}
	if _, ok := app.owners.get(ownerCacheKey(int32(phone.GetType()), phone.GetValue())); ok {
		t.Errorf("a citizen the store lost is still cached")
	}
}

// TestOwnerCacheBound: the cache never holds more than its size.
func TestOwnerCacheBound(t *testing.T) {
	c := newOwnerCache(64)
	for i := range 10_000 {
		c.put(fmt.Sprintf("key-%d", i), "c")
	}
	n := 0
	for i := range c.shards {
		n += len(c.shards[i].m)
	}
	if n > 64 {
		t.Errorf("cache holds %d entries, bound 64", n)
	}
	if _, ok := c.get("key-9999"); !ok {
		t.Errorf("the last entry put is missing")
	}
}

// TestOwnersLearntFromApplies: with the read side told about applied
// links, a first read by an identifier skips the index lookup, follows a
// merge the identifier was linked before, and a store that lost the
// citizen makes it look the identifier up again.
func TestOwnersLearntFromApplies(t *testing.T) {
	r := newRig(t, true)
	r.apply(1, phone)
	r.apply(2, mail)
	byPhone, _, err := r.read(phone)
	if err != nil {
		t.Fatal(err)
	}
	if r.lookups != 0 {
		t.Fatalf("the first read by phone looked the index up %d times, want 0", r.lookups)
	}
	r.apply(3, verified(mail), verified(phone)) // merges one citizen into the other
	byMail, n, err := r.read(mail)
	if err != nil || n != 3 {
		t.Fatalf("by e-mail after the merge: %q with %d interactions (%v), want 3", byMail, n, err)
	}
	if got, n, err := r.read(phone); err != nil || got != byMail || n != 3 {
		t.Fatalf("by phone after the merge: %q with %d interactions (%v), want %q (was %q) with 3", got, n, err, byMail, byPhone)
	}
	if r.lookups != 0 {
		t.Fatalf("reads looked the index up %d times, want 0", r.lookups)
	}
	if err := r.proj.Reset(t.Context(), "life-2"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.read(mail); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after a reset: %v, want ErrNotFound", err)
	}
	if r.lookups != 1 {
		t.Fatalf("after a reset the read looked the index up %d times, want 1", r.lookups)
	}
}
