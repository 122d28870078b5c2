// Package grpcserve runs a gRPC server the way every Unisson service does:
// health and reflection registered, bounded message sizes, keepalive, a
// codec that lets a response write its own wire form (WireEncoder), and a
// graceful stop with a deadline.
package grpcserve

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"
)

// MaxMessageBytes bounds every request a service accepts.
const MaxMessageBytes = 1 << 20

// streamWorkers is how many goroutines serve requests one after another,
// keeping their grown stacks: a request that finds none idle runs in a
// goroutine of its own, as without workers. A GetContext handler outgrows
// a fresh goroutine's stack: the copies were 6 % of the single binary's
// CPU at concurrency 1, and 0.2 % with workers (docs/performance.md,
// change 21).
const streamWorkers = 64

// Server is a gRPC server with its health service.
type Server struct {
	GRPC   *grpc.Server
	Health *health.Server
	// BeforeStop, when set, runs once ctx ends and before the graceful stop:
	// services end their long-lived streams there, so the stop need not
	// wait for them.
	BeforeStop func()
}

// New returns a server with health and reflection registered. Services
// register their own handlers on GRPC before Run.
func New(opts ...grpc.ServerOption) *Server {
	base := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(MaxMessageBytes),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: time.Minute, Timeout: 20 * time.Second}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
		// Both stable throughout grpc-go 1.x, though marked experimental.
		grpc.ForceServerCodecV2(newCodec()),
		grpc.NumStreamWorkers(streamWorkers),
	}
	s := &Server{GRPC: grpc.NewServer(append(base, opts...)...), Health: health.NewServer()}
	healthpb.RegisterHealthServer(s.GRPC, s.Health)
	reflection.Register(s.GRPC)
	return s
}

// Run serves on l until ctx ends, then marks the server not serving, stops
// accepting calls and waits up to ten seconds for calls in flight (streams
// are cut after that).
func (s *Server) Run(ctx context.Context, l net.Listener, log *slog.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- s.GRPC.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve grpc on %s: %w", l.Addr(), err)
	case <-ctx.Done():
	}
	s.Health.Shutdown()
	if s.BeforeStop != nil {
		s.BeforeStop()
	}
	stopped := make(chan struct{})
	go func() {
		s.GRPC.GracefulStop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		log.Warn("grpc graceful stop timed out; closing remaining streams")
		s.GRPC.Stop()
	}
	return nil
}
