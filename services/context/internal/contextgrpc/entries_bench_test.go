package contextgrpc

import (
	"strings"
	"testing"

	"google.golang.org/grpc/encoding"
	protocodec "google.golang.org/grpc/encoding/proto"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	contextv1 "unisson.dev/proto/unisson/context/v1"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"

	"unisson.dev/services/context/internal/contextstore"
)

// BenchmarkGetContextResponse compares the two ways of answering a first
// page of 20 interactions of 512-byte texts, from the entries a store
// returns: decoding each entry and encoding the response field by field
// (decoded), and framing the stored bytes (framed, what Server does).
func BenchmarkGetContextResponse(b *testing.B) {
	es := make([]contextstore.Entry, 20)
	for i := range es {
		e, err := contextstore.NewEntry(uint64(1000+i), &interactionv1.Interaction{
			Id: "01JQ8Z6V0D3J5YB2M6XK4R7T9P", OccurredAt: timestamppb.Now(),
			Channel: interactionv1.Channel_CHANNEL_EMAIL, Kind: interactionv1.Kind_KIND_MESSAGE,
			Subject: &interactionv1.Subject{CitizenId: "c_01jq8z6v0d3j5yb2m6xk4r7t9p", Identifiers: []*interactionv1.Identifier{
				{Type: interactionv1.IdentifierType_IDENTIFIER_TYPE_EMAIL, Value: "anne.dupont@example.fr"},
				{Type: interactionv1.IdentifierType_IDENTIFIER_TYPE_PHONE, Value: "+33612345678"},
			}},
			Topic: "housing.benefit", Text: strings.Repeat("Bonjour, où en est ma demande ? ", 16),
			Details: &interactionv1.Interaction_Email{Email: &interactionv1.EmailDetails{MessageId: "<1@example.fr>", Subject: "Demande"}},
		})
		if err != nil {
			b.Fatal(err)
		}
		es[i] = e
	}
	b.Run("decoded", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c := &contextv1.CitizenContext{CitizenId: "c_1", InteractionCount: 20}
			for _, e := range es {
				ix, err := e.Interaction()
				if err != nil {
					b.Fatal(err)
				}
				c.Recent = append(c.Recent, &contextv1.TimelineEntry{Interaction: ix, Version: e.Seq})
			}
			if _, err := proto.Marshal(&contextv1.GetContextResponse{Context: c, ContextVersion: 1019}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("framed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c := &contextv1.CitizenContext{CitizenId: "c_1", InteractionCount: 20}
			setEntries(c, fieldRecent, es)
			if _, err := proto.Marshal(&contextv1.GetContextResponse{Context: c, ContextVersion: 1019}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkGetContextEncode is what gRPC does with a first page of 20
// once the handler returns: encode the response and copy it into the
// transport's frames. copied is setEntries and gRPC's protobuf codec (the
// entries copied into a buffer of their own, then into gRPC's); framed is
// a framed response's wire form (the entries copied once, into the frames).
func BenchmarkGetContextEncode(b *testing.B) {
	es := sampleEntries(b, 20)
	frame := make([]byte, 64<<10)
	b.Run("copied", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c := sampleContext()
			setEntries(c, fieldRecent, es)
			data, err := encoding.GetCodecV2(protocodec.Name).Marshal(&contextv1.GetContextResponse{Context: c, ContextVersion: 1019})
			if err != nil {
				b.Fatal(err)
			}
			data.CopyTo(frame)
			data.Free()
		}
	})
	b.Run("framed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			f := &framed{head: &contextv1.GetContextResponse{ContextVersion: 1019}, nest: fieldContext,
				inner: sampleContext(), field: fieldRecent, entries: es}
			data, err := f.EncodeWire()
			if err != nil {
				b.Fatal(err)
			}
			data.CopyTo(frame)
			data.Free()
		}
	})
}
