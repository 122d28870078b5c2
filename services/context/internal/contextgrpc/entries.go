package contextgrpc

import (
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	contextv1 "unisson.dev/proto/unisson/context/v1"

	"unisson.dev/services/context/internal/contextstore"
)

// Timeline entries reach clients without being decoded and encoded again:
// the stored wire form of each interaction is framed as a TimelineEntry
// and set as the response's unknown fields under the repeated field's
// number. Encoders write unknown fields as they are, and a client decodes
// them as the field itself, since a message's fields may come in any order.
// This saves the decoding, the garbage and the encoding of ~20 interactions
// per GetContext.
var (
	fieldContext      = contextstore.FieldNumber(&contextv1.GetContextResponse{}, "context", protoreflect.MessageKind)
	fieldRecent       = contextstore.FieldNumber(&contextv1.CitizenContext{}, "recent", protoreflect.MessageKind)
	fieldEntries      = contextstore.FieldNumber(&contextv1.ListTimelineResponse{}, "entries", protoreflect.MessageKind)
	fieldWatchEntry   = contextstore.FieldNumber(&contextv1.WatchContextResponse{}, "entry", protoreflect.MessageKind)
	fieldInteraction  = contextstore.FieldNumber(&contextv1.TimelineEntry{}, "interaction", protoreflect.MessageKind)
	fieldEntryVersion = contextstore.FieldNumber(&contextv1.TimelineEntry{}, "version", protoreflect.Uint64Kind)
)

// setEntries sets es as m's field number field, replacing m's unknown
// fields; m must leave that field empty.
func setEntries(m proto.Message, field protowire.Number, es []contextstore.Entry) {
	if len(es) == 0 {
		return
	}
	size := 0
	for _, e := range es {
		size += framedSize(field, e)
	}
	b := make([]byte, 0, size)
	for _, e := range es {
		b = appendEntryHead(b, field, e)
		b = append(b, e.Data...)
		b = appendEntryTail(b, e)
	}
	m.ProtoReflect().SetUnknown(b)
}

// entrySize is the encoded size of e as a TimelineEntry.
func entrySize(e contextstore.Entry) int {
	n := protowire.SizeTag(fieldInteraction) + protowire.SizeBytes(len(e.Data))
	if e.Seq != 0 {
		n += protowire.SizeTag(fieldEntryVersion) + protowire.SizeVarint(e.Seq)
	}
	return n
}

// framedSize is the encoded size of e as an element of the repeated
// TimelineEntry field number field, its stored bytes included.
func framedSize(field protowire.Number, e contextstore.Entry) int {
	return protowire.SizeTag(field) + protowire.SizeBytes(entrySize(e))
}

// appendEntryHead appends what precedes e's stored bytes when e is an
// element of field: the element's tag and length, then the interaction's.
func appendEntryHead(b []byte, field protowire.Number, e contextstore.Entry) []byte {
	b = protowire.AppendTag(b, field, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(entrySize(e)))
	b = protowire.AppendTag(b, fieldInteraction, protowire.BytesType)
	return protowire.AppendVarint(b, uint64(len(e.Data)))
}

// appendEntryTail appends what follows e's stored bytes: its version.
func appendEntryTail(b []byte, e contextstore.Entry) []byte {
	if e.Seq != 0 {
		b = protowire.AppendTag(b, fieldEntryVersion, protowire.VarintType)
		b = protowire.AppendVarint(b, e.Seq)
	}
	return b
}
