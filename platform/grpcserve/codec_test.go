package grpcserve_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"unisson.dev/platform/grpcserve"
)

// splitString encodes a StringValue whose value is its parts joined, each
// part a buffer of its own.
type splitString []string

func (s splitString) EncodeWire() (mem.BufferSlice, error) {
	n := 0
	for _, p := range s {
		n += len(p)
	}
	head := protowire.AppendTag(nil, 1, protowire.BytesType)
	head = protowire.AppendVarint(head, uint64(n))
	out := mem.BufferSlice{mem.SliceBuffer(head)}
	for _, p := range s {
		out = append(out, mem.SliceBuffer(p))
	}
	return out, nil
}

var wireDesc = grpc.ServiceDesc{
	ServiceName: "unisson.test.Wire",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{MethodName: "Get", Handler: func(_ any, _ context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
		if err := dec(&emptypb.Empty{}); err != nil {
			return nil, err
		}
		return splitString{"Bonjour, ", strings.Repeat("où en est ma demande ? ", 2000), "Merci."}, nil
	}}},
}

// TestWireEncoderOverTheWire: a handler's WireEncoder reaches the client
// as the message it encodes, over a real connection, large enough to span
// several HTTP/2 frames; other messages (the health check) are protobuf
// as usual.
func TestWireEncoderOverTheWire(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpcserve.New()
	s.GRPC.RegisterService(&wireDesc, struct{}{})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { _ = s.Run(ctx, l, slog.New(slog.NewTextHandler(io.Discard, nil))); close(done) }()
	defer func() { cancel(); <-done }()
	conn, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	got := &wrapperspb.StringValue{}
	if err := conn.Invoke(t.Context(), "/unisson.test.Wire/Get", &emptypb.Empty{}, got); err != nil {
		t.Fatalf("Get: %v", err)
	}
	if want := "Bonjour, " + strings.Repeat("où en est ma demande ? ", 2000) + "Merci."; got.GetValue() != want {
		t.Errorf("Get = %d bytes, want the %d joined", len(got.GetValue()), len(want))
	}
	resp, err := healthpb.NewHealthClient(conn).Check(t.Context(), &healthpb.HealthCheckRequest{})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("Check = %v, %v", resp, err)
	}
}
