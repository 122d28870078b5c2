package contextsvc_test

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"unisson.dev/platform/testenv"
	contextv1 "unisson.dev/proto/unisson/context/v1"
)

// buildBinary builds the context command once per test.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "context")
	out, err := exec.Command("go", "build", "-o", bin, "unisson.dev/services/context").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is the context binary running as a subprocess.
type process struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	exited chan struct{}
	client contextv1.ContextServiceClient
}

// startProcess runs the binary against e's NATS and Redis and returns once
// its gRPC server answers health checks.
func startProcess(t *testing.T, bin string, e *env) *process {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	p := &process{stderr: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(bin,
		"--nats-url", e.nats.URL, "--redis-url", e.redis.URL, "--redis-prefix", e.redis.Prefix,
		"--grpc-addr", addr, "--admin-addr", fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t)),
		"--stream-name", e.nats.Stream.Name, "--stream-subject-prefix", e.nats.Stream.SubjectPrefix,
		"--token-wait", "60s", "--log-format", "json")
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start context process: %v", err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("context process %d stderr:\n%s", p.cmd.Process.Pid, p.stderr.String())
		}
	})
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 20 * time.Millisecond, Multiplier: 1.5, MaxDelay: 200 * time.Millisecond},
			MinConnectTimeout: time.Second,
		}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	p.client = contextv1.NewContextServiceClient(conn)
	waitServing(t, p, conn)
	return p
}

// waitServing blocks until the process's gRPC server accepts calls: setup,
// bounded by a deadline, cut short if the process dies.
func waitServing(t *testing.T, p *process, conn *grpc.ClientConn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go func() {
		select {
		case <-p.exited:
			cancel()
		case <-ctx.Done():
		}
	}()
	_, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}, grpc.WaitForReady(true))
	if err != nil {
		t.Fatalf("context process not serving: %v\n%s", err, p.stderr.String())
	}
}

// syncBuffer collects a subprocess's output while the test may read it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
