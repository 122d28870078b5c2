package websvc_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	contextv1 "unisson.dev/proto/unisson/context/v1"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
)

func ts(s string) *timestamppb.Timestamp {
	tm, _ := time.Parse(time.RFC3339, s)
	return timestamppb.New(tm)
}

var (
	phoneCall = &contextv1.TimelineEntry{Version: 41, Interaction: &interactionv1.Interaction{
		Id: "01JQ0000000000000000000002", OccurredAt: ts("2026-03-02T10:00:00Z"),
		Channel: interactionv1.Channel_CHANNEL_PHONE, Kind: interactionv1.Kind_KIND_CALL,
		Direction: interactionv1.Direction_DIRECTION_INBOUND, Topic: "housing.benefit", CaseReference: "CAF-2026-000123",
	}}
	webForm = &contextv1.TimelineEntry{Version: 40, Interaction: &interactionv1.Interaction{
		Id: "01JQ0000000000000000000001", OccurredAt: ts("2026-03-01T09:30:00Z"),
		Channel: interactionv1.Channel_CHANNEL_WEB, Kind: interactionv1.Kind_KIND_FORM_SUBMISSION,
		Direction: interactionv1.Direction_DIRECTION_INBOUND, Topic: "housing.benefit", CaseReference: "CAF-2026-000123",
		CaseStatus: interactionv1.CaseStatus_CASE_STATUS_SUBMITTED,
		Details:    &interactionv1.Interaction_Web{Web: &interactionv1.WebDetails{FormId: "housing-benefit-request"}},
	}}
	phoneCallJSON = `{"interaction_id":"01JQ0000000000000000000002","occurred_at":"2026-03-02T10:00:00Z","channel":"phone",
		"kind":"call","direction":"inbound","topic":"housing.benefit","case_reference":"CAF-2026-000123","text":""}`
	webFormJSON = `{"interaction_id":"01JQ0000000000000000000001","occurred_at":"2026-03-01T09:30:00Z","channel":"web",
		"kind":"form_submission","direction":"inbound","topic":"housing.benefit","case_reference":"CAF-2026-000123",
		"case_status":"submitted","form_id":"housing-benefit-request","text":""}`
)

func TestGetContextShowsTidyView(t *testing.T) {
	t.Parallel()
	fake := &fakeContext{get: &contextv1.GetContextResponse{ContextVersion: 42, Context: &contextv1.CitizenContext{
		CitizenId: "c-123", Provisional: true, InteractionCount: 2,
		Identifiers: []*contextv1.LinkedIdentifier{
			{Type: interactionv1.IdentifierType_IDENTIFIER_TYPE_EMAIL, Value: "jeanne@example.fr", Assurance: interactionv1.Assurance_ASSURANCE_CLAIMED},
			{Type: interactionv1.IdentifierType_IDENTIFIER_TYPE_PHONE, Value: "+33612345678", Assurance: interactionv1.Assurance_ASSURANCE_VERIFIED},
		},
		Cases: []*contextv1.Case{{Reference: "CAF-2026-000123", Topic: "housing.benefit",
			Status: interactionv1.CaseStatus_CASE_STATUS_IN_REVIEW, UpdatedAt: ts("2026-03-02T10:00:00Z")}},
		Recent: []*contextv1.TimelineEntry{phoneCall, webForm},
	}}}
	base := startReads(t, fake, 5*time.Second)

	q := url.Values{"email": {"Jeanne@Example.FR"}, "consistency_token": {"v1.42"}, "timeline_limit": {"5"}}
	resp := get(t, base+"/v1/context?"+q.Encode(), map[string]string{"X-Request-Id": "req-123"})
	if resp.Status != http.StatusOK {
		t.Fatalf("status %d, body %s", resp.Status, resp.Body)
	}
	wantJSON(t, resp, `{"citizen_id":"c-123","provisional":true,
		"identifiers":[{"type":"email","value":"jeanne@example.fr","assurance":"claimed"},
		               {"type":"phone","value":"+33612345678","assurance":"verified"}],
		"cases":[{"reference":"CAF-2026-000123","topic":"housing.benefit","status":"in_review","updated_at":"2026-03-02T10:00:00Z"}],
		"recent":[`+phoneCallJSON+`,`+webFormJSON+`],
		"interaction_count":2,"context_version":42}`)

	req, md := fake.lastCall(t)
	want := &contextv1.GetContextRequest{Citizen: identifierRef(interactionv1.IdentifierType_IDENTIFIER_TYPE_EMAIL, "jeanne@example.fr"),
		ConsistencyToken: "v1.42", TimelineLimit: 5}
	if diff := cmp.Diff(want, req, protocmp.Transform()); diff != "" {
		t.Errorf("GetContext request (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"web", "req-123"}, append(md.Get("x-unisson-channel"), md.Get("x-request-id")...)); diff != "" {
		t.Errorf("metadata channel and request id (-want +got):\n%s", diff)
	}
	if got := resp.Header.Get("X-Request-Id"); got != "req-123" {
		t.Errorf("X-Request-Id %q, want the client's", got)
	}
}

func TestGetTimelinePassesFilters(t *testing.T) {
	t.Parallel()
	fake := &fakeContext{list: &contextv1.ListTimelineResponse{
		Entries: []*contextv1.TimelineEntry{phoneCall, webForm}, NextPageToken: "page-2", ContextVersion: 42,
	}}
	base := startReads(t, fake, 5*time.Second)
	tests := []struct {
		name  string
		query url.Values
		want  *contextv1.ListTimelineRequest
	}{
		{name: "by phone with filters", query: url.Values{"phone": {"06 12 34 56 78"}, "page_size": {"10"}, "page_token": {"abc"},
			"channel": {"web,phone"}, "kind": {"message", "form_submission"}, "topic": {"housing.benefit"}},
			want: &contextv1.ListTimelineRequest{Citizen: identifierRef(interactionv1.IdentifierType_IDENTIFIER_TYPE_PHONE, "+33612345678"),
				PageSize: 10, PageToken: "abc", Topic: "housing.benefit",
				Channels: []interactionv1.Channel{interactionv1.Channel_CHANNEL_WEB, interactionv1.Channel_CHANNEL_PHONE},
				Kinds:    []interactionv1.Kind{interactionv1.Kind_KIND_MESSAGE, interactionv1.Kind_KIND_FORM_SUBMISSION}}},
		{name: "by citizen id", query: url.Values{"citizen_id": {"c-123"}, "consistency_token": {"v1.7"}},
			want: &contextv1.ListTimelineRequest{Citizen: &contextv1.CitizenRef{Ref: &contextv1.CitizenRef_CitizenId{CitizenId: "c-123"}},
				ConsistencyToken: "v1.7"}},
		{name: "by case", query: url.Values{"case": {"caf-2026-000123"}},
			want: &contextv1.ListTimelineRequest{Citizen: identifierRef(interactionv1.IdentifierType_IDENTIFIER_TYPE_CASE_REFERENCE, "CAF-2026-000123")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := get(t, base+"/v1/timeline?"+tt.query.Encode(), nil)
			if resp.Status != http.StatusOK {
				t.Fatalf("status %d, body %s", resp.Status, resp.Body)
			}
			wantJSON(t, resp, `{"entries":[`+phoneCallJSON+`,`+webFormJSON+`],"next_page_token":"page-2","context_version":42}`)
			req, _ := fake.lastCall(t)
			if diff := cmp.Diff(tt.want, req, protocmp.Transform()); diff != "" {
				t.Errorf("ListTimeline request (-want +got):\n%s", diff)
			}
		})
	}
}

func identifierRef(typ interactionv1.IdentifierType, value string) *contextv1.CitizenRef {
	return &contextv1.CitizenRef{Ref: &contextv1.CitizenRef_Identifier{Identifier: &interactionv1.Identifier{Type: typ, Value: value}}}
}

// wantJSON compares a response body with want as JSON values.
func wantJSON(t *testing.T, resp response, want string) {
	t.Helper()
	var got, w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expected JSON: %v", err)
	}
	if err := json.Unmarshal(resp.Body, &got); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, resp.Body)
	}
	if diff := cmp.Diff(w, got); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}
