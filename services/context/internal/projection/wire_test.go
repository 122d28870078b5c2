package projection

import (
	"bytes"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/google/go-cmp/cmp"

	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
)

// TestAppendCitizenID: the message's bytes with the appended subject
// decode to the message with the citizen id set, whatever its subject
// held, and the message's bytes are left alone.
func TestAppendCitizenID(t *testing.T) {
	const id = "c_01jd8x3m6p7q9r2s4t5v6w7x8y"
	at := timestamppb.New(time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC))
	base := func(s *interactionv1.Subject) *interactionv1.Interaction {
		return &interactionv1.Interaction{
			Id: "01JD8X3M6P7Q9R2S4T5V6W7X8Y", OccurredAt: at, Channel: interactionv1.Channel_CHANNEL_EMAIL,
			Kind: interactionv1.Kind_KIND_MESSAGE, Subject: s, Topic: "housing.benefit", Text: "Bonjour",
			Details: &interactionv1.Interaction_Email{Email: &interactionv1.EmailDetails{Subject: "Dossier"}},
		}
	}
	ids := []*interactionv1.Identifier{
		{Type: interactionv1.IdentifierType_IDENTIFIER_TYPE_EMAIL, Value: "a@example.fr", Assurance: interactionv1.Assurance_ASSURANCE_CLAIMED},
		{Type: interactionv1.IdentifierType_IDENTIFIER_TYPE_PHONE, Value: "+33612345678", Assurance: interactionv1.Assurance_ASSURANCE_VERIFIED},
	}
	tests := []struct {
		name string
		in   *interactionv1.Interaction
		want *interactionv1.Interaction
	}{
		{
			name: "with a citizen id already",
			in:   base(&interactionv1.Subject{CitizenId: "c_other"}),
			want: base(&interactionv1.Subject{CitizenId: id}),
		},
		{
			name: "without subject",
			in:   base(nil),
			want: base(&interactionv1.Subject{CitizenId: id}),
		},
		{
			name: "with identifiers",
			in:   base(&interactionv1.Subject{Identifiers: ids}),
			want: base(&interactionv1.Subject{CitizenId: id, Identifiers: ids}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data, err := proto.Marshal(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			// Spare capacity must not be written into: data may be shared.
			shared := append(data, 0xAA, 0xAA)[:len(data)]
			before := bytes.Clone(shared[:cap(shared)])
			got := &interactionv1.Interaction{}
			if err := proto.Unmarshal(appendCitizenID(shared, id), got); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !proto.Equal(got, tt.want) {
				t.Errorf("decoded entry (-want +got):\n%s", cmp.Diff(tt.want, got, protocmp.Transform()))
			}
			if !bytes.Equal(shared[:cap(shared)], before) {
				t.Error("appendCitizenID wrote into the message's buffer")
			}
		})
	}
}
