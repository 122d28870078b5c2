package redisstore

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

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
	a, rest, ok1 := strings.Cut(v, ":")
	t, rest, ok2 := strings.Cut(rest, ":")
	seq, value, hasValue := strings.Cut(rest, ":")
	an, err1 := strconv.Atoi(a)
	tn, err2 := strconv.Atoi(t)
	sn, err3 := strconv.ParseUint(seq, 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil || !ok1 || !ok2 {
		return contextstore.Link{}, fmt.Errorf("link %q: %w", key, errCorrupt)
	}
	if !hasValue {
		value = keyValue(key)
	}
	return contextstore.Link{
		Key: key, Type: interactionv1.IdentifierType(tn), Value: value,
		Assurance: interactionv1.Assurance(an), Seq: sn,
	}, nil
}

// linkAssurance is the leading assurance of a stored link, -1 when the
// value is corrupt (any link then replaces it).
func linkAssurance(v string) int {
	a, _, _ := strings.Cut(v, ":")
	n, err := strconv.Atoi(a)
	if err != nil {
		return -1
	}
	return n
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
