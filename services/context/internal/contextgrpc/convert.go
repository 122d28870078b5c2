package contextgrpc

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	contextv1 "unisson.dev/proto/unisson/context/v1"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"

	"unisson.dev/services/context/internal/contextstore"
)

// citizenContext is s as a message, without its recent entries: the
// response frames them (see framed).
func citizenContext(s contextstore.Snapshot) *contextv1.CitizenContext {
	c := &contextv1.CitizenContext{
		CitizenId:        s.Citizen.ID,
		Provisional:      true,
		InteractionCount: s.InteractionCount,
		MergedCitizenIds: s.Citizen.Merged,
		CreatedAt:        ts(s.Citizen.CreatedAt),
		UpdatedAt:        ts(s.Citizen.UpdatedAt),
	}
	if len(s.Links) > 0 {
		c.Identifiers = make([]*contextv1.LinkedIdentifier, 0, len(s.Links))
	}
	for _, l := range s.Links {
		if l.Assurance == interactionv1.Assurance_ASSURANCE_VERIFIED {
			c.Provisional = false
		}
		c.Identifiers = append(c.Identifiers, &contextv1.LinkedIdentifier{
			Type: l.Type, Value: l.Value, Assurance: l.Assurance, LinkedAtVersion: l.Seq,
		})
	}
	if len(s.Cases) > 0 {
		c.Cases = make([]*contextv1.Case, 0, len(s.Cases))
	}
	for _, k := range s.Cases {
		c.Cases = append(c.Cases, &contextv1.Case{
			Reference: k.Reference, Topic: k.Topic, Status: k.Status,
			OpenedAt: ts(k.OpenedAt), UpdatedAt: ts(k.UpdatedAt), UpdatedAtVersion: k.UpdatedSeq,
		})
	}
	return c
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}
