package websvc_test

import (
	"fmt"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/testing/protocmp"

	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
)

var ulidPattern = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{26}$`)

const messageBody = `{
	"identifiers": [{"type":"email","value":"Jeanne@Example.FR"},{"type":"phone","value":"06 12 34 56 78"}],
	"citizen_id": "",
	"topic": "housing.benefit",
	"case_reference": "",
	"text": "Où en est ma demande ?"
}`

const formBody = `{
	"identifiers": [{"type":"email","value":"jeanne@example.fr"}],
	"form_id": "housing-benefit-request",
	"case_reference": "CAF-2026-000123",
	"topic": "housing.benefit",
	"case_status": "submitted",
	"fields": {"household_size": "3", "rent": "640"}
}`

func claimed(t interactionv1.IdentifierType, v string) *interactionv1.Identifier {
	return &interactionv1.Identifier{Type: t, Value: v, Assurance: interactionv1.Assurance_ASSURANCE_CLAIMED}
}

func TestPublishesMessageAndForm(t *testing.T) {
	t.Parallel()
	w := startWeb(t, nil)
	citizen := &interactionv1.Actor{Role: interactionv1.ActorRole_ACTOR_ROLE_CITIZEN}
	tests := []struct {
		name, path, body string
		want             *interactionv1.Interaction
	}{
		{name: "message", path: "/v1/messages", body: messageBody, want: &interactionv1.Interaction{
			Channel: interactionv1.Channel_CHANNEL_WEB, Kind: interactionv1.Kind_KIND_MESSAGE,
			Direction: interactionv1.Direction_DIRECTION_INBOUND, Actor: citizen,
			Subject: &interactionv1.Subject{Identifiers: []*interactionv1.Identifier{
				claimed(interactionv1.IdentifierType_IDENTIFIER_TYPE_EMAIL, "jeanne@example.fr"),
				claimed(interactionv1.IdentifierType_IDENTIFIER_TYPE_PHONE, "+33612345678"),
			}},
			Topic: "housing.benefit", Text: "Où en est ma demande ?",
		}},
		{name: "form", path: "/v1/forms", body: formBody, want: &interactionv1.Interaction{
			Channel: interactionv1.Channel_CHANNEL_WEB, Kind: interactionv1.Kind_KIND_FORM_SUBMISSION,
			Direction: interactionv1.Direction_DIRECTION_INBOUND, Actor: citizen,
			Subject: &interactionv1.Subject{Identifiers: []*interactionv1.Identifier{
				claimed(interactionv1.IdentifierType_IDENTIFIER_TYPE_EMAIL, "jeanne@example.fr"),
			}},
			Topic: "housing.benefit", CaseReference: "CAF-2026-000123",
			CaseStatus: interactionv1.CaseStatus_CASE_STATUS_SUBMITTED,
			Details: &interactionv1.Interaction_Web{Web: &interactionv1.WebDetails{
				FormId: "housing-benefit-request", Fields: map[string]string{"household_size": "3", "rent": "640"},
			}},
		}},
	}
	for i, tt := range tests { // sequential: each adds one message to the stream
		t.Run(tt.name, func(t *testing.T) {
			before := time.Now()
			resp := postJSON(t, w.URL+tt.path, tt.body, nil)
			if resp.Status != http.StatusAccepted {
				t.Fatalf("status %d, body %s", resp.Status, resp.Body)
			}
			rc := decode[receipt](t, resp)
			seq := uint64(i + 1)
			if !ulidPattern.MatchString(rc.InteractionID) || rc.ConsistencyToken != fmt.Sprintf("v1.%d", seq) {
				t.Fatalf("receipt %+v, want a ULID and token v1.%d", rc, seq)
			}
			if got := w.NATS.StreamMessages(t, w.JS); got != seq {
				t.Fatalf("stream holds %d messages, want %d", got, seq)
			}
			ix, raw := w.stored(t, seq)
			if raw.Subject != w.NATS.Stream.Subject(interactionv1.Channel_CHANNEL_WEB) || raw.Header.Get(jetstream.MsgIDHeader) != rc.InteractionID {
				t.Errorf("subject %q, msg id %q; want the web subject and the interaction id", raw.Subject, raw.Header.Get(jetstream.MsgIDHeader))
			}
			if ix.GetId() != rc.InteractionID || ix.GetOccurredAt().AsTime().Before(before.Add(-time.Second)) {
				t.Errorf("stored id %s at %v, want %s after %v", ix.GetId(), ix.GetOccurredAt().AsTime(), rc.InteractionID, before)
			}
			opts := []cmp.Option{protocmp.Transform(), protocmp.IgnoreFields(&interactionv1.Interaction{}, "id", "occurred_at")}
			if diff := cmp.Diff(tt.want, ix, opts...); diff != "" {
				t.Errorf("stored interaction (-want +got):\n%s", diff)
			}
		})
	}
}
