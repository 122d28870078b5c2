package contextgrpc

import (
	"fmt"

	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"unisson.dev/services/context/internal/contextstore"
)

// framed is a response whose timeline entries gRPC writes from the
// store's bytes. setEntries copies them into one buffer per response,
// which the protobuf codec then copies again into gRPC's: at GetContext's
// 8.7 KB a page, that buffer was a quarter of all the bytes the service
// allocated while serving reads. A framed response is a
// grpcserve.WireEncoder instead: a list of buffers, the encoded fields,
// then for each entry its framing followed by its stored bytes as they
// are, which the transport copies once, into its frames.
//
// The entries belong to head itself (nest == 0) or to its message field
// nest, whose other fields are inner. Neither head nor inner holds
// entries of its own. The stored bytes must not change once read, as a
// store's entries do not.
type framed struct {
	head    proto.Message
	nest    protowire.Number
	inner   proto.Message
	field   protowire.Number
	entries []contextstore.Entry
}

// EncodeWire returns f in its wire form: the same message as f.message
// encoded, with the entries' field after the others.
func (f *framed) EncodeWire() (mem.BufferSlice, error) {
	opts := proto.MarshalOptions{UseCachedSize: true}
	headSize := opts.Size(f.head)
	entriesSize, framing := 0, 0
	for _, e := range f.entries {
		n := framedSize(f.field, e)
		entriesSize += n
		framing += n - len(e.Data)
	}
	innerSize := 0
	if f.nest != 0 {
		innerSize = opts.Size(f.inner)
		framing += protowire.SizeTag(f.nest) + protowire.SizeVarint(uint64(innerSize+entriesSize)) + innerSize
	}
	// Every byte but the entries' own goes into buf, which never grows:
	// the buffers below are slices of it.
	buf := make([]byte, 0, headSize+framing)
	buf, err := opts.MarshalAppend(buf, f.head)
	if err != nil {
		return nil, fmt.Errorf("encode response: %w", err)
	}
	if f.nest != 0 {
		buf = protowire.AppendTag(buf, f.nest, protowire.BytesType)
		buf = protowire.AppendVarint(buf, uint64(innerSize+entriesSize))
		if buf, err = opts.MarshalAppend(buf, f.inner); err != nil {
			return nil, fmt.Errorf("encode response: %w", err)
		}
	}
	out := make(mem.BufferSlice, 0, 2*len(f.entries)+1)
	from := 0
	for _, e := range f.entries {
		buf = appendEntryHead(buf, f.field, e)
		out = append(out, mem.SliceBuffer(buf[from:len(buf):len(buf)]), mem.SliceBuffer(e.Data))
		from = len(buf)
		buf = appendEntryTail(buf, e)
	}
	if from < len(buf) {
		out = append(out, mem.SliceBuffer(buf[from:]))
	}
	return out, nil
}

// message returns f as one protobuf message, its entries copied in: what
// a caller outside gRPC gets.
func (f *framed) message() proto.Message {
	if f.nest == 0 {
		setEntries(f.head, f.field, f.entries)
		return f.head
	}
	setEntries(f.inner, f.field, f.entries)
	h := f.head.ProtoReflect()
	h.Set(h.Descriptor().Fields().ByNumber(f.nest), protoreflect.ValueOfMessage(f.inner.ProtoReflect()))
	return f.head
}
