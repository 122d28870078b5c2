package contextsvc_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"unisson.dev/platform/eventlog"
	"unisson.dev/platform/grpcserve"
	"unisson.dev/platform/interaction"
	"unisson.dev/platform/testenv"
	contextv1 "unisson.dev/proto/unisson/context/v1"
	v1 "unisson.dev/proto/unisson/interaction/v1"

	"unisson.dev/services/context/contextsvc"
)

// env is a NATS server, an optional Redis and a publisher, shared by the
// context services a test starts and stops.
type env struct {
	tokenWait time.Duration
	nats      *testenv.NATS
	redis     *testenv.Redis
	nc        *nats.Conn
	js        jetstream.JetStream
	pub       *eventlog.Publisher
}

func newEnv(t *testing.T, withRedis bool) *env {
	t.Helper()
	e := &env{nats: testenv.StartNATS(t), tokenWait: 30 * time.Second}
	if withRedis {
		e.redis = testenv.StartRedis(t)
	}
	e.nc, e.js = e.nats.Connect(t)
	if _, err := eventlog.EnsureStream(context.Background(), e.nc, e.js, e.nats.Stream); err != nil {
		t.Fatal(err)
	}
	e.pub = eventlog.NewPublisher(e.js, eventlog.DefaultPublisherConfig())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = e.pub.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return e
}

func (e *env) config() contextsvc.Config {
	cfg := contextsvc.Config{
		GRPCAddr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0", NATSURL: e.nats.URL,
		Stream: e.nats.Stream, Durable: "context-projector",
		TokenWait: e.tokenWait, StoreTimeout: 5 * time.Second, SnapshotCacheMB: contextsvc.DefaultSnapshotCacheMB,
	}
	if e.redis != nil {
		cfg.RedisURL, cfg.RedisPrefix = e.redis.URL, e.redis.Prefix
	}
	return cfg
}

// service is a context service running in the test process.
type service struct {
	client contextv1.ContextServiceClient
	// addr is the gRPC address, for tests that need a client of their own.
	addr string
	svc  *contextsvc.Service
	stop func()
}

func (e *env) start(t *testing.T) *service {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	svc, err := contextsvc.New(ctx, e.config(), e.nc, prometheus.NewRegistry(), quietLog())
	if err != nil {
		t.Fatalf("new context service: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpcserve.New()
	svc.Register(gs.GRPC)
	var wg sync.WaitGroup
	wg.Go(func() { _ = gs.Run(ctx, l, quietLog()); svc.StopWatches() })
	wg.Go(func() {
		if err := svc.Run(ctx); err != nil {
			t.Errorf("context service: %v", err)
		}
	})
	conn, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	s := &service{client: contextv1.NewContextServiceClient(conn), addr: l.Addr().String(), svc: svc, stop: func() {
		once.Do(func() { cancel(); wg.Wait(); _ = conn.Close() })
	}}
	t.Cleanup(s.stop)
	return s
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func email(addr string) *v1.Identifier {
	return &v1.Identifier{Type: v1.IdentifierType_IDENTIFIER_TYPE_EMAIL, Value: addr, Assurance: v1.Assurance_ASSURANCE_CLAIMED}
}

func message(ch v1.Channel, text string, ids ...*v1.Identifier) *v1.Interaction {
	return &v1.Interaction{
		Id: interaction.NewID(time.Now()), OccurredAt: timestamppb.Now(),
		Channel: ch, Kind: v1.Kind_KIND_MESSAGE, Direction: v1.Direction_DIRECTION_INBOUND,
		Actor:   &v1.Actor{Role: v1.ActorRole_ACTOR_ROLE_CITIZEN},
		Subject: &v1.Subject{Identifiers: ids}, Topic: "housing.benefit", Text: text,
	}
}

// publish stores ix in the log the way a channel adapter does and returns
// its consistency token.
func (e *env) publish(t testing.TB, ix *v1.Interaction) string {
	t.Helper()
	data, err := proto.Marshal(ix)
	if err != nil {
		t.Fatal(err)
	}
	m := nats.NewMsg(e.nats.Stream.Subject(ix.GetChannel()))
	m.Header.Set(jetstream.MsgIDHeader, ix.GetId())
	m.Data = data
	ack, err := e.pub.Publish(context.Background(), m)
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	return ack.Token().String()
}

func byEmail(addr string) *contextv1.CitizenRef {
	return &contextv1.CitizenRef{Ref: &contextv1.CitizenRef_Identifier{Identifier: email(addr)}}
}

func texts(entries []*contextv1.TimelineEntry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.GetInteraction().GetText()
	}
	return out
}

func citizenEmail(i int) string { return fmt.Sprintf("citoyen%d@example.fr", i) }
