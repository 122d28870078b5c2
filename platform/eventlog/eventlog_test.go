package eventlog_test

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"unisson.dev/platform/eventlog"
	"unisson.dev/platform/testenv"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
)

func setup(t *testing.T) (*testenv.NATS, *nats.Conn, jetstream.JetStream) {
	t.Helper()
	n := testenv.StartNATS(t)
	nc, js := n.Connect(t)
	if _, err := eventlog.EnsureStream(context.Background(), nc, js, n.Stream); err != nil {
		t.Fatalf("ensure stream: %v", err)
	}
	return n, nc, js
}

func startPublisher(t *testing.T, js jetstream.JetStream, cfg eventlog.PublisherConfig) *eventlog.Publisher {
	t.Helper()
	p := eventlog.NewPublisher(js, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = p.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return p
}

func msg(subject, id, body string) *nats.Msg {
	m := nats.NewMsg(subject)
	m.Header.Set(jetstream.MsgIDHeader, id)
	m.Data = []byte(body)
	return m
}

// Concurrent publishers each get the sequence under which their own message
// is stored, whatever batch it travelled in.
func TestPublisherGroupCommitReturnsEachCallersSequence(t *testing.T) {
	n, _, js := setup(t)
	p := startPublisher(t, js, eventlog.DefaultPublisherConfig())
	subject := n.Stream.Subject(interactionv1.Channel_CHANNEL_WEB)
	const callers, each = 32, 40
	type result struct {
		body string
		ack  eventlog.Ack
	}
	results := make(chan result, callers*each)
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			for i := range each {
				body := fmt.Sprintf("caller-%d-msg-%d", c, i)
				ack, err := p.Publish(context.Background(), msg(subject, body, body))
				if err != nil {
					t.Errorf("publish %s: %v", body, err)
					return
				}
				results <- result{body, ack}
			}
		})
	}
	wg.Wait()
	close(results)
	stream, err := js.Stream(context.Background(), n.Stream.Name)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[uint64]bool{}
	for r := range results {
		if seen[r.ack.Seq] {
			t.Fatalf("sequence %d returned twice", r.ack.Seq)
		}
		seen[r.ack.Seq] = true
		got, err := stream.GetMsg(context.Background(), r.ack.Seq)
		if err != nil {
			t.Fatalf("get %d: %v", r.ack.Seq, err)
		}
		if string(got.Data) != r.body {
			t.Fatalf("sequence %d holds %q, want %q", r.ack.Seq, got.Data, r.body)
		}
	}
	if len(seen) != callers*each {
		t.Fatalf("got %d acks, want %d", len(seen), callers*each)
	}
	if got := n.StreamMessages(t, js); got != callers*each {
		t.Fatalf("stream holds %d messages, want %d", got, callers*each)
	}
}

// A message id published again, alone or inside a batch with new messages,
// is stored once and answered with the original sequence.
func TestPublisherDeduplicatesByMessageID(t *testing.T) {
	n, _, js := setup(t)
	p := startPublisher(t, js, eventlog.PublisherConfig{MaxBatch: 500, Committers: 1, Linger: 20 * time.Millisecond})
	subject := n.Stream.Subject(interactionv1.Channel_CHANNEL_WEB)
	first, err := p.Publish(context.Background(), msg(subject, "same", "one"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	acks := make([]eventlog.Ack, 10)
	for i := range acks {
		id := "same"
		if i%2 == 1 {
			id = "new-" + strconv.Itoa(i)
		}
		wg.Go(func() {
			a, err := p.Publish(context.Background(), msg(subject, id, "again"))
			if err != nil {
				t.Errorf("publish %s: %v", id, err)
			}
			acks[i] = a
		})
	}
	wg.Wait()
	for i, a := range acks {
		if i%2 == 0 && (a.Seq != first.Seq || !a.Duplicate) {
			t.Errorf("republish %d: got %+v, want duplicate of seq %d", i, a, first.Seq)
		}
	}
	if got := n.StreamMessages(t, js); got != 6 {
		t.Fatalf("stream holds %d messages, want 6 (1 original + 5 new)", got)
	}
}

func TestPublisherRefusesMessagesWithoutID(t *testing.T) {
	n, _, js := setup(t)
	p := startPublisher(t, js, eventlog.DefaultPublisherConfig())
	m := nats.NewMsg(n.Stream.Subject(interactionv1.Channel_CHANNEL_WEB))
	if _, err := p.Publish(context.Background(), m); err == nil {
		t.Fatal("publish without Nats-Msg-Id succeeded")
	}
	if got := n.StreamMessages(t, js); got != 0 {
		t.Fatalf("stream holds %d messages, want 0", got)
	}
}

func TestPublisherAfterStopFails(t *testing.T) {
	n, _, js := setup(t)
	p := eventlog.NewPublisher(js, eventlog.DefaultPublisherConfig())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	subject := n.Stream.Subject(interactionv1.Channel_CHANNEL_WEB)
	if _, err := p.Publish(context.Background(), msg(subject, "a", "a")); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-done
	if _, err := p.Publish(context.Background(), msg(subject, "b", "b")); err != eventlog.ErrPublisherClosed {
		t.Fatalf("publish after stop: got %v, want ErrPublisherClosed", err)
	}
}

func TestEnsureStreamIsIdempotent(t *testing.T) {
	n, nc, js := setup(t)
	s, err := eventlog.EnsureStream(context.Background(), nc, js, n.Stream)
	if err != nil {
		t.Fatalf("second ensure: %v", err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !info.Config.AllowAtomicPublish || info.Config.Storage != jetstream.FileStorage || info.Config.Duplicates != n.Stream.DuplicateWindow {
		t.Fatalf("stream config not applied: %+v", info.Config)
	}
}

// The embedded server flushes to disk before acknowledging.
func TestEmbeddedServerSyncsAlways(t *testing.T) {
	n := testenv.StartNATS(t)
	if n.Embedded == nil {
		t.Skip("NATS_URL is set: the external server's sync setting is the operator's (see docs/operations.md)")
	}
	if !n.Embedded.SyncAlways() {
		t.Fatal("embedded JetStream does not sync before acknowledging")
	}
}

// An older server is refused with a message naming the minimum version.
func TestCheckServerRefusesOldServer(t *testing.T) {
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		t.Skip("no nats-server binary on PATH to try an old version with")
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatalf("nats-server --version: %v", err)
	}
	version := strings.TrimPrefix(strings.TrimSpace(string(out)), "nats-server: v")
	var major, minor int
	if _, err := fmt.Sscanf(version, "%d.%d", &major, &minor); err != nil || major > 2 || minor >= 12 {
		t.Skipf("installed nats-server %s is not older than the minimum", version)
	}
	port := strconv.Itoa(testenv.FreePort(t))
	cmd := exec.Command(bin, "-a", "127.0.0.1", "-p", port, "-js", "-sd", t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	var nc *nats.Conn
	for range 100 {
		if nc, err = nats.Connect("nats://127.0.0.1:" + port); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("connect to old server: %v", err)
	}
	defer nc.Close()
	err = eventlog.CheckServer(nc)
	if err == nil || !strings.Contains(err.Error(), eventlog.MinServerVersion) {
		t.Fatalf("CheckServer on %s: got %v, want an error naming %s", version, err, eventlog.MinServerVersion)
	}
}
