package redisstore_test

import (
	"fmt"
	"strings"
	"testing"

	"unisson.dev/platform/testenv"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
	"unisson.dev/services/context/internal/contextstore"
	"unisson.dev/services/context/internal/contextstore/redisstore"
	"unisson.dev/services/context/internal/contextstore/storetest"
)

const (
	benchBatch    = 500
	benchCitizens = 20000
)

func benchStore(b *testing.B) contextstore.Store {
	b.Helper()
	r := testenv.StartRedis(b)
	s := redisstore.New(r.Client(b), r.Prefix, timeout)
	if err := s.Reset(b.Context(), storetest.Epoch); err != nil {
		b.Fatalf("Reset: %v", err)
	}
	return s
}

// benchChange is an interaction of about 512 bytes of text for one of
// benchCitizens citizens, with the e-mail address it came from.
func benchChange(seq uint64) contextstore.Change {
	id := fmt.Sprintf("citizen-%05d", seq%benchCitizens)
	c := storetest.Change(seq, id)
	c.Interaction.Text = strings.Repeat("Bonjour, je souhaite savoir où en est mon dossier. ", 10)
	c.Links = []contextstore.Link{{
		Key:       "email:" + id + "@example.fr",
		Type:      interactionv1.IdentifierType_IDENTIFIER_TYPE_EMAIL,
		Value:     id + "@example.fr",
		Assurance: interactionv1.Assurance_ASSURANCE_CLAIMED,
	}}
	return c
}

// benchAnswer is benchChange giving one of a few answers, at one of a few
// versions, with its ledger entry.
func benchAnswer(seq uint64) contextstore.Change {
	c := benchChange(seq)
	c.Ledger = &contextstore.LedgerEntry{Hash: fmt.Sprintf("%064x", seq)}
	c.Answer = &contextstore.AnswerRecord{
		Topic: "housing.benefit", AnswerID: fmt.Sprintf("answer-%d", seq%7),
		Version: uint32(1 + seq%3), ContextVersion: seq / 3, Channel: interactionv1.Channel_CHANNEL_EMAIL,
	}
	return c
}

// BenchmarkApply measures one batch of 500 changes; interactions/s is the
// applier's ceiling on one connection.
func BenchmarkApply(b *testing.B) {
	benchApply(b, benchChange)
}

// BenchmarkApplyAnswers is BenchmarkApply with an answer and a ledger
// entry in every change: the follow-up round trip and the answer indexes.
func BenchmarkApplyAnswers(b *testing.B) {
	benchApply(b, benchAnswer)
}

func benchApply(b *testing.B, change func(seq uint64) contextstore.Change) {
	s := benchStore(b)
	var seq uint64
	for b.Loop() {
		b.StopTimer()
		batch := contextstore.Batch{Epoch: storetest.Epoch, Changes: make([]contextstore.Change, benchBatch)}
		for i := range batch.Changes {
			seq++
			batch.Changes[i] = change(seq)
		}
		batch.AppliedSeq = seq
		b.StartTimer()
		if err := s.Apply(b.Context(), batch); err != nil {
			b.Fatalf("Apply: %v", err)
		}
	}
	b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "interactions/s")
}

// BenchmarkSnapshot reads a citizen with 200 interactions, 5 links and 3
// cases, showing the 20 most recent.
func BenchmarkSnapshot(b *testing.B) {
	s := benchStore(b)
	var changes []contextstore.Change
	for seq := uint64(1); seq <= 200; seq++ {
		c := benchChange(seq * benchCitizens)
		if seq <= 5 {
			c.Links[0].Key = fmt.Sprintf("email:%d@example.fr", seq)
		}
		if seq <= 3 {
			c.Case = &contextstore.Case{Reference: fmt.Sprintf("DOS-%d", seq), Topic: "housing.benefit",
				Status: interactionv1.CaseStatus_CASE_STATUS_SUBMITTED}
		}
		changes = append(changes, c)
	}
	storetest.ApplyAll(b, s, contextstore.Batch{Epoch: storetest.Epoch, AppliedSeq: 200 * benchCitizens, Changes: changes})
	for b.Loop() {
		snap, err := s.Snapshot(b.Context(), "citizen-00000", 20)
		if err != nil || len(snap.Recent) != 20 || len(snap.Links) != 6 || len(snap.Cases) != 3 {
			b.Fatalf("Snapshot = %d recent, %d links, %d cases, %v", len(snap.Recent), len(snap.Links), len(snap.Cases), err)
		}
	}
}

// BenchmarkAnswerHolders reads one page of 100 holders below the newest
// version, from the middle of the citizens: the time must not grow with
// their number.
func BenchmarkAnswerHolders(b *testing.B) {
	for _, n := range []int{10_000, 200_000} {
		b.Run(fmt.Sprintf("holders=%d", n), func(b *testing.B) {
			s := benchStore(b)
			for start := 0; start < n; start += benchBatch {
				batch := contextstore.Batch{Epoch: storetest.Epoch, AppliedSeq: uint64(start + benchBatch)}
				for i := start + 1; i <= start+benchBatch; i++ {
					c := contextstore.Change{Seq: uint64(i), CitizenID: fmt.Sprintf("c_%07d", i), Answer: &contextstore.AnswerRecord{
						Topic: "housing.benefit", AnswerID: "aid-eligibility", Version: uint32(1 + i%4),
					}}
					batch.Changes = append(batch.Changes, c)
				}
				storetest.ApplyAll(b, s, batch)
			}
			after := fmt.Sprintf("c_%07d", n/2)
			for b.Loop() {
				h, err := s.AnswerHolders(b.Context(), "aid-eligibility", 4, after, 100)
				if err != nil || len(h) != 100 {
					b.Fatalf("AnswerHolders = %d holders, %v", len(h), err)
				}
			}
		})
	}
}
