package contextsvc_test

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/proto"

	"unisson.dev/platform/eventlog"
	"unisson.dev/platform/testenv"
	contextv1 "unisson.dev/proto/unisson/context/v1"
	v1 "unisson.dev/proto/unisson/interaction/v1"

	"unisson.dev/services/context/internal/contextstore/redisstore"
)

// TestKillWhilePublishing SIGKILLs the context binary while interactions
// pour into the log, starts it again, and checks that the Redis
// projections hold every acknowledged interaction exactly once: what the
// killed process half-applied is applied again without duplicates, and
// nothing is skipped.
func TestKillWhilePublishing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	const total, workers, citizens, killAfter = 10_000, 16, 1_000, 3_000
	bin := buildBinary(t)
	e := newEnv(t, true)
	first := startProcess(t, bin, e)

	var acked atomic.Int64
	killNow := make(chan struct{})
	var killOnce sync.Once
	acks := make([]map[string]uint64, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		acks[w] = make(map[string]uint64, total/workers+1)
		wg.Go(func() {
			for i := w; i < total; i += workers {
				ix := message(v1.Channel(1+i%5), "kill "+strconv.Itoa(i), email(citizenEmail(i%citizens)))
				seq, err := e.publishSeq(ix)
				if err != nil {
					errs[w] = fmt.Errorf("publish %d: %w", i, err)
					return
				}
				acks[w][ix.GetId()] = seq
				if acked.Add(1) == killAfter {
					killOnce.Do(func() { close(killNow) })
				}
			}
		})
	}
	select {
	case <-killNow:
	case <-first.exited:
		t.Fatalf("context process exited before the kill:\n%s", first.stderr.String())
	}
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill: %v", err)
	}
	<-first.exited
	applied, err := redisstore.New(e.redis.Client(t), e.redis.Prefix, 5*time.Second).AppliedSeq(t.Context())
	if err != nil {
		t.Fatalf("applied seq: %v", err)
	}
	t.Logf("killed the context process after %d acknowledgements, at applied position %d", acked.Load(), applied)
	second := startProcess(t, bin, e)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	want := make(map[string]uint64, total)
	var last uint64
	for _, m := range acks {
		for id, seq := range m {
			want[id] = seq
			last = max(last, seq)
		}
	}
	if len(want) != total {
		t.Fatalf("%d distinct acknowledged interactions, want %d", len(want), total)
	}
	// The read waits until the restarted process has applied the last
	// write; any citizen's read waits alike.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err = second.client.GetContext(ctx, &contextv1.GetContextRequest{
		Citizen: byEmail(citizenEmail(0)), ConsistencyToken: eventlog.Token(last).String(),
	})
	if err != nil {
		t.Fatalf("GetContext with the last token: %v", err)
	}

	got, dups, ids := walkTimelines(t, e)
	if len(dups) > 0 {
		t.Errorf("%d interactions appear more than once, e.g. %v", len(dups), dups[:min(5, len(dups))])
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("projected (id → seq) differ from acknowledged (-want +got):\n%s", diff)
	}
	if ids != citizens {
		t.Errorf("%d citizens projected, want %d", ids, citizens)
	}
}

// walkTimelines reads every citizen's whole timeline from Redis. It
// returns interaction id → seq, the ids seen more than once and how many
// citizens there are.
func walkTimelines(t *testing.T, e *env) (map[string]uint64, []string, int) {
	t.Helper()
	store := redisstore.New(e.redis.Client(t), e.redis.Prefix, 5*time.Second)
	ctx := t.Context()
	got := make(map[string]uint64)
	var dups []string
	citizens := 0
	err := store.CitizenIDs(ctx, func(id string) error {
		citizens++
		var after uint64
		for {
			entries, err := store.After(ctx, id, after, 500)
			if err != nil {
				return err
			}
			for _, en := range entries {
				ixID := en.Interaction.GetId()
				if _, ok := got[ixID]; ok {
					dups = append(dups, ixID)
				}
				got[ixID] = en.Seq
				after = en.Seq
			}
			if len(entries) < 500 {
				return nil
			}
		}
	})
	if err != nil {
		t.Fatalf("walk timelines: %v", err)
	}
	return got, dups, citizens
}

// publishSeq publishes ix through the env's publisher from any goroutine.
func (e *env) publishSeq(ix *v1.Interaction) (uint64, error) {
	data, err := proto.Marshal(ix)
	if err != nil {
		return 0, err
	}
	m := nats.NewMsg(e.nats.Stream.Subject(ix.GetChannel()))
	m.Header.Set(jetstream.MsgIDHeader, ix.GetId())
	m.Data = data
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ack, err := e.pub.Publish(ctx, m)
	if err != nil {
		return 0, err
	}
	if ack.Duplicate {
		return 0, fmt.Errorf("interaction %s acknowledged as a duplicate", ix.GetId())
	}
	return ack.Seq, nil
}

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
