package contextgrpc

import (
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/google/go-cmp/cmp"

	contextv1 "unisson.dev/proto/unisson/context/v1"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"

	"unisson.dev/services/context/internal/contextstore"
)

// sampleEntries are n stored interactions of about 700 bytes; the first
// has no version, as an entry read from an old store may not.
func sampleEntries(tb testing.TB, n int) []contextstore.Entry {
	tb.Helper()
	es := make([]contextstore.Entry, n)
	for i := range es {
		e, err := contextstore.NewEntry(uint64(1000+i), &interactionv1.Interaction{
			Id: fmt.Sprintf("01JQ8Z6V0D3J5YB2M6XK4R7T%02d", i), OccurredAt: timestamppb.Now(),
			Channel: interactionv1.Channel_CHANNEL_EMAIL, Kind: interactionv1.Kind_KIND_MESSAGE,
			Subject: &interactionv1.Subject{CitizenId: "c_01jq8z6v0d3j5yb2m6xk4r7t9p", Identifiers: []*interactionv1.Identifier{
				{Type: interactionv1.IdentifierType_IDENTIFIER_TYPE_EMAIL, Value: "anne.dupont@example.fr"},
			}},
			Topic: "housing.benefit", Text: strings.Repeat("Bonjour, où en est ma demande ? ", 16),
		})
		if err != nil {
			tb.Fatal(err)
		}
		es[i] = e
	}
	if n > 0 {
		es[0].Seq = 0
	}
	return es
}

// decoded is the message the entries stand for, built field by field.
func decoded(tb testing.TB, es []contextstore.Entry) []*contextv1.TimelineEntry {
	tb.Helper()
	var out []*contextv1.TimelineEntry
	for _, e := range es {
		ix, err := e.Interaction()
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, &contextv1.TimelineEntry{Interaction: ix, Version: e.Seq})
	}
	return out
}

func sampleContext() *contextv1.CitizenContext {
	return &contextv1.CitizenContext{
		CitizenId: "c_1", InteractionCount: 200, CreatedAt: &timestamppb.Timestamp{Seconds: 1795761198, Nanos: 5},
		Identifiers: []*contextv1.LinkedIdentifier{{Type: interactionv1.IdentifierType_IDENTIFIER_TYPE_EMAIL, Value: "anne.dupont@example.fr"}},
		Cases:       []*contextv1.Case{{Reference: "DOS-1", Topic: "housing.benefit"}},
	}
}

// TestFramedDecodesAsTheMessage: the wire form of a framed response
// decodes to the message with its entries decoded, for GetContext (entries
// in a nested message) and ListTimeline (entries at the top), with and
// without entries; and message() is that same message.
func TestFramedDecodesAsTheMessage(t *testing.T) {
	for _, n := range []int{0, 1, 20} {
		es := sampleEntries(t, n)
		tests := []struct {
			name   string
			framed func() *framed
			want   proto.Message
			got    func() proto.Message
		}{
			{
				name: "GetContext",
				framed: func() *framed {
					return &framed{head: &contextv1.GetContextResponse{ContextVersion: 1019}, nest: fieldContext,
						inner: sampleContext(), field: fieldRecent, entries: es}
				},
				want: func() proto.Message {
					c := sampleContext()
					c.Recent = decoded(t, es)
					return &contextv1.GetContextResponse{Context: c, ContextVersion: 1019}
				}(),
				got: func() proto.Message { return &contextv1.GetContextResponse{} },
			},
			{
				name: "ListTimeline",
				framed: func() *framed {
					return &framed{head: &contextv1.ListTimelineResponse{NextPageToken: "p2", ContextVersion: 9},
						field: fieldEntries, entries: es}
				},
				want: &contextv1.ListTimelineResponse{NextPageToken: "p2", ContextVersion: 9, Entries: decoded(t, es)},
				got:  func() proto.Message { return &contextv1.ListTimelineResponse{} },
			},
		}
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/%d entries", tt.name, n), func(t *testing.T) {
				data, err := tt.framed().EncodeWire()
				if err != nil {
					t.Fatal(err)
				}
				got := tt.got()
				if err := proto.Unmarshal(data.Materialize(), got); err != nil {
					t.Fatalf("Unmarshal: %v", err)
				}
				if diff := cmp.Diff(tt.want, got, protocmp.Transform()); diff != "" {
					t.Errorf("decoded (-want +got):\n%s", diff)
				}
				if size := proto.Size(tt.want); data.Len() != size {
					t.Errorf("encoded %d bytes, the message is %d", data.Len(), size)
				}
				m, err := proto.Marshal(tt.framed().message())
				if err != nil {
					t.Fatal(err)
				}
				viaMessage := tt.got()
				if err := proto.Unmarshal(m, viaMessage); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, viaMessage, protocmp.Transform()); diff != "" {
					t.Errorf("message() (-want +got):\n%s", diff)
				}
			})
		}
	}
}
