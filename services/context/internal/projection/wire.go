package projection

import (
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"

	interactionv1 "unisson.dev/proto/unisson/interaction/v1"

	"unisson.dev/services/context/internal/contextstore"
)

// A stored entry is, whenever it can be, the log message's own bytes: the
// projector neither copies the decoded interaction nor encodes it again.
// The citizen id it resolved is appended as a second subject holding only
// citizen_id. A decoder merges repeated occurrences of a singular message
// field, and the last scalar wins, so the entry decodes to the interaction
// with its identifiers and the resolved citizen id.
var (
	fieldSubject   = contextstore.FieldNumber(&interactionv1.Interaction{}, "subject", protoreflect.MessageKind)
	fieldCitizenID = contextstore.FieldNumber(&interactionv1.Subject{}, "citizen_id", protoreflect.StringKind)
)

// entryOf is the timeline entry of e once applied as c: the message's
// bytes, with the resolved citizen id appended when the message did not
// name it. It encodes c.Interaction only when decoding rewrote the event
// or the ledger filled in its hashes.
func entryOf(e event, c *contextstore.Change) (contextstore.Entry, error) {
	switch {
	case e.changed || c.Ledger != nil:
		return contextstore.NewEntry(c.Seq, c.Interaction)
	case e.known == c.CitizenID:
		return contextstore.Entry{Seq: c.Seq, Data: e.data}, nil
	}
	return contextstore.Entry{Seq: c.Seq, Data: appendCitizenID(e.data, c.CitizenID)}, nil
}

// appendCitizenID returns a copy of data, an encoded interaction, followed
// by a subject holding only citizenID. data is left alone: it may be
// shared, and stored entries must never change.
func appendCitizenID(data []byte, citizenID string) []byte {
	inner := protowire.SizeTag(fieldCitizenID) + protowire.SizeBytes(len(citizenID))
	b := make([]byte, 0, len(data)+protowire.SizeTag(fieldSubject)+protowire.SizeBytes(inner))
	b = append(b, data...)
	b = protowire.AppendTag(b, fieldSubject, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(inner))
	b = protowire.AppendTag(b, fieldCitizenID, protowire.BytesType)
	return protowire.AppendString(b, citizenID)
}
