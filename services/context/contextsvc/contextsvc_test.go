package contextsvc_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	contextv1 "unisson.dev/proto/unisson/context/v1"
	v1 "unisson.dev/proto/unisson/interaction/v1"
)

// An interaction is visible to a read that carries its token, on both
// stores, with no sleep and no polling.
func TestReadYourWrites(t *testing.T) {
	for _, store := range []string{"memory", "redis"} {
		t.Run(store, func(t *testing.T) {
			e := newEnv(t, store == "redis")
			svc := e.start(t)
			ctx := context.Background()
			e.publish(t, message(v1.Channel_CHANNEL_WEB, "first", email("jeanne@example.fr")))
			token := e.publish(t, message(v1.Channel_CHANNEL_PHONE, "second", email("Jeanne@Example.fr")))
			resp, err := svc.client.GetContext(ctx, &contextv1.GetContextRequest{Citizen: byEmail("jeanne@example.fr"), ConsistencyToken: token})
			if err != nil {
				t.Fatalf("GetContext: %v", err)
			}
			if diff := cmp.Diff([]string{"second", "first"}, texts(resp.GetContext().GetRecent())); diff != "" {
				t.Fatalf("recent (-want +got):\n%s", diff)
			}
			if !resp.GetContext().GetProvisional() || resp.GetContextVersion() == 0 {
				t.Fatalf("context: provisional=%v version=%d", resp.GetContext().GetProvisional(), resp.GetContextVersion())
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	e := newEnv(t, false)
	svc := e.start(t)
	ctx := context.Background()
	tests := []struct {
		name string
		req  *contextv1.GetContextRequest
		want codes.Code
	}{
		{"no citizen", &contextv1.GetContextRequest{}, codes.InvalidArgument},
		{"unknown citizen", &contextv1.GetContextRequest{Citizen: byEmail("nobody@example.fr")}, codes.NotFound},
		{"malformed token", &contextv1.GetContextRequest{Citizen: byEmail("a@example.fr"), ConsistencyToken: "x"}, codes.InvalidArgument},
		{"bad identifier", &contextv1.GetContextRequest{Citizen: byEmail("not an e-mail")}, codes.InvalidArgument},
		{"limit too large", &contextv1.GetContextRequest{Citizen: byEmail("a@example.fr"), TimelineLimit: 1000}, codes.InvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.client.GetContext(ctx, tt.req)
			if got := status.Code(err); got != tt.want {
				t.Fatalf("GetContext: code %v (%v), want %v", got, err, tt.want)
			}
		})
	}
}

// A token the projections have not reached gives a clear "not yet" after
// the bounded wait.
func TestReadWithFutureTokenIsNotYet(t *testing.T) {
	e := newEnv(t, false)
	e.tokenWait = 100 * time.Millisecond
	svc := e.start(t)
	e.publish(t, message(v1.Channel_CHANNEL_WEB, "hello", email("a@example.fr")))
	_, err := svc.client.GetContext(context.Background(), &contextv1.GetContextRequest{
		Citizen: byEmail("a@example.fr"), ConsistencyToken: "v1.999999",
	})
	if status.Code(err) != codes.Unavailable || !strings.Contains(status.Convert(err).Message(), "not yet") {
		t.Fatalf("GetContext with a future token: %v, want Unavailable \"not yet\"", err)
	}
}
