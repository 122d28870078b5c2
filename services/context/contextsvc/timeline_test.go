package contextsvc_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"

	contextv1 "unisson.dev/proto/unisson/context/v1"
	v1 "unisson.dev/proto/unisson/interaction/v1"
)

// TestTimelinePaging: ten interactions in pages of three are four pages,
// newest first, each interaction once, the last page without a token.
func TestTimelinePaging(t *testing.T) {
	e := newEnv(t, false)
	svc := e.start(t)
	var token string
	var want [][]string
	for i := range 10 {
		token = e.publish(t, message(v1.Channel_CHANNEL_WEB, fmt.Sprintf("t%d", i), email("jeanne@example.fr")))
	}
	for _, page := range [][]int{{9, 8, 7}, {6, 5, 4}, {3, 2, 1}, {0}} {
		var texts []string
		for _, i := range page {
			texts = append(texts, fmt.Sprintf("t%d", i))
		}
		want = append(want, texts)
	}
	got := listAll(t, svc.client, &contextv1.ListTimelineRequest{
		Citizen: byEmail("jeanne@example.fr"), ConsistencyToken: token, PageSize: 3,
	})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
}

func TestTimelineFilters(t *testing.T) {
	e := newEnv(t, false)
	svc := e.start(t)
	type ix struct {
		ch    v1.Channel
		kind  v1.Kind
		topic string
	}
	var token string
	for i, x := range []ix{
		{v1.Channel_CHANNEL_WEB, v1.Kind_KIND_MESSAGE, "housing.benefit"},
		{v1.Channel_CHANNEL_PHONE, v1.Kind_KIND_CALL, "housing.benefit"},
		{v1.Channel_CHANNEL_EMAIL, v1.Kind_KIND_MESSAGE, "tax.income"},
		{v1.Channel_CHANNEL_WEB, v1.Kind_KIND_FORM_SUBMISSION, "housing.benefit"},
		{v1.Channel_CHANNEL_COUNTER, v1.Kind_KIND_VISIT, "tax.income"},
		{v1.Channel_CHANNEL_PHONE, v1.Kind_KIND_MESSAGE, "tax.income"},
		{v1.Channel_CHANNEL_MOBILE, v1.Kind_KIND_MESSAGE, "housing.benefit"},
	} {
		m := message(x.ch, fmt.Sprintf("i%d", i), email("jeanne@example.fr"))
		m.Kind, m.Topic = x.kind, x.topic
		if x.kind == v1.Kind_KIND_FORM_SUBMISSION {
			m.CaseReference = "DOS-7"
		}
		token = e.publish(t, m)
	}
	tests := []struct {
		name     string
		channels []v1.Channel
		kinds    []v1.Kind
		topic    string
		pageSize int32
		want     [][]string
	}{
		{name: "channel", channels: []v1.Channel{v1.Channel_CHANNEL_PHONE}, want: [][]string{{"i5", "i1"}}},
		{name: "channels", channels: []v1.Channel{v1.Channel_CHANNEL_WEB, v1.Channel_CHANNEL_MOBILE}, want: [][]string{{"i6", "i3", "i0"}}},
		{name: "kind", kinds: []v1.Kind{v1.Kind_KIND_MESSAGE}, want: [][]string{{"i6", "i5", "i2", "i0"}}},
		{name: "topic", topic: "tax.income", want: [][]string{{"i5", "i4", "i2"}}},
		{name: "channel and kind", channels: []v1.Channel{v1.Channel_CHANNEL_WEB, v1.Channel_CHANNEL_PHONE},
			kinds: []v1.Kind{v1.Kind_KIND_MESSAGE}, want: [][]string{{"i5", "i0"}}},
		{name: "kind paged", kinds: []v1.Kind{v1.Kind_KIND_MESSAGE}, pageSize: 2, want: [][]string{{"i6", "i5"}, {"i2", "i0"}}},
		{name: "no match", topic: "family.allowance", want: [][]string{{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := listAll(t, svc.client, &contextv1.ListTimelineRequest{
				Citizen: byEmail("jeanne@example.fr"), ConsistencyToken: token, PageSize: tt.pageSize,
				Channels: tt.channels, Kinds: tt.kinds, Topic: tt.topic,
			})
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("pages (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTimelineBadRequests(t *testing.T) {
	e := newEnv(t, false)
	svc := e.start(t)
	token := e.publish(t, message(v1.Channel_CHANNEL_WEB, "hello", email("jeanne@example.fr")))
	tests := []struct {
		name      string
		pageToken string
		pageSize  int32
	}{
		{name: "garbage token", pageToken: "garbage"},
		{name: "token without position", pageToken: "p1."},
		{name: "token at zero", pageToken: "p1.0"},
		{name: "token of another version", pageToken: "p2.5"},
		{name: "page too large", pageSize: 101},
		{name: "negative page", pageSize: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.client.ListTimeline(t.Context(), &contextv1.ListTimelineRequest{
				Citizen: byEmail("jeanne@example.fr"), ConsistencyToken: token,
				PageToken: tt.pageToken, PageSize: tt.pageSize,
			})
			if got := status.Code(err); got != codes.InvalidArgument {
				t.Errorf("ListTimeline: code %v (%v), want InvalidArgument", got, err)
			}
		})
	}
}

// listAll follows next_page_token from the first page to the last and
// returns each page's texts.
func listAll(t *testing.T, client contextv1.ContextServiceClient, req *contextv1.ListTimelineRequest) [][]string {
	t.Helper()
	var pages [][]string
	for range 100 {
		resp, err := client.ListTimeline(t.Context(), req)
		if err != nil {
			t.Fatalf("ListTimeline(page %q): %v", req.GetPageToken(), err)
		}
		pages = append(pages, texts(resp.GetEntries()))
		if resp.GetNextPageToken() == "" {
			return pages
		}
		req.PageToken = resp.GetNextPageToken()
	}
	t.Fatalf("more than 100 pages")
	return nil
}

func TestResolveIdentity(t *testing.T) {
	e := newEnv(t, false)
	svc := e.start(t)
	phone := &v1.Identifier{Type: v1.IdentifierType_IDENTIFIER_TYPE_PHONE, Value: "+33612345678", Assurance: v1.Assurance_ASSURANCE_VERIFIED}
	e.publish(t, message(v1.Channel_CHANNEL_EMAIL, "x", email("x@example.fr")))
	visit := message(v1.Channel_CHANNEL_COUNTER, "y", phone)
	visit.Kind, visit.Actor = v1.Kind_KIND_VISIT, &v1.Actor{Role: v1.ActorRole_ACTOR_ROLE_AGENT, Id: "agent-7"}
	token := e.publish(t, visit)
	x := citizenID(t, svc, byEmail("x@example.fr"), token)
	y := citizenID(t, svc, &contextv1.CitizenRef{Ref: &contextv1.CitizenRef_Identifier{Identifier: phone}}, token)

	claimedPhone := &v1.Identifier{Type: phone.Type, Value: phone.Value, Assurance: v1.Assurance_ASSURANCE_CLAIMED}
	match := func(id *v1.Identifier, citizen string, a v1.Assurance) *contextv1.IdentifierMatch {
		return &contextv1.IdentifierMatch{Identifier: id, CitizenId: citizen, LinkAssurance: a}
	}
	claimed, verified := v1.Assurance_ASSURANCE_CLAIMED, v1.Assurance_ASSURANCE_VERIFIED
	tests := []struct {
		name string
		ids  []*v1.Identifier
		want *contextv1.ResolveIdentityResponse
	}{
		{name: "claimed match", ids: []*v1.Identifier{email("X@Example.fr")},
			want: &contextv1.ResolveIdentityResponse{CitizenId: x,
				Matches: []*contextv1.IdentifierMatch{match(email("x@example.fr"), x, claimed)}}},
		{name: "declared verified first", ids: []*v1.Identifier{email("x@example.fr"), phone},
			want: &contextv1.ResolveIdentityResponse{CitizenId: y, Verified: true, SuggestedCitizenIds: []string{x},
				Matches: []*contextv1.IdentifierMatch{match(email("x@example.fr"), x, claimed), match(phone, y, verified)}}},
		{name: "stored verified first", ids: []*v1.Identifier{email("x@example.fr"), claimedPhone},
			want: &contextv1.ResolveIdentityResponse{CitizenId: y, SuggestedCitizenIds: []string{x},
				Matches: []*contextv1.IdentifierMatch{match(email("x@example.fr"), x, claimed), match(claimedPhone, y, verified)}}},
		{name: "unknown", ids: []*v1.Identifier{email("nobody@example.fr")},
			want: &contextv1.ResolveIdentityResponse{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := svc.client.ResolveIdentity(t.Context(), &contextv1.ResolveIdentityRequest{Identifiers: tt.ids, ConsistencyToken: token})
			if err != nil {
				t.Fatalf("ResolveIdentity: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, protocmp.Transform()); diff != "" {
				t.Errorf("ResolveIdentity (-want +got):\n%s", diff)
			}
		})
	}
	_, err := svc.client.ResolveIdentity(t.Context(), &contextv1.ResolveIdentityRequest{})
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("ResolveIdentity without identifiers: %v, want InvalidArgument", err)
	}
}

func citizenID(t *testing.T, svc *service, ref *contextv1.CitizenRef, token string) string {
	t.Helper()
	resp, err := svc.client.GetContext(t.Context(), &contextv1.GetContextRequest{Citizen: ref, ConsistencyToken: token})
	if err != nil {
		t.Fatalf("GetContext: %v", err)
	}
	return resp.GetContext().GetCitizenId()
}
