package websvc_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	contextv1 "unisson.dev/proto/unisson/context/v1"
)

func TestReadErrorsMapToHTTP(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		err            error
		slow           bool
		wantStatus     int
		wantCode       string
		wantRetryAfter bool
	}{
		{name: "invalid argument", err: status.Error(codes.InvalidArgument, "page token is malformed"), wantStatus: 400, wantCode: "invalid_argument"},
		{name: "not found", err: status.Error(codes.NotFound, "no citizen for email:jeanne@example.fr"), wantStatus: 404, wantCode: "not_found"},
		{name: "not yet applied", err: status.Error(codes.Unavailable, "consistency token v1.9 not yet applied"), wantStatus: 503, wantCode: "not_yet_applied", wantRetryAfter: true},
		{name: "not yet, failed precondition", err: status.Error(codes.FailedPrecondition, "Not yet applied"), wantStatus: 503, wantCode: "not_yet_applied", wantRetryAfter: true},
		{name: "unavailable", err: status.Error(codes.Unavailable, "redis at 10.0.0.7:6379 refused"), wantStatus: 502, wantCode: "bad_gateway"},
		{name: "deadline exceeded", err: status.Error(codes.DeadlineExceeded, "store timed out"), wantStatus: 504, wantCode: "deadline_exceeded"},
		{name: "read timeout", slow: true, wantStatus: 504, wantCode: "deadline_exceeded"},
		{name: "internal", err: status.Error(codes.Internal, "redis: WRONGTYPE at key citizen:{c-1}"), wantStatus: 502, wantCode: "bad_gateway"},
		{name: "permission denied", err: status.Error(codes.PermissionDenied, "scope mairie-lyon"), wantStatus: 403, wantCode: "permission_denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := startReads(t, &fakeContext{err: tt.err, slow: tt.slow}, 200*time.Millisecond)
			for _, path := range []string{"/v1/context", "/v1/timeline"} {
				resp := get(t, base+path+"?citizen_id=c-1", nil)
				if resp.Status != tt.wantStatus {
					t.Fatalf("%s: status %d, want %d; body %s", path, resp.Status, tt.wantStatus, resp.Body)
				}
				checkError(t, resp, tt.wantCode, "")
				if got := resp.Header.Get("Retry-After") == "1"; got != tt.wantRetryAfter {
					t.Errorf("%s: Retry-After %q, want it: %v", path, resp.Header.Get("Retry-After"), tt.wantRetryAfter)
				}
				if tt.err != nil && tt.wantStatus != 400 && strings.Contains(string(resp.Body), status.Convert(tt.err).Message()) {
					t.Errorf("%s: body %s repeats the service's internal message", path, resp.Body)
				}
			}
		})
	}
}

func TestRejectsBadReadsWithoutCallingTheService(t *testing.T) {
	t.Parallel()
	fake := &fakeContext{}
	base := startReads(t, fake, 5*time.Second)
	tests := []struct {
		name      string
		path      string
		query     string
		method    string
		wantField string
		wantCode  string
	}{
		{name: "no selector", path: "/v1/context", query: "timeline_limit=5", wantField: "citizen_id"},
		{name: "two selectors", path: "/v1/context", query: url.Values{"email": {"a@b.fr"}, "phone": {"0612345678"}}.Encode(), wantField: "citizen_id"},
		{name: "selector twice", path: "/v1/context", query: "citizen_id=a&citizen_id=b", wantField: "citizen_id"},
		{name: "empty citizen id", path: "/v1/context", query: "citizen_id=", wantField: "citizen_id"},
		{name: "bad e-mail", path: "/v1/context", query: "email=jeanne", wantField: "email"},
		{name: "bad phone", path: "/v1/timeline", query: "phone=12", wantField: "phone"},
		{name: "bad token", path: "/v1/context", query: "citizen_id=c-1&consistency_token=42", wantField: "consistency_token"},
		{name: "timeline limit zero", path: "/v1/context", query: "citizen_id=c-1&timeline_limit=0", wantField: "timeline_limit"},
		{name: "page size too large", path: "/v1/timeline", query: "citizen_id=c-1&page_size=1000", wantField: "page_size"},
		{name: "unknown channel", path: "/v1/timeline", query: "citizen_id=c-1&channel=fax", wantField: "channel"},
		{name: "unknown kind", path: "/v1/timeline", query: "citizen_id=c-1&kind=KIND_MESSAGE", wantField: "kind"},
		{name: "unknown parameter", path: "/v1/context", query: "citizenid=c-1", wantField: "citizenid"},
		{name: "timeline parameter on context", path: "/v1/context", query: "citizen_id=c-1&page_size=3", wantField: "page_size"},
		{name: "malformed query", path: "/v1/context", query: "citizen_id=%zz", wantField: "query"},
		{name: "wrong method", path: "/v1/context", query: "citizen_id=c-1", method: http.MethodPost, wantCode: "method_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			resp := do(t, method, base+tt.path+"?"+tt.query, "application/json", "", nil)
			wantStatus := http.StatusBadRequest
			if tt.wantCode == "method_not_allowed" {
				wantStatus = http.StatusMethodNotAllowed
			}
			if resp.Status != wantStatus {
				t.Fatalf("status %d, want %d; body %s", resp.Status, wantStatus, resp.Body)
			}
			checkError(t, resp, tt.wantCode, tt.wantField)
		})
	}
	if n := fake.callCount(); n != 0 {
		t.Errorf("the context service was called %d times", n)
	}
}

// panicking is a context service client that panics, as a bug would.
type panicking struct{ contextv1.ContextServiceClient }

func (panicking) GetContext(context.Context, *contextv1.GetContextRequest, ...grpc.CallOption) (*contextv1.GetContextResponse, error) {
	panic("bug")
}
