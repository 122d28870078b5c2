package hub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"unisson.dev/platform/eventlog"
	"unisson.dev/platform/interaction"
	contextv1 "unisson.dev/proto/unisson/context/v1"
	v1 "unisson.dev/proto/unisson/interaction/v1"

	"unisson.dev/services/hub/internal/hub"
)

// copyKnowledge copies the example knowledge base into a directory the
// test may edit.
func copyKnowledge(t *testing.T) string {
	t.Helper()
	src := filepath.Join("..", "..", "..", "..", hub.DefaultKnowledgeDir)
	files, err := filepath.Glob(filepath.Join(src, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("example knowledge base not found in %s: %v", src, err)
	}
	dir := t.TempDir()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// editKnowledge rewrites one file of dir with a replacement that must apply.
func editKnowledge(t *testing.T, dir, file, old, new string) {
	t.Helper()
	p := filepath.Join(dir, file)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s has no %q", file, old)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func grpcClient(t *testing.T, h *hub.Hub) contextv1.ContextServiceClient {
	t.Helper()
	conn, err := grpc.NewClient(h.Addrs().GRPC, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return contextv1.NewContextServiceClient(conn)
}

// do sends a JSON request and decodes the JSON answer, checking its status.
func do(t *testing.T, method, url, body string, want int, into any) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d %s, want %d", method, url, resp.StatusCode, b, want)
	}
	if into != nil {
		if err := json.Unmarshal(b, into); err != nil {
			t.Fatalf("decode %s: %v", b, err)
		}
	}
}

type webAnswer struct {
	Answered         bool   `json:"answered"`
	Reason           string `json:"reason"`
	Topic            string `json:"topic"`
	AnswerID         string `json:"answer_id"`
	AnswerVersion    uint32 `json:"answer_version"`
	KnowledgeVersion string `json:"knowledge_version"`
	ContextVersion   uint64 `json:"context_version"`
	Format           string `json:"format"`
	Body             string `json:"body"`
	ContentHash      string `json:"content_hash"`
	ConsistencyToken string `json:"consistency_token"`
}

func emailRef(addr string) *contextv1.CitizenRef {
	return &contextv1.CitizenRef{Ref: &contextv1.CitizenRef_Identifier{Identifier: &v1.Identifier{
		Type: v1.IdentifierType_IDENTIFIER_TYPE_EMAIL, Value: addr}}}
}

// logWriter publishes interactions straight to the hub's log, standing in
// for a channel that verifies identities (sign-in, a counter agent).
type logWriter struct {
	pub    *eventlog.Publisher
	stream eventlog.StreamConfig
}

func newLogWriter(t *testing.T, h *hub.Hub) *logWriter {
	t.Helper()
	nc, err := nats.Connect(h.Addrs().NATS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	pub := eventlog.NewPublisher(js, eventlog.DefaultPublisherConfig())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = pub.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return &logWriter{pub: pub, stream: eventlog.DefaultStreamConfig()}
}

// form publishes a verified form submission that sets a case's status and
// returns its consistency token.
func (w *logWriter) form(t *testing.T, idpSubject, ref string, status v1.CaseStatus) string {
	t.Helper()
	ix := &v1.Interaction{
		Id: interaction.NewID(timestamppb.Now().AsTime()), OccurredAt: timestamppb.Now(),
		Channel: v1.Channel_CHANNEL_WEB, Kind: v1.Kind_KIND_FORM_SUBMISSION, Direction: v1.Direction_DIRECTION_INBOUND,
		Actor: &v1.Actor{Role: v1.ActorRole_ACTOR_ROLE_CITIZEN},
		Subject: &v1.Subject{Identifiers: []*v1.Identifier{{Type: v1.IdentifierType_IDENTIFIER_TYPE_IDP_SUBJECT,
			Value: idpSubject, Assurance: v1.Assurance_ASSURANCE_VERIFIED}}},
		Topic: "housing.benefit", CaseReference: ref, CaseStatus: status,
		Details: &v1.Interaction_Web{Web: &v1.WebDetails{FormId: "aide-logement"}},
	}
	data, err := proto.Marshal(ix)
	if err != nil {
		t.Fatal(err)
	}
	m := nats.NewMsg(w.stream.Subject(ix.Channel))
	m.Header.Set(jetstream.MsgIDHeader, ix.Id)
	m.Data = data
	ack, err := w.pub.Publish(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	return ack.Token().String()
}

// idpRef names a citizen by an identity-provider subject the channel has
// verified (the citizen signed in).
func idpRef(subject string) *contextv1.CitizenRef {
	return &contextv1.CitizenRef{Ref: &contextv1.CitizenRef_Identifier{Identifier: &v1.Identifier{
		Type: v1.IdentifierType_IDENTIFIER_TYPE_IDP_SUBJECT, Value: subject, Assurance: v1.Assurance_ASSURANCE_VERIFIED}}}
}
