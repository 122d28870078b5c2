package redisstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	contextv1 "unisson.dev/proto/unisson/context/v1"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
	"unisson.dev/services/context/internal/contextstore"
)

var (
	errCorrupt    = errors.New("corrupt value")
	deterministic = proto.MarshalOptions{Deterministic: true}
)

// encodeOwner is the identifier index value; the assurance goes first so
// that citizen ids need no escaping.
func encodeOwner(id string, a interactionv1.Assurance) string {
	return strconv.Itoa(int(a)) + ":" + id
}

func decodeOwner(v string) (contextstore.Owner, error) {
	a, id, ok := strings.Cut(v, ":")
	n, err := strconv.Atoi(a)
	if !ok || err != nil {
		return contextstore.Owner{}, fmt.Errorf("owner %q: %w", v, errCorrupt)
	}
	return contextstore.Owner{CitizenID: id, Assurance: interactionv1.Assurance(n)}, nil
}

// encodeLink is "assurance:type:seq", then ":value" unless the value is
// the key's part after the first colon, as identifier.Key makes it. The
// scripts read the leading assurance.
func encodeLink(l contextstore.Link, seq uint64) string {
	b := make([]byte, 0, 32)
	b = strconv.AppendInt(b, int64(l.Assurance), 10)
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(l.Type), 10)
	b = append(b, ':')
	b = strconv.AppendUint(b, seq, 10)
	if keyValue(l.Key) != l.Value {
		b = append(b, ':')
		b = append(b, l.Value...)
	}
	return string(b)
}

func keyValue(key string) string {
	_, v, _ := strings.Cut(key, ":")
	return v
}

func decodeLink(key, v string) (contextstore.Link, error) {
	parts := strings.SplitN(v, ":", 4)
	if len(parts) < 3 {
		return contextstore.Link{}, fmt.Errorf("link %q: %w", key, errCorrupt)
	}
	a, err1 := strconv.Atoi(parts[0])
	t, err2 := strconv.Atoi(parts[1])
	seq, err3 := strconv.ParseUint(parts[2], 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil {
		return contextstore.Link{}, fmt.Errorf("link %q: %w: %w", key, errCorrupt, err)
	}
	l := contextstore.Link{
		Key: key, Type: interactionv1.IdentifierType(t), Value: keyValue(key),
		Assurance: interactionv1.Assurance(a), Seq: seq,
	}
	if len(parts) == 4 {
		l.Value = parts[3]
	}
	return l, nil
}

// encodeCase splits the case in two protobuf messages whose concatenation
// is the whole contextv1.Case: opened holds only OpenedAt, so the scripts
// can keep an existing case's OpenedAt by keeping its first part. The
// stored value is "seq:len(opened):" + opened + rest.
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

func decodeCase(ref, v string) (contextstore.Case, error) {
	seq, n, ok1 := strings.Cut(v, ":")
	n, body, ok2 := strings.Cut(n, ":")
	updated, err := strconv.ParseUint(seq, 10, 64)
	if !ok1 || !ok2 || err != nil {
		return contextstore.Case{}, fmt.Errorf("case %q: %w", ref, errCorrupt)
	}
	var pc contextv1.Case
	if err := proto.Unmarshal([]byte(body), &pc); err != nil {
		return contextstore.Case{}, fmt.Errorf("case %q: %w: %w", ref, errCorrupt, err)
	}
	return contextstore.Case{
		Reference:  pc.GetReference(),
		Topic:      pc.GetTopic(),
		Status:     pc.GetStatus(),
		OpenedAt:   pc.GetOpenedAt().AsTime(),
		UpdatedAt:  pc.GetUpdatedAt().AsTime(),
		UpdatedSeq: updated,
	}, nil
}

// encodeEntry is the timeline member: the big-endian seq makes members of
// different log positions distinct even for equal interactions.
func encodeEntry(e contextstore.Entry) []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(e.Data)), e.Seq)
	return append(b, e.Data...)
}

func decodeEntry(member string) (contextstore.Entry, error) {
	if len(member) < 8 {
		return contextstore.Entry{}, fmt.Errorf("timeline entry: %w", errCorrupt)
	}
	return contextstore.Entry{Seq: binary.BigEndian.Uint64([]byte(member[:8])), Data: []byte(member[8:])}, nil
}

func decodeEntries(members []string) ([]contextstore.Entry, error) {
	var out []contextstore.Entry
	for _, m := range members {
		e, err := decodeEntry(m)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// encodeTime is unix nanoseconds, "" for the zero time.
func encodeTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixNano(), 10)
}

func decodeTime(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q: %w", v, errCorrupt)
	}
	return time.Unix(0, n).UTC(), nil
}
