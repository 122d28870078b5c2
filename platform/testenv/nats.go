// Package testenv starts the real servers Unisson's tests talk to: an
// embedded nats-server with JetStream on a random port and a redis-server
// process on a random port. When NATS_URL or REDIS_URL is set, tests use
// those servers instead, isolated by a unique stream, subject prefix or key
// prefix per test.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"unisson.dev/platform/eventlog"
	"unisson.dev/platform/natsembed"
)

// NATS is a NATS server for one test and a stream configuration of its own.
type NATS struct {
	// URL is the client URL; subprocesses connect to it.
	URL string
	// Stream is a stream configuration no other test uses.
	Stream eventlog.StreamConfig
	// Embedded is the server when the test started one, nil with NATS_URL.
	Embedded *natsembed.Server
}

// StartNATS returns a NATS server for t: NATS_URL when set, otherwise an
// embedded server on a random port with its store in t.TempDir().
func StartNATS(t testing.TB) *NATS {
	t.Helper()
	n := &NATS{Stream: eventlog.DefaultStreamConfig()}
	if url := os.Getenv("NATS_URL"); url != "" {
		n.URL = url
		id := strings.ToUpper(RandomID())
		n.Stream.Name = "TEST_" + id
		n.Stream.SubjectPrefix = "test." + strings.ToLower(id)
		t.Cleanup(func() { deleteStream(t, url, n.Stream.Name) })
		return n
	}
	srv, err := natsembed.Start(natsembed.Config{StoreDir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("start embedded nats: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	n.URL, n.Embedded = srv.ClientURL(), srv
	return n
}

// Connect opens a connection closed at the end of the test.
func (n *NATS) Connect(t testing.TB) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(n.URL, nats.Name(t.Name()))
	if err != nil {
		t.Fatalf("connect to nats: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream: %v", err)
	}
	return nc, js
}

// StreamMessages returns how many messages the test's stream holds.
func (n *NATS) StreamMessages(t testing.TB, js jetstream.JetStream) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, n.Stream.Name)
	if err != nil {
		t.Fatalf("stream %s: %v", n.Stream.Name, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatalf("stream info: %v", err)
	}
	return info.State.Msgs
}

func deleteStream(t testing.TB, url, name string) {
	nc, err := nats.Connect(url)
	if err != nil {
		return
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = js.DeleteStream(ctx, name)
}

// RandomID returns 12 random hex characters, for names no other test uses.
func RandomID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
