// Package intake turns what a citizen sends through the web channel into
// validated Interaction events on the interaction log. It knows no HTTP: the
// web handlers call it with plain values and map its sentinel errors.
//
// Idempotency: a request that carries an idempotency key is published with a
// JetStream message id derived from the key, so the log stores it once. The
// server remembers message ids only for the stream's duplicate window
// (eventlog.StreamConfig.DuplicateWindow, 10 minutes by default): within it a
// retried request gets the first request's interaction id and consistency
// token; after it the same key creates a new interaction. Clients should
// retry within minutes, not hours.
package intake

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"unisson.dev/platform/eventlog"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
)

var (
	// ErrInvalid is wrapped, together with an interaction.ValidationError
	// naming every field at fault, when a request breaks a rule. Nothing is
	// published.
	ErrInvalid = errors.New("invalid request")
	// ErrKeyReused means the idempotency key was already used, within the
	// duplicate window, for a request with different content. Nothing is
	// published and the first request's interaction is not revealed.
	ErrKeyReused = errors.New("idempotency key already used for a different request")
	// ErrUnavailable means the log did not confirm the write in time. The
	// interaction may still have been stored: retrying with the same
	// idempotency key is safe, retrying without one may store it twice.
	ErrUnavailable = errors.New("interaction log unavailable")
)

// Publisher stores one message in the interaction log; *eventlog.Publisher
// is the implementation used outside tests.
type Publisher interface {
	Publish(ctx context.Context, msg *nats.Msg) (eventlog.Ack, error)
}

// Receipt is the log's acknowledgement of a submitted interaction.
type Receipt struct {
	// InteractionID is the id of the stored interaction (the first one, for
	// a replayed request).
	InteractionID string
	// Token is the consistency token of the write.
	Token eventlog.Token
	// Replayed is true when an earlier request with the same idempotency
	// key had been stored and this one was not.
	Replayed bool
}

// Service publishes the interactions the web channel receives.
type Service struct {
	pub         Publisher
	js          jetstream.JetStream
	stream      eventlog.StreamConfig
	readTimeout time.Duration
}

// New returns a service publishing through pub to stream. js and
// readTimeout serve to read back the original of a replayed request.
func New(pub Publisher, js jetstream.JetStream, stream eventlog.StreamConfig, readTimeout time.Duration) *Service {
	if readTimeout <= 0 {
		readTimeout = 5 * time.Second
	}
	return &Service{pub: pub, js: js, stream: stream, readTimeout: readTimeout}
}

// SubmitMessage publishes a free-text message from a citizen.
func (s *Service) SubmitMessage(ctx context.Context, m Message) (Receipt, error) {
	ix, err := buildMessage(time.Now(), m)
	if err != nil {
		return Receipt{}, err
	}
	return s.publish(ctx, ix)
}

// SubmitForm publishes a form a citizen submitted about a case.
func (s *Service) SubmitForm(ctx context.Context, f Form) (Receipt, error) {
	ix, err := buildForm(time.Now(), f)
	if err != nil {
		return Receipt{}, err
	}
	return s.publish(ctx, ix)
}

// publish stores ix as protobuf on the web subject. Its message id is the
// interaction id, or the key-derived id when the client sent a key.
func (s *Service) publish(ctx context.Context, ix *interactionv1.Interaction) (Receipt, error) {
	if s.pub == nil {
		return Receipt{}, fmt.Errorf("%w: no publisher", ErrUnavailable)
	}
	data, err := proto.Marshal(ix)
	if err != nil {
		return Receipt{}, fmt.Errorf("encode interaction: %w", err)
	}
	msgID := ix.GetId()
	if h := ix.GetWeb().GetIdempotencyKeyHash(); h != "" {
		msgID = keyMsgID(h)
	}
	msg := &nats.Msg{Subject: s.stream.Subject(interactionv1.Channel_CHANNEL_WEB), Header: nats.Header{}, Data: data}
	msg.Header.Set(jetstream.MsgIDHeader, msgID)
	ack, err := s.pub.Publish(ctx, msg)
	if err != nil {
		return Receipt{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if !ack.Duplicate {
		return Receipt{InteractionID: ix.GetId(), Token: ack.Token()}, nil
	}
	return s.replay(ctx, ix, msgID, ack)
}
