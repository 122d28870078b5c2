package contextgrpc

import (
	"context"

	"google.golang.org/grpc"

	contextv1 "unisson.dev/proto/unisson/context/v1"
)

// Register adds ContextService to r. GetContext and ListTimeline answer
// framed responses, which only a server with grpcserve's codec encodes
// (grpcserve.New makes every Unisson server so); the other methods are the
// generated ones.
func (s *Server) Register(r grpc.ServiceRegistrar) {
	desc := contextv1.ContextService_ServiceDesc
	desc.Methods = append([]grpc.MethodDesc(nil), desc.Methods...)
	for i, m := range desc.Methods {
		switch m.MethodName {
		case "GetContext":
			desc.Methods[i].Handler = unary(contextv1.ContextService_GetContext_FullMethodName, s.getContext)
		case "ListTimeline":
			desc.Methods[i].Handler = unary(contextv1.ContextService_ListTimeline_FullMethodName, s.listTimeline)
		}
	}
	r.RegisterService(&desc, s)
}

// unary is a method handler as protoc-gen-go-grpc writes them, for a
// method answering a framed response.
func unary[Req any](method string, call func(context.Context, *Req) (*framed, error)) grpc.MethodHandler {
	return func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
		req := new(Req)
		if err := dec(req); err != nil {
			return nil, err
		}
		if interceptor == nil {
			return call(ctx, req)
		}
		info := &grpc.UnaryServerInfo{Server: srv, FullMethod: method}
		return interceptor(ctx, req, info, func(ctx context.Context, req any) (any, error) {
			return call(ctx, req.(*Req))
		})
	}
}
