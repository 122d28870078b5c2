package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
	"unisson.dev/services/context/internal/contextstore"
)

// globalWrites are what citizenScript asks for after an answer: leave the
// holder set of Rm at RmV, join the one of Add at AddV, record Div. All
// numbers are decimal strings.
type globalWrites struct {
	citizen string
	Seq     string     `json:"seq"`
	Add     *string    `json:"add"`
	AddV    string     `json:"addv"`
	Rm      *string    `json:"rm"`
	RmV     string     `json:"rmv"`
	Div     *scriptDiv `json:"div"`
}

// scriptDiv is a divergence as the script sees it: the first answer (F)
// and the one given now (S).
type scriptDiv struct {
	Topic string `json:"topic"`
	CV    string `json:"cv"`
	FID   string `json:"fid"`
	FV    string `json:"fv"`
	FCh   string `json:"fch"`
	SID   string `json:"sid"`
	SV    string `json:"sv"`
	SCh   string `json:"sch"`
}

// outboxEntry names one outbox entry.
type outboxEntry struct{ citizen, seq string }

// decodeWrites gathers the global writes of the groups' changes with
// answers, in change order: from their answer script's reply when
// applied, from the outbox when skipped.
func decodeWrites(groups []*group, commits []*redis.Cmd) ([]globalWrites, error) {
	var out []globalWrites
	for i, g := range groups {
		var replies []string
		if commits[i] != nil {
			var err error
			if replies, err = commits[i].StringSlice(); err != nil {
				return nil, fmt.Errorf("citizen %s: %w", g.id, err)
			}
		}
		j := 0
		for _, c := range g.changes {
			applied := j < len(g.applied) && g.applied[j] == c
			if applied {
				j++
			}
			if c.Answer == nil {
				continue
			}
			v := g.outbox[c] // "" when skipped without writes
			if applied {
				if len(replies) == 0 {
					return nil, fmt.Errorf("change %d: writes: %w", c.Seq, errCorrupt)
				}
				v, replies = replies[0], replies[1:]
			}
			if v == "" {
				continue
			}
			w := globalWrites{citizen: c.CitizenID}
			if err := json.Unmarshal([]byte(v), &w); err != nil {
				return nil, fmt.Errorf("change %d: writes: %w: %w", c.Seq, errCorrupt, err)
			}
			out = append(out, w)
		}
	}
	return out, nil
}

// sendWrites makes the global writes in one round trip, then checks b's
// epoch and records its AppliedSeq when b is not nil. Every write is
// idempotent, so making them again after a failure is harmless; the
// outbox entries are forgotten only once they all succeeded.
func (s *Store) sendWrites(ctx context.Context, writes []globalWrites, b *contextstore.Batch) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	pipe := s.client.Pipeline()
	for _, w := range writes {
		if err := s.queueWrites(ctx, pipe, w); err != nil {
			return err
		}
	}
	var meta *redis.Cmd
	if b != nil {
		meta = metaScript.EvalSha(ctx, pipe, []string{s.metaKey()}, b.Epoch, strconv.FormatUint(b.AppliedSeq, 10), layout)
	}
	if err := exec(ctx, pipe); err != nil {
		return fmt.Errorf("answer indexes: %w", err)
	}
	s.mu.Lock()
	for _, w := range writes {
		s.done = append(s.done, outboxEntry{citizen: w.citizen, seq: w.Seq})
	}
	s.mu.Unlock()
	if meta != nil && meta.Val() != int64(1) {
		return contextstore.ErrEpochMismatch
	}
	return nil
}

func (s *Store) queueWrites(ctx context.Context, pipe redis.Pipeliner, w globalWrites) error {
	if w.Rm != nil {
		m, err := holderMember(w.RmV, w.citizen)
		if err != nil {
			return err
		}
		pipe.ZRem(ctx, s.holdersKey(*w.Rm), m)
	}
	if w.Add != nil {
		m, err := holderMember(w.AddV, w.citizen)
		if err != nil {
			return err
		}
		pipe.ZAdd(ctx, s.holdersKey(*w.Add), redis.Z{Member: m})
		pipe.SAdd(ctx, s.answersKey(), *w.Add)
	}
	if w.Div != nil {
		d, err := w.divergence()
		if err != nil {
			return err
		}
		m, err := encodeDivergence(d)
		if err != nil {
			return err
		}
		pipe.ZAdd(ctx, s.divergencesKey(), redis.Z{Member: m})
	}
	return nil
}

func (w globalWrites) divergence() (contextstore.Divergence, error) {
	d := w.Div
	seq, err1 := strconv.ParseUint(w.Seq, 10, 64)
	cv, err2 := strconv.ParseUint(d.CV, 10, 64)
	first, err3 := scriptAnswer(d.FID, d.FV, d.FCh)
	second, err4 := scriptAnswer(d.SID, d.SV, d.SCh)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return contextstore.Divergence{}, fmt.Errorf("divergence: %w: %w", errCorrupt, err)
	}
	return contextstore.Divergence{
		Seq: seq, CitizenID: w.citizen, Topic: d.Topic, ContextVersion: cv,
		First: first.Label(), Second: second.Label(),
	}, nil
}

func scriptAnswer(id, version, channel string) (contextstore.AnswerRecord, error) {
	v, err1 := strconv.ParseUint(version, 10, 32)
	ch, err2 := strconv.Atoi(channel)
	if err := errors.Join(err1, err2); err != nil {
		return contextstore.AnswerRecord{}, err
	}
	return contextstore.AnswerRecord{AnswerID: id, Version: uint32(v), Channel: interactionv1.Channel(ch)}, nil
}

// queueDone queues the deletion of the outbox entries known done, and
// returns how many it queued.
func (s *Store) queueDone(ctx context.Context, pipe redis.Pipeliner) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.done {
		pipe.HDel(ctx, s.citizenKeys(e.citizen).o(), e.seq)
	}
	return len(s.done)
}

// forgetDone drops the first n entries, deleted by a pipeline that
// succeeded.
func (s *Store) forgetDone(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done = slices.Delete(s.done, 0, n)
}

// holderMember is "%010d(version):citizen": a version's members form one
// lexical range, ordered by citizen.
func holderMember(version, citizen string) (string, error) {
	v, err := strconv.ParseUint(version, 10, 32)
	if err != nil {
		return "", fmt.Errorf("holder version %q: %w", version, errCorrupt)
	}
	return fmt.Sprintf("%010d:%s", v, citizen), nil
}

func decodeHolder(m string) (contextstore.AnswerHolder, error) {
	v, id, ok := strings.Cut(m, ":")
	n, err := strconv.ParseUint(v, 10, 32)
	if !ok || err != nil || len(v) != 10 {
		return contextstore.AnswerHolder{}, fmt.Errorf("holder %q: %w", m, errCorrupt)
	}
	return contextstore.AnswerHolder{CitizenID: id, Version: uint32(n)}, nil
}

// storedDivergence is a divergence's member after its seq.
type storedDivergence struct {
	CitizenID      string `json:"c"`
	Topic          string `json:"t"`
	ContextVersion uint64 `json:"v"`
	First          string `json:"f"`
	Second         string `json:"s"`
}

// encodeDivergence is "%020d(seq):" + JSON: members sort by seq, and the
// same divergence is the same member.
func encodeDivergence(d contextstore.Divergence) (string, error) {
	b, err := json.Marshal(storedDivergence{
		CitizenID: d.CitizenID, Topic: d.Topic, ContextVersion: d.ContextVersion, First: d.First, Second: d.Second,
	})
	if err != nil {
		return "", fmt.Errorf("encode divergence: %w", err)
	}
	return fmt.Sprintf("%020d:%s", d.Seq, b), nil
}

func decodeDivergence(m string) (contextstore.Divergence, error) {
	seq, body, ok := strings.Cut(m, ":")
	n, err := strconv.ParseUint(seq, 10, 64)
	var sd storedDivergence
	if !ok || err != nil || json.Unmarshal([]byte(body), &sd) != nil {
		return contextstore.Divergence{}, fmt.Errorf("divergence: %w", errCorrupt)
	}
	return contextstore.Divergence{
		Seq: n, CitizenID: sd.CitizenID, Topic: sd.Topic, ContextVersion: sd.ContextVersion,
		First: sd.First, Second: sd.Second,
	}, nil
}
