package websvc_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	contextv1 "unisson.dev/proto/unisson/context/v1"
	"unisson.dev/services/web/websvc"
)

// fakeContext is a context service with canned answers that records what
// it was asked.
type fakeContext struct {
	contextv1.UnimplementedContextServiceServer
	get  *contextv1.GetContextResponse
	list *contextv1.ListTimelineResponse
	err  error
	slow bool // block until the caller's deadline

	mu    sync.Mutex
	calls []any
	md    metadata.MD
}

func (f *fakeContext) record(ctx context.Context, req any) error {
	f.mu.Lock()
	f.calls = append(f.calls, req)
	f.md, _ = metadata.FromIncomingContext(ctx)
	f.mu.Unlock()
	if f.slow {
		<-ctx.Done()
		return ctx.Err()
	}
	return f.err
}

func (f *fakeContext) GetContext(ctx context.Context, req *contextv1.GetContextRequest) (*contextv1.GetContextResponse, error) {
	if err := f.record(ctx, req); err != nil {
		return nil, err
	}
	return f.get, nil
}

func (f *fakeContext) ListTimeline(ctx context.Context, req *contextv1.ListTimelineRequest) (*contextv1.ListTimelineResponse, error) {
	if err := f.record(ctx, req); err != nil {
		return nil, err
	}
	return f.list, nil
}

func (f *fakeContext) lastCall(t *testing.T) (any, metadata.MD) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) == 0 {
		t.Fatal("the context service was not called")
	}
	return f.calls[len(f.calls)-1], f.md
}

func (f *fakeContext) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// startReads serves the web API for reads only, against fake over a real
// gRPC connection; it needs no NATS.
func startReads(t *testing.T, fake *fakeContext, readTimeout time.Duration) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	gs := grpc.NewServer()
	contextv1.RegisterContextServiceServer(gs, fake)
	go func() { _ = gs.Serve(l) }()
	t.Cleanup(gs.Stop)
	conn, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("grpc client: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	cfg := websvc.DefaultConfig()
	cfg.ReadTimeout = readTimeout
	srv := httptest.NewServer(websvc.NewHandler(cfg, websvc.Deps{Log: testLog(t), Context: contextv1.NewContextServiceClient(conn)}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func get(t *testing.T, url string, header map[string]string) response {
	t.Helper()
	return do(t, http.MethodGet, url, "", "", header)
}
