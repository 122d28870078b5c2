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

// Facts is the view of a snapshot that answer conditions read.
func Facts(s contextstore.Snapshot) *answerv1.CitizenFacts {
	f := &answerv1.CitizenFacts{InteractionCount: s.InteractionCount}
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
	for i, e := range s.Recent {
		if i == maxRecentFacts {
			break
		}
		ix := e.Interaction
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
