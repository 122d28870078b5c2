package contextapp_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"unisson.dev/platform/interaction"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"

	"unisson.dev/services/context/internal/contextapp"
	"unisson.dev/services/context/internal/contextstore/memstore"
	"unisson.dev/services/context/internal/projection"
	"unisson.dev/services/context/internal/watch"
)

// TestWatchLagDuringCatchUp: a watcher that lags again while it catches up
// from the store (its buffer still full of changes it already has) must
// not lose the changes dropped in that window. synctest.Wait lets the test
// know when the watcher is idle, without sleeping.
func TestWatchLagDuringCatchUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		store := memstore.New()
		w := projection.NewWatermark(0)
		hub := watch.NewHub()
		proj := projection.NewProjector(store, w, hub, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if _, err := proj.Start(ctx, "life-1"); err != nil {
			t.Fatalf("Start: %v", err)
		}
		app := contextapp.New(store, w, hub, time.Second)
		apply := func(from, to uint64) {
			var msgs []projection.Message
			for seq := from; seq <= to; seq++ {
				msgs = append(msgs, projection.Message{Seq: seq, Data: encode(t, seq)})
			}
			if err := proj.Apply(ctx, msgs); err != nil {
				t.Errorf("Apply(%d..%d): %v", from, to, err)
			}
		}
		// last is the final position: the refill in the middle of the
		// catch-up overflows the buffer whatever the watcher drained.
		const full = watch.Buffer + 2 // 2, then a buffer full, then one dropped
		last := uint64(full + 1 + watch.Buffer + 1)
		apply(1, 1)

		var mu sync.Mutex
		var got []uint64
		release := make(chan struct{})
		send := func(c contextapp.Change) error {
			mu.Lock()
			got = append(got, c.Entry.Seq)
			mu.Unlock()
			switch c.Entry.Seq {
			case 2:
				<-release
			case full + 1:
				// Only the catch-up can send this one: it was dropped from
				// the buffer. Refill the buffer right now.
				apply(full+2, last)
			}
			return nil
		}
		done := make(chan error, 1)
		go func() {
			done <- app.Watch(ctx, contextapp.CitizenRef{Identifier: claimed("a@example.fr")}, "v1.1", send)
		}()
		synctest.Wait()
		apply(2, 2)
		synctest.Wait() // the watcher is in send(2)
		apply(3, full+1)
		close(release)
		synctest.Wait() // the watcher sent all it will ever send
		cancel()
		<-done

		var want []uint64
		for seq := uint64(2); seq <= last; seq++ {
			want = append(want, seq)
		}
		mu.Lock()
		defer mu.Unlock()
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("positions sent (-want +got):\n%s", diff)
		}
		if !slices.IsSorted(got) {
			t.Errorf("positions sent out of order: %v", got)
		}
	})
}

func claimed(addr string) *interactionv1.Identifier {
	return &interactionv1.Identifier{
		Type: interactionv1.IdentifierType_IDENTIFIER_TYPE_EMAIL, Value: addr,
		Assurance: interactionv1.Assurance_ASSURANCE_CLAIMED,
	}
}

// encode is an interaction of citizen a@example.fr at seq.
func encode(t *testing.T, seq uint64) []byte {
	t.Helper()
	at := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC).Add(time.Duration(seq) * time.Minute)
	data, err := proto.Marshal(&interactionv1.Interaction{
		Id: interaction.NewID(at), OccurredAt: timestamppb.New(at),
		Channel: interactionv1.Channel_CHANNEL_WEB, Kind: interactionv1.Kind_KIND_MESSAGE,
		Direction: interactionv1.Direction_DIRECTION_INBOUND,
		Actor:     &interactionv1.Actor{Role: interactionv1.ActorRole_ACTOR_ROLE_CITIZEN},
		Subject:   &interactionv1.Subject{Identifiers: []*interactionv1.Identifier{claimed("a@example.fr")}},
		Topic:     "housing.benefit",
	})
	if err != nil {
		t.Fatal(err)
	}
	return data
}
