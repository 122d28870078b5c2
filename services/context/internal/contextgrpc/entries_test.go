package contextgrpc

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	contextv1 "unisson.dev/proto/unisson/context/v1"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"

	"unisson.dev/services/context/internal/contextstore"
)

// TestSetEntries: a response whose entries are framed from stored bytes
// decodes exactly as one built field by field.
func TestSetEntries(t *testing.T) {
	var es []contextstore.Entry
	var want []*contextv1.TimelineEntry
	for i, text := range []string{"Bonjour, où en est mon dossier ?", "", "Merci."} {
		ix := &interactionv1.Interaction{
			Id: "01JQ0000000000000000000000", Text: text, Kind: interactionv1.Kind_KIND_MESSAGE,
			OccurredAt: timestamppb.Now(),
			Subject:    &interactionv1.Subject{CitizenId: "cz-1"},
		}
		e, err := contextstore.NewEntry(uint64(i*1000), ix) // 0: no version field
		if err != nil {
			t.Fatal(err)
		}
		es = append(es, e)
		want = append(want, &contextv1.TimelineEntry{Interaction: ix, Version: e.Seq})
	}
	for name, tc := range map[string]struct {
		fast, slow proto.Message
	}{
		"GetContext": {
			fast: func() proto.Message {
				c := &contextv1.CitizenContext{CitizenId: "cz-1", InteractionCount: 3}
				setEntries(c, fieldRecent, es)
				return &contextv1.GetContextResponse{Context: c, ContextVersion: 7}
			}(),
			slow: &contextv1.GetContextResponse{
				Context:        &contextv1.CitizenContext{CitizenId: "cz-1", InteractionCount: 3, Recent: want},
				ContextVersion: 7,
			},
		},
		"ListTimeline": {
			fast: func() proto.Message {
				r := &contextv1.ListTimelineResponse{NextPageToken: "p"}
				setEntries(r, fieldEntries, es)
				return r
			}(),
			slow: &contextv1.ListTimelineResponse{NextPageToken: "p", Entries: want},
		},
		"WatchContext": {
			fast: func() proto.Message {
				r := &contextv1.WatchContextResponse{CitizenId: "cz-1"}
				setEntries(r, fieldWatchEntry, es[2:])
				return r
			}(),
			slow: &contextv1.WatchContextResponse{CitizenId: "cz-1", Entry: want[2]},
		},
	} {
		t.Run(name, func(t *testing.T) {
			b, err := proto.Marshal(tc.fast)
			if err != nil {
				t.Fatal(err)
			}
			got := tc.slow.ProtoReflect().New().Interface()
			if err := proto.Unmarshal(b, got); err != nil {
				t.Fatal(err)
			}
			if len(got.ProtoReflect().GetUnknown()) != 0 {
				t.Errorf("decoded message has unknown fields")
			}
			if diff := cmp.Diff(tc.slow, got, protocmp.Transform()); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			if n := proto.Size(tc.fast); n != len(b) {
				t.Errorf("Size = %d, encoded %d bytes", n, len(b))
			}
		})
	}
}
