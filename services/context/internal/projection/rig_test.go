package projection_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"unisson.dev/platform/identifier"
	"unisson.dev/platform/interaction"
	v1 "unisson.dev/proto/unisson/interaction/v1"

	"unisson.dev/services/context/internal/contextstore"
	"unisson.dev/services/context/internal/contextstore/memstore"
	"unisson.dev/services/context/internal/identity"
	"unisson.dev/services/context/internal/projection"
)

// rig is a projector over a memstore, with what it reports.
type rig struct {
	store   *memstore.Store
	w       *projection.Watermark
	proj    *projection.Projector
	metrics *projection.Metrics
	seen    *recorder
}

func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{store: memstore.New(), w: projection.NewWatermark(0), seen: &recorder{},
		metrics: projection.NewMetrics(prometheus.NewRegistry())}
	r.proj = projection.NewProjector(r.store, r.w, r.seen, r.metrics, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if _, err := r.proj.Start(t.Context(), "life-1"); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return r
}

func (r *rig) apply(t *testing.T, msgs ...projection.Message) {
	t.Helper()
	if err := r.proj.Apply(t.Context(), msgs); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

// recorder is a Notifier that keeps what it is told.
type recorder struct {
	mu      sync.Mutex
	applied []projection.Applied
}

func (r *recorder) Notify(applied []projection.Applied) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.applied = append(r.applied, applied...)
}

func (r *recorder) all() []projection.Applied {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]projection.Applied(nil), r.applied...)
}

func id(t v1.IdentifierType, value string, a v1.Assurance) *v1.Identifier {
	return &v1.Identifier{Type: t, Value: value, Assurance: a}
}

func claimed(addr string) *v1.Identifier {
	return id(v1.IdentifierType_IDENTIFIER_TYPE_EMAIL, addr, v1.Assurance_ASSURANCE_CLAIMED)
}

func verified(addr string) *v1.Identifier {
	return id(v1.IdentifierType_IDENTIFIER_TYPE_EMAIL, addr, v1.Assurance_ASSURANCE_VERIFIED)
}

// ix is an interaction with the given identifiers, occurring at minute n.
func ix(n int, ids ...*v1.Identifier) *v1.Interaction {
	at := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Minute)
	return &v1.Interaction{
		Id: interaction.NewID(at), OccurredAt: timestamppb.New(at),
		Channel: v1.Channel_CHANNEL_WEB, Kind: v1.Kind_KIND_MESSAGE, Direction: v1.Direction_DIRECTION_INBOUND,
		Actor: &v1.Actor{Role: v1.ActorRole_ACTOR_ROLE_CITIZEN}, Subject: &v1.Subject{Identifiers: ids},
		Topic: "housing.benefit",
	}
}

func encode(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// messages puts ixs at log positions 1, 2, ...
func messages(t *testing.T, ixs []*v1.Interaction) []projection.Message {
	out := make([]projection.Message, len(ixs))
	for i, x := range ixs {
		out[i] = projection.Message{Seq: uint64(i + 1), Data: encode(t, x)}
	}
	return out
}

// citizenOf is the id of the citizen the interaction at position seq
// created.
func citizenOf(ixs []*v1.Interaction, seq int) string {
	return identity.CitizenIDPrefix + strings.ToLower(ixs[seq-1].GetId())
}

func counter(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

func checksum(t *testing.T, s contextstore.Store) string {
	t.Helper()
	sum, err := contextstore.Checksum(context.Background(), s)
	if err != nil {
		t.Fatalf("Checksum: %v", err)
	}
	return sum
}

func emailKey(addr string) string {
	return identifier.Key(v1.IdentifierType_IDENTIFIER_TYPE_EMAIL, addr)
}
