package contextsvc_test

import (
	"context"
	"testing"

	contextv1 "unisson.dev/proto/unisson/context/v1"
	v1 "unisson.dev/proto/unisson/interaction/v1"
)

// Two context services on one Redis store: one applies, the other stands
// by and still answers reads with consistency tokens; when the first stops,
// the second takes over. No sleep: token reads are the waits.
func TestSecondServiceStandsByThenTakesOver(t *testing.T) {
	e := newEnv(t, true)
	first := e.start(t)
	ctx := context.Background()
	read := func(svc *service, token string) int {
		t.Helper()
		resp, err := svc.client.GetContext(ctx, &contextv1.GetContextRequest{Citizen: byEmail("jeanne@example.fr"), ConsistencyToken: token})
		if err != nil {
			t.Fatalf("GetContext: %v", err)
		}
		return len(resp.GetContext().GetRecent())
	}
	token := e.publish(t, message(v1.Channel_CHANNEL_WEB, "one", email("jeanne@example.fr")))
	if n := read(first, token); n != 1 {
		t.Fatalf("first service sees %d interactions, want 1", n)
	}
	// The first service applied, so it holds the lease: the second stands by.
	second := e.start(t)
	if n := read(second, token); n != 1 {
		t.Fatalf("standby sees %d interactions, want 1", n)
	}
	first.stop()
	token = e.publish(t, message(v1.Channel_CHANNEL_PHONE, "two", email("jeanne@example.fr")))
	if n := read(second, token); n != 2 {
		t.Fatalf("after take-over the second service sees %d interactions, want 2", n)
	}
	// The applier keeps the snapshots it serves (snapcache): a write
	// applied after one was kept is seen by the next read.
	if n := read(second, ""); n != 2 {
		t.Fatalf("second read after take-over: %d interactions, want 2", n)
	}
	token = e.publish(t, message(v1.Channel_CHANNEL_COUNTER, "three", email("jeanne@example.fr")))
	if n := read(second, token); n != 3 {
		t.Fatalf("after a third write the second service sees %d interactions, want 3", n)
	}
}
