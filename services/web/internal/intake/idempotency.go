package intake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"unisson.dev/platform/eventlog"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
)

// MaxKeyLength bounds an idempotency key.
const MaxKeyLength = 255

// keyHash checks key and returns the hex SHA-256 of "web|"+key, or "" when
// there is no key. The channel prefix keeps the web's keys apart from other
// channels' keys in the shared log.
func keyHash(key string, p *problems) string {
	if key == "" {
		return ""
	}
	if len(key) > MaxKeyLength {
		p.add("idempotency_key", "must be 1 to %d printable ASCII characters", MaxKeyLength)
		return ""
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			p.add("idempotency_key", "must be 1 to %d printable ASCII characters", MaxKeyLength)
			return ""
		}
	}
	sum := sha256.Sum256([]byte("web|" + key))
	return hex.EncodeToString(sum[:])
}

// keyMsgID is the JetStream message id of a request with a key: 128 bits of
// its hash are plenty to keep distinct keys apart.
func keyMsgID(hash string) string { return "idem-" + hash[:32] }

// replay answers a request the log had already stored: it reads the stored
// interaction back and returns its id, provided it is the same request.
func (s *Service) replay(ctx context.Context, ix *interactionv1.Interaction, msgID string, ack eventlog.Ack) (Receipt, error) {
	orig, err := s.stored(ctx, ack.Seq, msgID)
	if err != nil {
		return Receipt{}, fmt.Errorf("%w: read back message %d: %w", ErrUnavailable, ack.Seq, err)
	}
	if !sameRequest(orig, ix) {
		return Receipt{}, ErrKeyReused
	}
	return Receipt{InteractionID: orig.GetId(), Token: ack.Token(), Replayed: true}, nil
}

// stored reads the interaction at seq and checks that it carries msgID.
func (s *Service) stored(ctx context.Context, seq uint64, msgID string) (*interactionv1.Interaction, error) {
	if s.js == nil {
		return nil, errors.New("no jetstream context")
	}
	ctx, cancel := context.WithTimeout(ctx, s.readTimeout)
	defer cancel()
	st, err := s.js.Stream(ctx, s.stream.Name)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", s.stream.Name, err)
	}
	raw, err := getMsg(ctx, st, seq)
	if err != nil {
		return nil, err
	}
	if got := raw.Header.Get(jetstream.MsgIDHeader); got != msgID {
		return nil, errors.New("stored message has another message id")
	}
	orig := &interactionv1.Interaction{}
	if err := proto.Unmarshal(raw.Data, orig); err != nil {
		return nil, fmt.Errorf("decode stored interaction: %w", err)
	}
	return orig, nil
}

// getMsg retries while the message is not found: the stream allows direct
// gets, which any replica may answer, and a replica can lag a little behind
// the acknowledgement.
func getMsg(ctx context.Context, st jetstream.Stream, seq uint64) (*jetstream.RawStreamMsg, error) {
	for {
		raw, err := st.GetMsg(ctx, seq)
		if !errors.Is(err, jetstream.ErrMsgNotFound) {
			return raw, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("get message: %w", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// sameRequest tells whether two interactions differ only by what the
// service generates itself: the id and the time.
func sameRequest(a, b *interactionv1.Interaction) bool {
	a, b = proto.CloneOf(a), proto.CloneOf(b)
	a.Id, a.OccurredAt = "", nil
	b.Id, b.OccurredAt = "", nil
	return proto.Equal(a, b)
}
