package interaction_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"unisson.dev/platform/interaction"
	v1 "unisson.dev/proto/unisson/interaction/v1"
)

func valid() *v1.Interaction {
	return &v1.Interaction{
		Id:         interaction.NewID(time.Now()),
		OccurredAt: timestamppb.Now(),
		Channel:    v1.Channel_CHANNEL_WEB,
		Kind:       v1.Kind_KIND_MESSAGE,
		Direction:  v1.Direction_DIRECTION_INBOUND,
		Actor:      &v1.Actor{Role: v1.ActorRole_ACTOR_ROLE_CITIZEN},
		Subject: &v1.Subject{Identifiers: []*v1.Identifier{
			{Type: v1.IdentifierType_IDENTIFIER_TYPE_EMAIL, Value: "jeanne@example.fr", Assurance: v1.Assurance_ASSURANCE_CLAIMED},
		}},
		Topic: "housing.benefit",
		Text:  "Bonjour",
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		mutate    func(*v1.Interaction)
		wantField string
	}{
		{"valid", func(*v1.Interaction) {}, ""},
		{"bad id", func(ix *v1.Interaction) { ix.Id = "42" }, "id"},
		{"no time", func(ix *v1.Interaction) { ix.OccurredAt = nil }, "occurred_at"},
		{"no channel", func(ix *v1.Interaction) { ix.Channel = 0 }, "channel"},
		{"unknown kind", func(ix *v1.Interaction) { ix.Kind = 99 }, "kind"},
		{"no actor", func(ix *v1.Interaction) { ix.Actor = nil }, "actor"},
		{"helper without mandate", func(ix *v1.Interaction) {
			ix.Actor = &v1.Actor{Role: v1.ActorRole_ACTOR_ROLE_HELPER, Id: "aidant-1"}
		}, "actor.mandate_id"},
		{"no subject", func(ix *v1.Interaction) { ix.Subject = nil }, "subject"},
		{"unnormalised e-mail", func(ix *v1.Interaction) { ix.Subject.Identifiers[0].Value = "Jeanne@Example.fr" }, "subject.identifiers[0].value"},
		{"invalid phone", func(ix *v1.Interaction) {
			ix.Subject.Identifiers[0] = &v1.Identifier{Type: v1.IdentifierType_IDENTIFIER_TYPE_PHONE, Value: "12", Assurance: v1.Assurance_ASSURANCE_CLAIMED}
		}, "subject.identifiers[0].value"},
		{"no assurance", func(ix *v1.Interaction) { ix.Subject.Identifiers[0].Assurance = 0 }, "subject.identifiers[0].assurance"},
		{"bad topic", func(ix *v1.Interaction) { ix.Topic = "Housing Benefit" }, "topic"},
		{"text too long", func(ix *v1.Interaction) { ix.Text = strings.Repeat("a", interaction.MaxTextBytes+1) }, "text"},
		{"status without case", func(ix *v1.Interaction) { ix.CaseStatus = v1.CaseStatus_CASE_STATUS_ACCEPTED }, "case_reference"},
		{"form without case", func(ix *v1.Interaction) { ix.Kind = v1.Kind_KIND_FORM_SUBMISSION }, "case_reference"},
		{"details of another channel", func(ix *v1.Interaction) {
			ix.Details = &v1.Interaction_Phone{Phone: &v1.PhoneDetails{CallId: "x"}}
		}, "details"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ix := valid()
			tt.mutate(ix)
			err := interaction.Validate(ix)
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var verr interaction.ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("Validate = %v, want a ValidationError", err)
			}
			for _, fe := range verr {
				if fe.Field == tt.wantField {
					return
				}
			}
			t.Fatalf("Validate = %v, want an error on %s", err, tt.wantField)
		})
	}
}

func TestNormalizeThenValidate(t *testing.T) {
	t.Parallel()
	ix := valid()
	ix.Subject.Identifiers = append(ix.Subject.Identifiers,
		&v1.Identifier{Type: v1.IdentifierType_IDENTIFIER_TYPE_PHONE, Value: "06 12 34 56 78", Assurance: v1.Assurance_ASSURANCE_CLAIMED})
	ix.Subject.Identifiers[0].Value = " Jeanne@Example.FR"
	if err := interaction.Normalize(ix); err != nil {
		t.Fatal(err)
	}
	if err := interaction.Validate(ix); err != nil {
		t.Fatal(err)
	}
	if got := ix.Subject.Identifiers[1].Value; got != "+33612345678" {
		t.Fatalf("phone = %q", got)
	}
}

func TestNamesRoundTrip(t *testing.T) {
	t.Parallel()
	for c := range v1.Channel_name {
		if c == 0 {
			continue
		}
		got, ok := interaction.ParseChannelName(interaction.ChannelName(v1.Channel(c)))
		if !ok || got != v1.Channel(c) {
			t.Errorf("channel %d does not round-trip", c)
		}
	}
	for k := range v1.Kind_name {
		if k == 0 {
			continue
		}
		got, ok := interaction.ParseKindName(interaction.KindName(v1.Kind(k)))
		if !ok || got != v1.Kind(k) {
			t.Errorf("kind %d does not round-trip", k)
		}
	}
}

// Whatever bytes arrive on the log, decoding and validating never panics,
// and what validates survives a round trip.
func FuzzDecodeValidate(f *testing.F) {
	b, _ := proto.Marshal(valid())
	f.Add(b)
	f.Add([]byte{0x0a, 0x02, 'x', 'y'})
	f.Fuzz(func(t *testing.T, data []byte) {
		ix := &v1.Interaction{}
		if proto.Unmarshal(data, ix) != nil {
			return
		}
		_ = interaction.Normalize(ix)
		if interaction.Validate(ix) != nil {
			return
		}
		again := &v1.Interaction{}
		out, err := proto.Marshal(ix)
		if err != nil || proto.Unmarshal(out, again) != nil || interaction.Validate(again) != nil {
			t.Fatalf("valid interaction does not round-trip: %v", err)
		}
	})
}

// Validate names each failing identifier field and gives its reason,
// whatever the identifier's index.
func TestValidateIdentifierErrors(t *testing.T) {
	t.Parallel()
	ix := valid()
	ix.Subject.Identifiers = append(ix.Subject.Identifiers,
		&v1.Identifier{Value: "x"},
		&v1.Identifier{Type: v1.IdentifierType_IDENTIFIER_TYPE_EMAIL, Value: "Jeanne@example.fr", Assurance: 99},
		&v1.Identifier{Type: v1.IdentifierType_IDENTIFIER_TYPE_PHONE, Value: "12", Assurance: v1.Assurance_ASSURANCE_CLAIMED},
	)
	want := interaction.ValidationError{
		{Field: "subject.identifiers[1].type", Reason: "is required and must be a known value"},
		{Field: "subject.identifiers[1].assurance", Reason: "is required and must be a known value"},
		{Field: "subject.identifiers[1].value", Reason: "unknown type IDENTIFIER_TYPE_UNSPECIFIED"},
		{Field: "subject.identifiers[2].assurance", Reason: "is required and must be a known value"},
		{Field: "subject.identifiers[2].value", Reason: "is not normalised"},
		{Field: "subject.identifiers[3].value", Reason: "not a valid phone number"},
	}
	err := interaction.Validate(ix)
	if got, ok := err.(interaction.ValidationError); !ok || !reflect.DeepEqual(got, want) {
		t.Fatalf("Validate = %v\nwant %v", err, want)
	}
}
