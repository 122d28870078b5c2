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

// BenchmarkApply measures one batch of 500 changes; interactions/s is the
// applier's ceiling on one connection.
func BenchmarkApply(b *testing.B) {
	s := benchStore(b)
	var seq uint64
	for b.Loop() {
		b.StopTimer()
		batch := contextstore.Batch{Epoch: storetest.Epoch, Changes: make([]contextstore.Change, benchBatch)}
		for i := range batch.Changes {
			seq++
			batch.Changes[i] = benchChange(seq)
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
