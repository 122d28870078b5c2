package bench

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	contextv1 "unisson.dev/proto/unisson/context/v1"
)

// The load generator of the GetContext phases checks each response's
// structure without decoding every interaction in it. Its clients share
// the machine's two cores with the server they measure; decoding twenty
// interactions per response took a quarter of the CPU of a GetContext
// phase, a cost of the client, which in a deployment runs elsewhere, and
// one the bare gRPC call it is compared with does not pay. The check is
// still strict enough to fail on a wrong answer: the response must hold a
// context with a citizen id and at least one timeline entry, each entry an
// interaction and a version, every field well formed.

// Field numbers of GetContextResponse, CitizenContext and TimelineEntry,
// from their descriptors.
var (
	responseContextField = fieldNumber(&contextv1.GetContextResponse{}, "context")
	contextCitizenField  = fieldNumber(&contextv1.CitizenContext{}, "citizen_id")
	contextRecentField   = fieldNumber(&contextv1.CitizenContext{}, "recent")
	entryInteraction     = fieldNumber(&contextv1.TimelineEntry{}, "interaction")
	entryVersion         = fieldNumber(&contextv1.TimelineEntry{}, "version")
)

func fieldNumber(m proto.Message, name protoreflect.Name) protowire.Number {
	fd := m.ProtoReflect().Descriptor().Fields().ByName(name)
	if fd == nil {
		panic(fmt.Sprintf("%s has no field %s", m.ProtoReflect().Descriptor().FullName(), name))
	}
	return fd.Number()
}

// contextSummary is what the shallow check reads of a GetContextResponse.
type contextSummary struct {
	citizenID string
	recent    int
}

// shallowCodec encodes requests as protobuf does and reads a
// *contextSummary from the response's bytes. Its name is "proto", so the
// call's content type, and the server's codec, stay the standard ones.
type shallowCodec struct{ proto encoding.CodecV2 }

func (c shallowCodec) Name() string { return "proto" }

func (c shallowCodec) Marshal(v any) (mem.BufferSlice, error) { return c.proto.Marshal(v) }

func (c shallowCodec) Unmarshal(data mem.BufferSlice, v any) error {
	s, ok := v.(*contextSummary)
	if !ok {
		return c.proto.Unmarshal(data, v)
	}
	buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
	defer buf.Free()
	return s.read(buf.ReadOnlyData())
}

// summaryCall makes a call read a *contextSummary shallowly.
var summaryCall = grpc.ForceCodecV2(shallowCodec{proto: encoding.GetCodecV2("proto")})

// getContextSummary calls GetContext and reads the response shallowly.
func getContextSummary(ctx context.Context, cc grpc.ClientConnInterface, req *contextv1.GetContextRequest) (*contextSummary, error) {
	var s contextSummary
	err := cc.Invoke(ctx, contextv1.ContextService_GetContext_FullMethodName, req, &s, summaryCall)
	return &s, err
}

// read checks b as a GetContextResponse and summarises its context.
func (s *contextSummary) read(b []byte) error {
	*s = contextSummary{}
	found := false
	err := eachField(b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		if num != responseContextField {
			return nil
		}
		if typ != protowire.BytesType {
			return errors.New("context: not a message")
		}
		found = true
		return s.readContext(v)
	})
	switch {
	case err != nil:
		return fmt.Errorf("get context response: %w", err)
	case !found || s.citizenID == "":
		return errors.New("get context response: no citizen")
	}
	return nil
}

func (s *contextSummary) readContext(b []byte) error {
	return eachField(b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		switch {
		case num == contextCitizenField && typ == protowire.BytesType:
			s.citizenID = string(v)
		case num == contextRecentField && typ == protowire.BytesType:
			if err := readEntry(v); err != nil {
				return fmt.Errorf("timeline entry %d: %w", s.recent, err)
			}
			s.recent++
		case num == contextCitizenField || num == contextRecentField:
			return fmt.Errorf("field %d: wrong wire type %d", num, typ)
		}
		return nil
	})
}

// readEntry checks a TimelineEntry: an interaction, itself well formed,
// and a version.
func readEntry(b []byte) error {
	var interaction, version bool
	err := eachField(b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		switch {
		case num == entryInteraction && typ == protowire.BytesType:
			interaction = len(v) > 0
			return eachField(v, func(protowire.Number, protowire.Type, []byte) error { return nil })
		case num == entryVersion && typ == protowire.VarintType:
			version = true
		}
		return nil
	})
	if err == nil && (!interaction || !version) {
		err = errors.New("no interaction or no version")
	}
	return err
}

// eachField calls f with every field of the message b: its number, its
// wire type and, for length-delimited fields, its contents.
func eachField(b []byte, f func(protowire.Number, protowire.Type, []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var v []byte
		if typ == protowire.BytesType {
			v, n = protowire.ConsumeBytes(b)
		} else {
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		if err := f(num, typ, v); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}
