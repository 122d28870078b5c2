package contextapp

import (
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	"unisson.dev/platform/identifier"
	"unisson.dev/platform/interaction"
	answerv1 "unisson.dev/proto/unisson/answer/v1"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"

	"unisson.dev/services/context/internal/contextstore"
)

// maxRecentFacts bounds the recent interactions conditions see.
const maxRecentFacts = 20

// Facts is the view of a snapshot that answer conditions read. Answers
// given are left out of the recent interactions: giving an answer must not
// change the situation the next answer is computed from.
func Facts(s contextstore.Snapshot) *answerv1.CitizenFacts {
	f := &answerv1.CitizenFacts{InteractionCount: s.InteractionCount - answersGiven(s)}
	seen := map[string]bool{}
	for _, l := range s.Links {
		if l.Assurance == interactionv1.Assurance_ASSURANCE_VERIFIED {
			f.Verified = true
		}
		if t := identifier.TypeName(l.Type); !seen[t] {
			seen[t] = true
			f.IdentifierTypes = append(f.IdentifierTypes, t)
		}
	}
	for _, c := range s.Cases {
		f.Cases = append(f.Cases, &answerv1.CaseFact{
			Reference: c.Reference, Topic: c.Topic, Status: StatusName(c.Status), UpdatedAt: timestamppb.New(c.UpdatedAt),
		})
	}
	for _, e := range s.Recent {
		if e.Kind() == interactionv1.Kind_KIND_ANSWER_GIVEN {
			continue
		}
		if len(f.Recent) == maxRecentFacts {
			break
		}
		ix, err := e.Interaction()
		if err != nil {
			// The store wrote it; a corrupt entry is left out of the facts
			// rather than failing every answer for this citizen.
			continue
		}
		f.Recent = append(f.Recent, &answerv1.InteractionFact{
			Channel: interaction.ChannelName(ix.GetChannel()), Kind: interaction.KindName(ix.GetKind()),
			Topic: ix.GetTopic(), OccurredAt: ix.GetOccurredAt(),
		})
	}
	return f
}

// StatusName is the lower-case name of a case status ("in_review").
func StatusName(s interactionv1.CaseStatus) string {
	if s == interactionv1.CaseStatus_CASE_STATUS_UNSPECIFIED {
		return ""
	}
	return strings.ToLower(strings.TrimPrefix(s.String(), "CASE_STATUS_"))
}

// FactsVersion is the log position of the newest interaction, other than an
// answer given, among the snapshot's recent ones: the version of the
// situation answers are computed from. Two channels asking in turn thus see
// the same version, although the first answer was recorded in between.
func FactsVersion(s contextstore.Snapshot) uint64 {
	for _, e := range s.Recent {
		if e.Kind() != interactionv1.Kind_KIND_ANSWER_GIVEN {
			return e.Seq
		}
	}
	if s.InteractionCount <= int64(len(s.Recent)) {
		// Only answers so far: the situation is that of an unknown citizen.
		return 0
	}
	return s.Citizen.Version
}

// answersGiven counts the answers among the recent interactions, so that
// interaction_count leaves them out (exactly while the whole timeline fits
// in the recent window the answer use case reads, 100 interactions).
func answersGiven(s contextstore.Snapshot) int64 {
	var n int64
	for _, e := range s.Recent {
		if e.Kind() == interactionv1.Kind_KIND_ANSWER_GIVEN {
			n++
		}
	}
	return n
}
