package contextapp

import (
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"unisson.dev/platform/interaction"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"

	"unisson.dev/services/context/internal/contextstore/memstore"
	"unisson.dev/services/context/internal/projection"
	"unisson.dev/services/context/internal/watch"
)

// TestContextByIdentifierAfterMerge: a citizen read by phone number (and so
// cached) then merged into another at the counter is read as the merged
// record, under the target's id, and a rebuilt store that lost the cached
// citizen answers NotFound rather than a stale record.
func TestContextByIdentifierAfterMerge(t *testing.T) {
	ctx := t.Context()
	store := memstore.New()
	w := projection.NewWatermark(0)
	hub := watch.NewHub()
	proj := projection.NewProjector(store, w, hub, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if _, err := proj.Start(ctx, "life-1"); err != nil {
		t.Fatal(err)
	}
	app := New(store, w, hub, time.Second)
	phone := &interactionv1.Identifier{Type: interactionv1.IdentifierType_IDENTIFIER_TYPE_PHONE, Value: "06 12 34 56 78", Assurance: interactionv1.Assurance_ASSURANCE_CLAIMED}
	mail := &interactionv1.Identifier{Type: interactionv1.IdentifierType_IDENTIFIER_TYPE_EMAIL, Value: "anne@example.fr", Assurance: interactionv1.Assurance_ASSURANCE_CLAIMED}
	verified := func(id *interactionv1.Identifier) *interactionv1.Identifier {
		v := proto.CloneOf(id)
		v.Assurance = interactionv1.Assurance_ASSURANCE_VERIFIED
		return v
	}
	apply := func(seq uint64, ids ...*interactionv1.Identifier) {
		t.Helper()
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
			t.Fatal(err)
		}
		if err := proj.Apply(ctx, []projection.Message{{Seq: seq, Data: data}}); err != nil {
			t.Fatal(err)
		}
	}
	read := func(id *interactionv1.Identifier) (string, int64, error) {
		snap, err := app.Context(ctx, CitizenRef{Identifier: id}, "", 5)
		return snap.Citizen.ID, snap.InteractionCount, err
	}

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
