package logconsumer

import (
	"log/slog"

	"github.com/nats-io/nats.go/jetstream"

	"unisson.dev/services/context/internal/projection"
)

// pending holds the messages handed to the projector and not acked yet,
// in the order they came.
type pending struct {
	msgs []jetstream.Msg
	seqs []uint64
}

// add takes a batch and returns it for the projector. A message without
// metadata cannot be placed in the log: it gets position 0, so the next
// ack acks it, as a skipped message.
func (p *pending) add(batch []jetstream.Msg, log *slog.Logger) []projection.Message {
	pm := make([]projection.Message, 0, len(batch))
	for _, m := range batch {
		var seq uint64
		if md, err := m.Metadata(); err != nil {
			log.Warn("message without metadata skipped", "err", err)
		} else {
			seq = md.Sequence.Stream
			pm = append(pm, projection.Message{Seq: seq, Data: m.Data()})
		}
		p.msgs, p.seqs = append(p.msgs, m), append(p.seqs, seq)
	}
	return pm
}

// messages are the pending messages, for the projector.
func (p *pending) messages() []projection.Message {
	pm := make([]projection.Message, 0, len(p.msgs))
	for i, m := range p.msgs {
		if p.seqs[i] > 0 {
			pm = append(pm, projection.Message{Seq: p.seqs[i], Data: m.Data()})
		}
	}
	return pm
}

// ack acks the messages at or below stored, the position the store has
// applied, and keeps the others in order.
func (p *pending) ack(stored uint64) {
	n := 0
	for i, m := range p.msgs {
		if p.seqs[i] <= stored {
			// A lost ack only causes a redelivery, which the projector skips.
			_ = m.Ack()
			continue
		}
		p.msgs[n], p.seqs[n] = m, p.seqs[i]
		n++
	}
	clear(p.msgs[n:])
	p.msgs, p.seqs = p.msgs[:n], p.seqs[:n]
}
