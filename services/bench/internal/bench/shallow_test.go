package bench

import (
	"testing"

	"google.golang.org/protobuf/proto"

	contextv1 "unisson.dev/proto/unisson/context/v1"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
)

func TestContextSummaryReadsWhatProtobufDecodes(t *testing.T) {
	resp := &contextv1.GetContextResponse{
		ContextVersion: 42,
		Context: &contextv1.CitizenContext{
			CitizenId:        "c-1",
			InteractionCount: 3,
			Identifiers:      []*contextv1.LinkedIdentifier{{Value: "ana@example.fr"}},
		},
	}
	for i := range 3 {
		resp.Context.Recent = append(resp.Context.Recent, &contextv1.TimelineEntry{
			Version:     uint64(10 + i),
			Interaction: &interactionv1.Interaction{Id: "i", Text: "Bonjour, où en est mon dossier ?"},
		})
	}
	b, err := proto.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	var s contextSummary
	if err := s.read(b); err != nil {
		t.Fatalf("read: %v", err)
	}
	if s.citizenID != "c-1" || s.recent != 3 {
		t.Errorf("summary = %+v, want citizen c-1 with 3 entries", s)
	}

	// Every cut of the context is either refused or reads as a context
	// with fewer entries; none reads as whole.
	resp.ContextVersion = 0
	if b, err = proto.Marshal(resp); err != nil {
		t.Fatal(err)
	}
	for n := range len(b) {
		var cut contextSummary
		if err := cut.read(b[:n]); err == nil && cut.recent >= 3 {
			t.Fatalf("cut at %d of %d read as %+v", n, len(b), cut)
		}
	}
}

func TestContextSummaryRefusesMalformedResponses(t *testing.T) {
	entryWithoutVersion, _ := proto.Marshal(&contextv1.GetContextResponse{Context: &contextv1.CitizenContext{
		CitizenId: "c-1", Recent: []*contextv1.TimelineEntry{{Interaction: &interactionv1.Interaction{Id: "i"}}},
	}})
	noCitizen, _ := proto.Marshal(&contextv1.GetContextResponse{ContextVersion: 3})
	for name, b := range map[string][]byte{
		"entry without version": entryWithoutVersion,
		"no context":            noCitizen,
		"garbage":               {0xff, 0xff, 0xff},
		"context as varint":     {0x08, 0x01},
	} {
		var s contextSummary
		if err := s.read(b); err == nil {
			t.Errorf("%s: read %+v, want an error", name, s)
		}
	}
}
