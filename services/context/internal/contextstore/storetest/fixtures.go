package storetest

import (
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"unisson.dev/platform/identifier"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
	"unisson.dev/services/context/internal/contextstore"
)

// Identifier keys used by the fixtures.
var (
	keyA      = identifier.Key(interactionv1.IdentifierType_IDENTIFIER_TYPE_EMAIL, "a@example.fr")
	keyShared = identifier.Key(interactionv1.IdentifierType_IDENTIFIER_TYPE_EMAIL, "shared@example.fr")
	keyPhone  = identifier.Key(interactionv1.IdentifierType_IDENTIFIER_TYPE_PHONE, "+33612345678")
	keyDevice = identifier.Key(interactionv1.IdentifierType_IDENTIFIER_TYPE_DEVICE_ID, "dev-1")
	keyIDP    = identifier.Key(interactionv1.IdentifierType_IDENTIFIER_TYPE_IDP_SUBJECT, "https://idp.example.fr|42")
)

const (
	claimed  = interactionv1.Assurance_ASSURANCE_CLAIMED
	verified = interactionv1.Assurance_ASSURANCE_VERIFIED
)

var epoch0 = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)

// At is the time the fixtures give log position seq.
func At(seq uint64) time.Time {
	return epoch0.Add(time.Duration(seq)*time.Minute + time.Duration(seq)*time.Nanosecond)
}

// Interaction is an inbound e-mail at log position seq, with every common
// field set so that encodings are exercised.
func Interaction(seq uint64, text string) *interactionv1.Interaction {
	return &interactionv1.Interaction{
		Id:         fmt.Sprintf("01JQ%022d", seq),
		OccurredAt: timestamppb.New(At(seq)),
		Channel:    interactionv1.Channel_CHANNEL_EMAIL,
		Kind:       interactionv1.Kind_KIND_MESSAGE,
		Direction:  interactionv1.Direction_DIRECTION_INBOUND,
		Actor:      &interactionv1.Actor{Role: interactionv1.ActorRole_ACTOR_ROLE_CITIZEN},
		Subject: &interactionv1.Subject{Identifiers: []*interactionv1.Identifier{{
			Type: interactionv1.IdentifierType_IDENTIFIER_TYPE_EMAIL, Value: "a@example.fr", Assurance: claimed,
		}}},
		Topic: "housing.benefit",
		Text:  text,
		Details: &interactionv1.Interaction_Email{Email: &interactionv1.EmailDetails{
			MessageId: fmt.Sprintf("<%d@example.fr>", seq), Subject: "Demande d'aide",
		}},
	}
}

// Change is the change of one interaction at seq for citizen.
func Change(seq uint64, citizen string) contextstore.Change {
	return contextstore.Change{
		Seq: seq, CitizenID: citizen, OccurredAt: At(seq),
		Interaction: Interaction(seq, fmt.Sprintf("message %d", seq)),
	}
}

func withLinks(c contextstore.Change, links ...contextstore.Link) contextstore.Change {
	c.Links = links
	return c
}

// Answer ids and topics used by the fixtures.
const (
	answerElig = "aid-eligibility"
	answerDocs = "aid-documents"
	topicAid   = "housing.benefit"
	topicTax   = "tax.local"
)

// withAnswer records the answer id@version given on topic from context
// version cv on ch; the interaction is left as it is, the store does not
// read it.
func withAnswer(c contextstore.Change, topic, id string, version uint32, cv uint64, ch interactionv1.Channel) contextstore.Change {
	c.Answer = &contextstore.AnswerRecord{Topic: topic, AnswerID: id, Version: version, ContextVersion: cv, Channel: ch}
	return c
}

func withLedger(c contextstore.Change, hash string) contextstore.Change {
	c.Ledger = &contextstore.LedgerEntry{Hash: hash}
	return c
}

func withCase(c contextstore.Change, ref string, st interactionv1.CaseStatus) contextstore.Change {
	c.Case = &contextstore.Case{
		Reference: ref, Topic: "housing.benefit", Status: st,
		OpenedAt: c.OccurredAt, UpdatedAt: c.OccurredAt, UpdatedSeq: c.Seq,
	}
	return c
}

// link is a link as Apply stores it at seq.
func link(key string, a interactionv1.Assurance, seq uint64) contextstore.Link {
	name, value, _ := strings.Cut(key, ":")
	typ, _ := identifier.ParseTypeName(name)
	return contextstore.Link{Key: key, Type: typ, Value: value, Assurance: a, Seq: seq}
}

// History is a short log touching every projection, in three batches: A
// and B are created with overlapping cases, B's device is taken over by C,
// A takes B's shared address, then A absorbs B (and an unknown citizen)
// and upgrades B's phone, and C logs in without an interaction. B and A
// are given the eligibility answer, then A the documents answer from the
// same context version: a divergence, and A leaves the eligibility
// holders while B, merged, stays.
func History(epoch string) []contextstore.Batch {
	email, phone := interactionv1.Channel_CHANNEL_EMAIL, interactionv1.Channel_CHANNEL_PHONE
	return []contextstore.Batch{
		{Epoch: epoch, AppliedSeq: 3, Changes: []contextstore.Change{
			withCase(withLinks(Change(1, "A"), link(keyA, verified, 1)),
				"DOS-1", interactionv1.CaseStatus_CASE_STATUS_SUBMITTED),
			withCase(withLinks(Change(2, "B"), link(keyPhone, claimed, 2), link(keyShared, claimed, 2),
				link(keyDevice, claimed, 2)), "DOS-1", interactionv1.CaseStatus_CASE_STATUS_IN_REVIEW),
			withLedger(withAnswer(withCase(Change(3, "B"), "DOS-2", interactionv1.CaseStatus_CASE_STATUS_SUBMITTED),
				topicAid, answerElig, 1, 2, email), "ledger-3"),
		}},
		{Epoch: epoch, AppliedSeq: 6, Changes: []contextstore.Change{
			withLedger(withAnswer(withLinks(Change(4, "A"), link(keyShared, verified, 4)),
				topicAid, answerElig, 1, 1, phone), "ledger-4"),
			withLinks(Change(5, "C"), link(keyDevice, claimed, 5)),
		}},
		{Epoch: epoch, AppliedSeq: 9, Changes: []contextstore.Change{
			mergeChange(7, "A", "B", "ghost"),
			withLedger(withAnswer(withLinks(Change(8, "A"), link(keyPhone, verified, 8)),
				topicAid, answerDocs, 2, 1, email), "ledger-8"),
			{Seq: 9, CitizenID: "C", OccurredAt: At(9), Links: []contextstore.Link{link(keyIDP, verified, 9)}},
		}},
	}
}

// HistoryDivergences are the divergences History records.
func HistoryDivergences() []contextstore.Divergence {
	return []contextstore.Divergence{{
		Seq: 8, CitizenID: "A", Topic: topicAid, ContextVersion: 1,
		First: answerElig + "@1 on phone", Second: answerDocs + "@2 on email",
	}}
}

func mergeChange(seq uint64, target string, from ...string) contextstore.Change {
	c := Change(seq, target)
	c.MergeFrom = from
	c.Interaction.Kind = interactionv1.Kind_KIND_NOTE
	c.Interaction.Actor = &interactionv1.Actor{Role: interactionv1.ActorRole_ACTOR_ROLE_AGENT, Id: "agent-7"}
	return c
}

// SnapshotBatch gives citizen 200 interactions of about 512 bytes of text,
// 6 links and 3 cases: the citizen the snapshot benchmarks read a first
// page of (see CheckSnapshotPage).
func SnapshotBatch(epoch, citizen string) contextstore.Batch {
	b := contextstore.Batch{Epoch: epoch, AppliedSeq: 200}
	for seq := uint64(1); seq <= 200; seq++ {
		c := Change(seq, citizen)
		c.Interaction.Text = strings.Repeat("Bonjour, je souhaite savoir où en est mon dossier. ", 10)
		key := "email:" + citizen + "@example.fr"
		if seq <= 5 {
			key = fmt.Sprintf("email:%d@example.fr", seq)
		}
		c.Links = []contextstore.Link{{Key: key, Type: interactionv1.IdentifierType_IDENTIFIER_TYPE_EMAIL,
			Value: strings.TrimPrefix(key, "email:"), Assurance: interactionv1.Assurance_ASSURANCE_CLAIMED}}
		if seq <= 3 {
			c.Case = &contextstore.Case{Reference: fmt.Sprintf("DOS-%d", seq), Topic: topicAid,
				Status: interactionv1.CaseStatus_CASE_STATUS_SUBMITTED}
		}
		b.Changes = append(b.Changes, c)
	}
	return b
}

// CheckSnapshotPage reports whether snap is a first page of 20 of the
// citizen SnapshotBatch writes.
func CheckSnapshotPage(snap contextstore.Snapshot, err error) error {
	if err != nil || len(snap.Recent) != 20 || len(snap.Links) != 6 || len(snap.Cases) != 3 {
		return fmt.Errorf("Snapshot = %d recent, %d links, %d cases, %v", len(snap.Recent), len(snap.Links), len(snap.Cases), err)
	}
	return nil
}
