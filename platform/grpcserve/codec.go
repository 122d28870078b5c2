package grpcserve

import (
	"google.golang.org/grpc/encoding"
	protocodec "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
)

// WireEncoder is a response that writes its own protobuf wire form, as a
// list of buffers that may refer to bytes it already holds. A handler
// returns one where building the message would copy a large payload that
// is already encoded: the context service's timeline entries, stored in
// wire form, go to the transport without a copy of their own.
type WireEncoder interface {
	EncodeWire() (mem.BufferSlice, error)
}

// codec is gRPC's protobuf codec, to which it hands every message but a
// WireEncoder. Every server New returns uses it.
type codec struct{ proto encoding.CodecV2 }

func newCodec() codec { return codec{proto: encoding.GetCodecV2(protocodec.Name)} }

func (c codec) Marshal(v any) (mem.BufferSlice, error) {
	if e, ok := v.(WireEncoder); ok {
		return e.EncodeWire()
	}
	return c.proto.Marshal(v)
}

func (c codec) Unmarshal(data mem.BufferSlice, v any) error { return c.proto.Unmarshal(data, v) }

func (c codec) Name() string { return c.proto.Name() }
