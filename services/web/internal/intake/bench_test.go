package intake_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go"

	"unisson.dev/platform/eventlog"
	"unisson.dev/services/web/internal/intake"
)

// BenchmarkSubmitMessage is the web write up to the log: building,
// normalising, validating and encoding a message from a citizen who typed
// an e-mail address and a phone number. warm sends the same number each
// time; cold a new one each time, from a pool larger than any cache of
// normalised numbers.
func BenchmarkSubmitMessage(b *testing.B) {
	const pool = 1 << 17
	cold := make([]string, pool)
	for i := range cold {
		// 06, then a digit other than 3 and 9: always a valid mobile.
		rest := fmt.Sprintf("%c%07d", "01245678"[i%8], (i/8*7919)%10_000_000)
		cold[i] = "06 " + rest[:2] + " " + rest[2:4] + " " + rest[4:6] + " " + rest[6:]
	}
	next := 0
	for _, bm := range []struct {
		name   string
		phones []string
	}{
		{"warm", []string{"06 12 34 56 78"}},
		{"cold", cold},
	} {
		b.Run(bm.name, func(b *testing.B) {
			svc := intake.New(&discardPublisher{}, nil, eventlog.DefaultStreamConfig(), 0)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				m := intake.Message{
					Identifiers: []intake.Identifier{{Type: "email", Value: "jeanne.martin@example.fr"}, {Type: "phone", Value: bm.phones[next%len(bm.phones)]}},
					Topic:       "housing.benefit",
					Text:        "Bonjour, je voudrais savoir où en est mon dossier.",
				}
				next++
				if _, err := svc.SubmitMessage(ctx, m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// discardPublisher acknowledges every message without keeping it.
type discardPublisher struct{ seq uint64 }

func (p *discardPublisher) Publish(context.Context, *nats.Msg) (eventlog.Ack, error) {
	p.seq++
	return eventlog.Ack{Seq: p.seq}, nil
}
