package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"unisson.dev/platform/grpcserve"
)

// bareGRPC is a gRPC server with nothing but the health service, served
// the way every Unisson service serves gRPC, and a method that answers a
// bytes field of a given size, to tell the cost of GetContext's payload
// from the cost of its work.
type bareGRPC struct {
	conn   *grpc.ClientConn
	client healthpb.HealthClient
	stop   func()
}

// sizedService answers every call with resp.
type sizedService struct{ resp *wrapperspb.BytesValue }

const sizedMethod = "/unisson.bench.Sized/Get"

var sizedDesc = grpc.ServiceDesc{
	ServiceName: "unisson.bench.Sized",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{MethodName: "Get", Handler: func(srv any, _ context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
		if err := dec(&wrapperspb.BytesValue{}); err != nil {
			return nil, err
		}
		return srv.(*sizedService).resp, nil
	}}},
}

func startBareGRPC(ctx context.Context, responseBytes int) (*bareGRPC, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	gs := grpcserve.New()
	gs.GRPC.RegisterService(&sizedDesc, &sizedService{resp: &wrapperspb.BytesValue{Value: make([]byte, responseBytes)}})
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = gs.Run(sctx, l, discardLog()); close(done) }()
	conn, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		cancel()
		<-done
		return nil, fmt.Errorf("dial: %w", err)
	}
	return &bareGRPC{conn: conn, client: healthpb.NewHealthClient(conn), stop: func() {
		_ = conn.Close()
		cancel()
		<-done
	}}, nil
}

func (b *bareGRPC) check(ctx context.Context, _ int, _ *rand.Rand) error {
	_, err := b.client.Check(ctx, &healthpb.HealthCheckRequest{})
	return err
}

func (b *bareGRPC) sized(ctx context.Context, _ int, _ *rand.Rand) error {
	return b.conn.Invoke(ctx, sizedMethod, &wrapperspb.BytesValue{}, &wrapperspb.BytesValue{})
}
