package intake_test

import (
	"context"
	"errors"
	"regexp"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"unisson.dev/platform/eventlog"
	"unisson.dev/platform/interaction"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
	"unisson.dev/services/web/internal/intake"
)

// fakePublisher records messages and acknowledges them in order.
type fakePublisher struct {
	mu   sync.Mutex
	msgs []*nats.Msg
	err  error
}

func (p *fakePublisher) Publish(_ context.Context, msg *nats.Msg) (eventlog.Ack, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return eventlog.Ack{}, p.err
	}
	p.msgs = append(p.msgs, msg)
	return eventlog.Ack{Seq: uint64(len(p.msgs))}, nil
}

var jeanne = []intake.Identifier{{Type: "email", Value: "Jeanne@Example.fr"}}

func TestSubmitPublishesProtobufWithMessageID(t *testing.T) {
	t.Parallel()
	pub := &fakePublisher{}
	svc := intake.New(pub, nil, eventlog.DefaultStreamConfig(), 0)
	ctx := context.Background()
	plain, err := svc.SubmitMessage(ctx, intake.Message{Identifiers: jeanne, Text: "Bonjour"})
	if err != nil {
		t.Fatalf("SubmitMessage: %v", err)
	}
	keyed := []intake.Form{
		{Identifiers: jeanne, FormID: "f", CaseReference: "caf-1", IdempotencyKey: "k1"},
		{Identifiers: jeanne, FormID: "f", CaseReference: "caf-1", IdempotencyKey: "k1"},
		{Identifiers: jeanne, FormID: "f", CaseReference: "caf-1", IdempotencyKey: "k2"},
	}
	for _, f := range keyed {
		if _, err := svc.SubmitForm(ctx, f); err != nil {
			t.Fatalf("SubmitForm: %v", err)
		}
	}
	if len(pub.msgs) != 4 {
		t.Fatalf("published %d messages, want 4", len(pub.msgs))
	}
	ids := make([]string, len(pub.msgs))
	for i, m := range pub.msgs {
		ids[i] = m.Header.Get(jetstream.MsgIDHeader)
		if m.Subject != "unisson.interactions.web" {
			t.Errorf("subject %q", m.Subject)
		}
	}
	if ids[0] != plain.InteractionID || plain.Token.String() != "v1.1" {
		t.Errorf("message id %q, receipt %+v; want the interaction id and v1.1", ids[0], plain)
	}
	idem := regexp.MustCompile(`^idem-[0-9a-f]{32}$`)
	if !idem.MatchString(ids[1]) || ids[1] != ids[2] || ids[2] == ids[3] {
		t.Errorf("keyed message ids %q: want idem-<hex>, equal for equal keys only", ids[1:])
	}
	form := &interactionv1.Interaction{}
	if err := proto.Unmarshal(pub.msgs[1].Data, form); err != nil {
		t.Fatalf("not protobuf: %v", err)
	}
	if form.GetCaseReference() != "CAF-1" || len(form.GetWeb().GetIdempotencyKeyHash()) != 64 {
		t.Errorf("form case %q, key hash %q; want CAF-1 and a SHA-256", form.GetCaseReference(), form.GetWeb().GetIdempotencyKeyHash())
	}
}

func TestSubmitReportsEveryProblemAndPublishesNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		submit func(*intake.Service) error
		want   interaction.ValidationError
	}{
		{name: "message", submit: func(s *intake.Service) error {
			_, err := s.SubmitMessage(context.Background(), intake.Message{
				Identifiers: []intake.Identifier{{Type: "fax", Value: "x"}, {Type: "email", Value: "jeanne@"}, {Type: "phone", Value: "06 12 34 56 78"}},
				Topic:       "Housing", CaseReference: "CAF 1", IdempotencyKey: "\x01"})
			return err
		}, want: interaction.ValidationError{
			{Field: "subject.identifiers[0].type", Reason: "must be one of email, phone, case"},
			{Field: "subject.identifiers[1].value", Reason: "not a bare e-mail address"},
			{Field: "case_reference", Reason: "contains spaces or control characters"},
			{Field: "text", Reason: "is required"},
			{Field: "idempotency_key", Reason: "must be 1 to 255 printable ASCII characters"},
			{Field: "topic", Reason: "must be at most 128 characters of a-z, 0-9 and . _ - separators"},
		}},
		{name: "form", submit: func(s *intake.Service) error {
			_, err := s.SubmitForm(context.Background(), intake.Form{CaseStatus: "Submitted"})
			return err
		}, want: interaction.ValidationError{
			{Field: "case_status", Reason: "must be one of submitted, in_review, awaiting_documents, accepted, rejected, closed"},
			{Field: "web.form_id", Reason: "is required"},
			{Field: "subject", Reason: "needs a citizen id or at least one identifier"},
			{Field: "case_reference", Reason: "is required for a form submission"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pub := &fakePublisher{}
			err := tt.submit(intake.New(pub, nil, eventlog.DefaultStreamConfig(), 0))
			var got interaction.ValidationError
			if !errors.Is(err, intake.ErrInvalid) || !errors.As(err, &got) {
				t.Fatalf("error %v, want ErrInvalid with a ValidationError", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("field errors (-want +got):\n%s", diff)
			}
			if len(pub.msgs) != 0 {
				t.Errorf("published %d messages", len(pub.msgs))
			}
		})
	}
}

func TestSubmitWhenTheLogFails(t *testing.T) {
	t.Parallel()
	pub := &fakePublisher{err: eventlog.ErrPublisherClosed}
	_, err := intake.New(pub, nil, eventlog.DefaultStreamConfig(), 0).SubmitMessage(context.Background(), intake.Message{Identifiers: jeanne, Text: "hi"})
	if !errors.Is(err, intake.ErrUnavailable) || !errors.Is(err, eventlog.ErrPublisherClosed) {
		t.Fatalf("error %v, want ErrUnavailable wrapping the cause", err)
	}
	_, err = intake.New(nil, nil, eventlog.DefaultStreamConfig(), 0).SubmitMessage(context.Background(), intake.Message{Identifiers: jeanne, Text: "hi"})
	if !errors.Is(err, intake.ErrUnavailable) {
		t.Fatalf("without a publisher: error %v, want ErrUnavailable", err)
	}
}

func TestCaseStatusNamesRoundTrip(t *testing.T) {
	t.Parallel()
	for _, name := range intake.CaseStatusNames() {
		st, ok := intake.ParseCaseStatus(name)
		if !ok || intake.CaseStatusName(st) != name {
			t.Errorf("%q parses to %v, %v", name, st, ok)
		}
	}
	for _, bad := range []string{"", "unspecified", "SUBMITTED", "case_status_submitted"} {
		if _, ok := intake.ParseCaseStatus(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}
