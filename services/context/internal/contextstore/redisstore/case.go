package redisstore

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/types/known/timestamppb"

	contextv1 "unisson.dev/proto/unisson/context/v1"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
	"unisson.dev/services/context/internal/contextstore"
)

// Field numbers of contextv1.Case and google.protobuf.Timestamp, which
// decodeCase reads without unmarshalling.
const (
	caseReference = 1
	caseTopic     = 2
	caseStatus    = 3
	caseOpenedAt  = 4
	caseUpdatedAt = 5
	tsSeconds     = 1
	tsNanos       = 2
)

// encodeCase splits the case in two protobuf messages whose concatenation
// is the whole contextv1.Case: opened holds only OpenedAt, so that an
// update can keep an existing case's OpenedAt by keeping its first part.
// The stored value is "seq:len(opened):" + opened + rest (storedCase).
func encodeCase(k *contextstore.Case, seq uint64) (opened, rest []byte, err error) {
	opened, err = deterministic.Marshal(&contextv1.Case{OpenedAt: timestamppb.New(k.OpenedAt)})
	if err != nil {
		return nil, nil, fmt.Errorf("encode case: %w", err)
	}
	rest, err = deterministic.Marshal(&contextv1.Case{
		Reference:        k.Reference,
		Topic:            k.Topic,
		Status:           k.Status,
		UpdatedAt:        timestamppb.New(k.UpdatedAt),
		UpdatedAtVersion: seq,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("encode case: %w", err)
	}
	return opened, rest, nil
}

// storedCase is the stored value of a case updated at seq.
func storedCase(seq uint64, opened, rest []byte) string {
	b := make([]byte, 0, 24+len(opened)+len(rest))
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(len(opened)), 10)
	b = append(b, ':')
	b = append(b, opened...)
	return string(append(b, rest...))
}

// cutCase cuts a stored case into its seq, the length of its opened part
// and its body, the whole contextv1.Case.
func cutCase(v string) (seq uint64, opened int, body string, err error) {
	s, rest, ok1 := strings.Cut(v, ":")
	n, body, ok2 := strings.Cut(rest, ":")
	seq, err1 := strconv.ParseUint(s, 10, 64)
	opened, err2 := strconv.Atoi(n)
	if !ok1 || !ok2 || err1 != nil || err2 != nil || opened < 0 || opened > len(body) {
		return 0, 0, "", errCorrupt
	}
	return seq, opened, body, nil
}

// splitCase cuts a stored case into its seq and its opened part.
func splitCase(v string) (uint64, []byte, error) {
	seq, n, body, err := cutCase(v)
	if err != nil {
		return 0, nil, fmt.Errorf("case %q: %w", v, err)
	}
	return seq, []byte(body[:n]), nil
}

// decodeCase reads a stored case. It walks the protobuf fields itself,
// as proto.Unmarshal would (a repeated timestamp is merged): the reference
// and topic are substrings of v, and nothing else is allocated.
func decodeCase(ref, v string) (contextstore.Case, error) {
	seq, _, body, err := cutCase(v)
	if err != nil {
		return contextstore.Case{}, fmt.Errorf("case %q: %w", ref, err)
	}
	k := contextstore.Case{UpdatedSeq: seq}
	var opened, updated timestamp
	b := bytesOf(body)
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return contextstore.Case{}, fmt.Errorf("case %q: %w", ref, errCorrupt)
		}
		b = b[n:]
		switch {
		case typ == protowire.VarintType && num == caseStatus:
			var x uint64
			x, n = protowire.ConsumeVarint(b)
			k.Status = interactionv1.CaseStatus(x)
		case typ == protowire.BytesType && num == caseReference, typ == protowire.BytesType && num == caseTopic:
			var val []byte
			if val, n = protowire.ConsumeBytes(b); n < 0 {
				break
			}
			at := len(body) - len(b) + n - len(val)
			if num == caseReference {
				k.Reference = body[at : at+len(val)]
			} else {
				k.Topic = body[at : at+len(val)]
			}
		case typ == protowire.BytesType && num == caseOpenedAt, typ == protowire.BytesType && num == caseUpdatedAt:
			var val []byte
			val, n = protowire.ConsumeBytes(b)
			ts := &opened
			if num == caseUpdatedAt {
				ts = &updated
			}
			if n >= 0 && !ts.merge(val) {
				n = -1
			}
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return contextstore.Case{}, fmt.Errorf("case %q: %w", ref, errCorrupt)
		}
		b = b[n:]
	}
	k.OpenedAt, k.UpdatedAt = opened.time(), updated.time()
	return k, nil
}

// timestamp is a google.protobuf.Timestamp as decodeCase reads it.
type timestamp struct{ sec, nanos int64 }

// merge reads b into ts as proto.Unmarshal merges a message; false when b
// is not a valid encoding.
func (ts *timestamp) merge(b []byte) bool {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return false
		}
		b = b[n:]
		if typ == protowire.VarintType && (num == tsSeconds || num == tsNanos) {
			var x uint64
			x, n = protowire.ConsumeVarint(b)
			if num == tsSeconds {
				ts.sec = int64(x)
			} else {
				ts.nanos = int64(int32(x))
			}
		} else {
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return false
		}
		b = b[n:]
	}
	return true
}

// time is ts as AsTime gives it; an absent timestamp is the Unix epoch.
func (ts timestamp) time() time.Time { return time.Unix(ts.sec, ts.nanos).UTC() }

// bytesOf views s as bytes, without copying, for reading only.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
