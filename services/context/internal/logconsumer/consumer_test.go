package logconsumer_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"unisson.dev/platform/eventlog"
	"unisson.dev/platform/interaction"
	"unisson.dev/platform/testenv"
	v1 "unisson.dev/proto/unisson/interaction/v1"

	"unisson.dev/services/context/internal/contextstore"
	"unisson.dev/services/context/internal/contextstore/memstore"
	"unisson.dev/services/context/internal/logconsumer"
	"unisson.dev/services/context/internal/projection"
)

var errStoreDown = errors.New("store down")

// flakyStore is a memstore whose first Apply containing one of failAt's
// positions fails, after writing half of its changes: a Redis that goes
// away in the middle of a batch. A position listed twice fails twice.
type flakyStore struct {
	*memstore.Store
	mu     sync.Mutex
	failAt []uint64
	failed int
}

func (s *flakyStore) Apply(ctx context.Context, b contextstore.Batch) error {
	s.mu.Lock()
	i := slices.IndexFunc(s.failAt, func(seq uint64) bool {
		return slices.ContainsFunc(b.Changes, func(c contextstore.Change) bool { return c.Seq == seq })
	})
	if i >= 0 {
		s.failAt = slices.Delete(s.failAt, i, i+1)
		s.failed++
	}
	s.mu.Unlock()
	if i < 0 {
		return s.Store.Apply(ctx, b)
	}
	half := contextstore.Batch{Epoch: b.Epoch, Changes: b.Changes[:len(b.Changes)/2]}
	if err := s.Store.Apply(ctx, half); err != nil {
		return err
	}
	return errStoreDown
}

// recorder is a Notifier that keeps what it is told.
type recorder struct {
	mu   sync.Mutex
	told []string
}

func (r *recorder) Notify(applied []projection.Applied) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range applied {
		r.told = append(r.told, fmt.Sprint(a.Entry.Seq, a.CitizenID, a.Merged))
	}
}

// TestConsumeStoreFailure: the store fails a batch while the next is
// prepared; the consumer applies what is not acked again and goes on.
// Nothing is lost, nothing told twice, the order is kept, the store ends
// as applying one message at a time makes it, and every message is acked.
func TestConsumeStoreFailure(t *testing.T) {
	t.Parallel()
	n, js := startLog(t)
	msgs := publish(t, js, n.Stream, logOf(1200, 80))
	wantSum, wantTold := oneByOne(t, msgs)
	last := uint64(len(msgs))
	tests := []struct {
		name   string
		failAt []uint64
	}{
		{"the first batch", []uint64{1}},
		{"a batch in the middle", []uint64{600}},
		{"the last batch, with nothing after it", []uint64{last}},
		{"the retry too", []uint64{700, 700}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &flakyStore{Store: memstore.New(), failAt: tt.failAt}
			seen := &recorder{}
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			proj := projection.NewProjector(store, projection.NewWatermark(0), seen, nil, log)
			cfg := logconsumer.Config{Stream: n.Stream, Durable: fmt.Sprintf("test-%d", i), MaxBatch: 50}
			c := logconsumer.New(js, cfg, proj, store, log)
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			if err := c.Run(ctx, last); err != nil || proj.Applied() != last {
				t.Fatalf("Run: %v; applied %d, want %d", err, proj.Applied(), last)
			}
			if store.failed != len(tt.failAt) || len(store.failAt) > 0 {
				t.Errorf("%d failures, %d not made", store.failed, len(store.failAt))
			}
			if got := checksum(t, store); got != wantSum {
				t.Errorf("checksum %s, want %s", got, wantSum)
			}
			if diff := cmp.Diff(wantTold, seen.told); diff != "" {
				t.Errorf("notifications (-one by one +consumer):\n%s", diff)
			}
			waitAcked(t, js, n.Stream.Name, cfg.Durable, last)
		})
	}
}

// startLog starts a NATS server of the test's own with the log's stream.
func startLog(tb testing.TB) (*testenv.NATS, jetstream.JetStream) {
	tb.Helper()
	n := testenv.StartNATS(tb)
	nc, js := n.Connect(tb)
	if _, err := eventlog.EnsureStream(tb.Context(), nc, js, n.Stream); err != nil {
		tb.Fatal(err)
	}
	return n, js
}

// logOf is n interactions of the given number of citizens. A quarter of
// them first call (phone only), then write (e-mail only), and a counter
// visit with both verified merges their two records.
func logOf(n, citizens int) []*v1.Interaction {
	start := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	seen := make([]int, citizens)
	out := make([]*v1.Interaction, n)
	for i := range out {
		c := (i * 7) % citizens
		if i%3 == 0 {
			c = i % 5 // the busiest
		}
		mail := &v1.Identifier{Type: v1.IdentifierType_IDENTIFIER_TYPE_EMAIL, Value: fmt.Sprintf("c%d@example.fr", c),
			Assurance: v1.Assurance_ASSURANCE_CLAIMED}
		phone := &v1.Identifier{Type: v1.IdentifierType_IDENTIFIER_TYPE_PHONE, Value: fmt.Sprintf("+336%08d", 10_000_000+c),
			Assurance: v1.Assurance_ASSURANCE_CLAIMED}
		at := start.Add(time.Duration(i) * time.Minute)
		x := &v1.Interaction{
			Id: interaction.NewID(at), OccurredAt: timestamppb.New(at), Channel: v1.Channel_CHANNEL_EMAIL,
			Kind: v1.Kind_KIND_MESSAGE, Direction: v1.Direction_DIRECTION_INBOUND,
			Actor: &v1.Actor{Role: v1.ActorRole_ACTOR_ROLE_CITIZEN}, Topic: "housing.benefit", Text: "Bonjour",
			Subject: &v1.Subject{Identifiers: []*v1.Identifier{mail, phone}},
		}
		switch k := seen[c]; {
		case c%4 == 0 && k == 0:
			x.Channel, x.Kind, x.Subject.Identifiers = v1.Channel_CHANNEL_PHONE, v1.Kind_KIND_CALL, []*v1.Identifier{phone}
		case c%4 == 0 && k == 1:
			x.Subject.Identifiers = []*v1.Identifier{mail}
		case k%6 == 2:
			x.Channel, x.Kind = v1.Channel_CHANNEL_COUNTER, v1.Kind_KIND_VISIT
			x.Actor = &v1.Actor{Role: v1.ActorRole_ACTOR_ROLE_AGENT, Id: "agent-1"}
			mail.Assurance, phone.Assurance = v1.Assurance_ASSURANCE_VERIFIED, v1.Assurance_ASSURANCE_VERIFIED
		}
		seen[c]++
		out[i] = x
	}
	return out
}

// publish puts ixs on the stream, at positions 1, 2, ...
func publish(tb testing.TB, js jetstream.JetStream, stream eventlog.StreamConfig, ixs []*v1.Interaction) []projection.Message {
	tb.Helper()
	msgs := make([]projection.Message, len(ixs))
	for i, x := range ixs {
		b, err := proto.Marshal(x)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := js.PublishAsync(stream.Subject(x.GetChannel()), b); err != nil {
			tb.Fatalf("publish: %v", err)
		}
		msgs[i] = projection.Message{Seq: uint64(i + 1), Data: b}
		if i%1000 == 999 || i == len(ixs)-1 {
			select {
			case <-js.PublishAsyncComplete():
			case <-time.After(30 * time.Second):
				tb.Fatal("publishing did not complete")
			}
		}
	}
	return msgs
}

// oneByOne applies msgs one at a time to a memstore: the reference.
func oneByOne(t *testing.T, msgs []projection.Message) (string, []string) {
	t.Helper()
	s, seen := memstore.New(), &recorder{}
	p := projection.NewProjector(s, projection.NewWatermark(0), seen, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if _, err := p.Start(t.Context(), "reference"); err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if err := p.Apply(t.Context(), []projection.Message{m}); err != nil {
			t.Fatalf("Apply %d: %v", m.Seq, err)
		}
	}
	merges := 0
	for _, x := range seen.told {
		if !strings.HasSuffix(x, "[]") {
			merges++
		}
	}
	if len(seen.told) != len(msgs) || merges == 0 {
		t.Fatalf("reference: %d of %d messages applied, %d merges", len(seen.told), len(msgs), merges)
	}
	return checksum(t, s), seen.told
}

func checksum(t *testing.T, s contextstore.Store) string {
	t.Helper()
	sum, err := contextstore.Checksum(t.Context(), s)
	if err != nil {
		t.Fatalf("Checksum: %v", err)
	}
	return sum
}

// waitAcked waits until the durable consumer's ack floor reaches last;
// acks are sent without waiting for the server's reply.
func waitAcked(t *testing.T, js jetstream.JetStream, stream, durable string, last uint64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		cons, err := js.Consumer(t.Context(), stream, durable)
		if err != nil {
			t.Fatalf("consumer: %v", err)
		}
		info, err := cons.Info(t.Context())
		if err != nil {
			t.Fatalf("consumer info: %v", err)
		}
		if info.AckFloor.Stream == last && info.NumAckPending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("ack floor %d, %d pending; want %d, 0", info.AckFloor.Stream, info.NumAckPending, last)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
