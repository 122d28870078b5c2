package contextsvc_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	contextv1 "unisson.dev/proto/unisson/context/v1"
	v1 "unisson.dev/proto/unisson/interaction/v1"

	"unisson.dev/services/context/internal/watch"
)

// TestWatchResume: a watcher sees a new interaction; after it cancels,
// three more are published, and reconnecting with its last resume token
// delivers exactly those three, in order, then the live ones.
func TestWatchResume(t *testing.T) {
	e := newEnv(t, false)
	svc := e.start(t)
	a := "jeanne@example.fr"
	start := applied(t, svc, a, e.publish(t, message(v1.Channel_CHANNEL_WEB, "before", email(a))))

	ctx, cancel := context.WithCancel(bounded(t))
	stream, err := svc.client.WatchContext(ctx, &contextv1.WatchContextRequest{Citizen: byEmail(a), ResumeToken: start})
	if err != nil {
		t.Fatalf("WatchContext: %v", err)
	}
	e.publish(t, message(v1.Channel_CHANNEL_PHONE, "first", email(a)))
	first := recv(t, stream)
	if got := first.GetEntry().GetInteraction().GetText(); got != "first" {
		t.Fatalf("first change = %q, want \"first\"", got)
	}
	cancel()
	for {
		if _, err := stream.Recv(); err != nil {
			break
		}
	}

	var missed []string
	for i := range 3 {
		text := fmt.Sprintf("missed %d", i)
		e.publish(t, message(v1.Channel_CHANNEL_EMAIL, text, email(a)))
		e.publish(t, message(v1.Channel_CHANNEL_EMAIL, "someone else", email("paul@example.fr")))
		missed = append(missed, text)
	}
	stream, err = svc.client.WatchContext(bounded(t), &contextv1.WatchContextRequest{Citizen: byEmail(a), ResumeToken: first.GetResumeToken()})
	if err != nil {
		t.Fatalf("WatchContext again: %v", err)
	}
	got := receive(t, stream, 3, first.GetContextVersion())
	if diff := cmp.Diff(missed, got); diff != "" {
		t.Errorf("changes after reconnecting (-want +got):\n%s", diff)
	}
	e.publish(t, message(v1.Channel_CHANNEL_WEB, "live", email(a)))
	if next := recv(t, stream).GetEntry().GetInteraction().GetText(); next != "live" {
		t.Errorf("change after the missed ones = %q, want \"live\" (nothing twice)", next)
	}
}

// TestWatchFromNow: without a resume token a watcher starts from now. The
// server subscribes some time after the call returns, so interactions are
// published until one arrives: the first to arrive is a new one, and the
// rest follow in order.
func TestWatchFromNow(t *testing.T) {
	e := newEnv(t, false)
	svc := e.start(t)
	a := "jeanne@example.fr"
	var token string
	for i := range 5 {
		token = e.publish(t, message(v1.Channel_CHANNEL_WEB, fmt.Sprintf("old %d", i), email(a)))
	}
	applied(t, svc, a, token)
	stream, err := svc.client.WatchContext(bounded(t), &contextv1.WatchContextRequest{Citizen: byEmail(a)})
	if err != nil {
		t.Fatalf("WatchContext: %v", err)
	}
	received := make(chan string, 1000)
	go func() {
		defer close(received)
		for {
			r, err := stream.Recv()
			if err != nil {
				return
			}
			received <- r.GetEntry().GetInteraction().GetText()
		}
	}()
	var first string
	published := 0
	for first == "" {
		if published == 1000 {
			t.Fatalf("no change received after %d interactions", published)
		}
		e.publish(t, message(v1.Channel_CHANNEL_WEB, fmt.Sprintf("new %d", published), email(a)))
		published++
		select {
		case text, ok := <-received:
			if !ok {
				t.Fatalf("watch ended before any change")
			}
			first = text
		default:
		}
	}
	var k int
	if _, err := fmt.Sscanf(first, "new %d", &k); err != nil {
		t.Fatalf("first change = %q, want a new one", first)
	}
	want, got := []string{first}, []string{first}
	for i := k + 1; i < published; i++ {
		want = append(want, fmt.Sprintf("new %d", i))
		got = append(got, <-received)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
}

// TestWatchSlowWatcher: a watcher that reads nothing while more than
// watch.Buffer changes are applied overflows its buffer (the server is
// held by gRPC flow control) and then catches up from the store: it still
// receives every change once, in order.
func TestWatchSlowWatcher(t *testing.T) {
	e := newEnv(t, false)
	svc := e.start(t)
	a := "jeanne@example.fr"
	start := applied(t, svc, a, e.publish(t, message(v1.Channel_CHANNEL_WEB, "start", email(a))))
	// A fixed window turns off window growth, so the server blocks after
	// a few of these 8 KiB changes until the watcher reads.
	conn, err := grpc.NewClient(svc.addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithInitialWindowSize(64<<10), grpc.WithInitialConnWindowSize(64<<10))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := contextv1.NewContextServiceClient(conn)
	stream, err := client.WatchContext(bounded(t), &contextv1.WatchContextRequest{Citizen: byEmail(a), ResumeToken: start})
	if err != nil {
		t.Fatalf("WatchContext: %v", err)
	}
	n := 3 * watch.Buffer
	padding := strings.Repeat("x", 8<<10)
	var want []string
	var last string
	for i := range n {
		text := fmt.Sprintf("slow %d ", i)
		last = e.publish(t, message(v1.Channel_CHANNEL_MOBILE, text+padding, email(a)))
		want = append(want, text)
	}
	applied(t, svc, a, last)
	got := receive(t, stream, n, 0)
	for i := range got {
		got[i] = strings.TrimRight(got[i], "x")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes received by the slow watcher (-want +got):\n%s", diff)
	}
}

// bounded is the context of a watch stream: a change that never comes
// ends the stream with DeadlineExceeded instead of hanging the test. It
// bounds a failure; a passing test never waits for it.
func bounded(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// applied returns token once the service has applied its write: a read
// with the token waits for it.
func applied(t *testing.T, svc *service, addr, token string) string {
	t.Helper()
	_, err := svc.client.GetContext(t.Context(), &contextv1.GetContextRequest{Citizen: byEmail(addr), ConsistencyToken: token})
	if err != nil {
		t.Fatalf("GetContext: %v", err)
	}
	return token
}

func recv(t *testing.T, stream grpc.ServerStreamingClient[contextv1.WatchContextResponse]) *contextv1.WatchContextResponse {
	t.Helper()
	r, err := stream.Recv()
	if err != nil {
		t.Fatalf("Recv: %v", err)
	}
	return r
}

// receive reads n changes, checks that their versions increase from after
// and that each resume token stands for its version, and returns the texts.
func receive(t *testing.T, stream grpc.ServerStreamingClient[contextv1.WatchContextResponse], n int, after uint64) []string {
	t.Helper()
	texts := make([]string, 0, n)
	for range n {
		r := recv(t, stream)
		if v := r.GetContextVersion(); v <= after || v != r.GetEntry().GetVersion() || r.GetResumeToken() != fmt.Sprintf("v1.%d", v) {
			t.Fatalf("change at version %d (entry %d, resume token %q) after version %d",
				v, r.GetEntry().GetVersion(), r.GetResumeToken(), after)
		}
		after = r.GetContextVersion()
		texts = append(texts, r.GetEntry().GetInteraction().GetText())
	}
	return texts
}
