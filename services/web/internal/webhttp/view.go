package webhttp

import (
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"unisson.dev/platform/identifier"
	"unisson.dev/platform/interaction"
	contextv1 "unisson.dev/proto/unisson/context/v1"
	"unisson.dev/services/web/internal/intake"
)

// The views show the context service's answers with short lower-case names
// ("email", "claimed", "in_review") rather than protobuf enum names, and
// empty lists as [] rather than null.

type contextView struct {
	CitizenID        string           `json:"citizen_id"`
	Provisional      bool             `json:"provisional"`
	Identifiers      []identifierView `json:"identifiers"`
	Cases            []caseView       `json:"cases"`
	Recent           []entryView      `json:"recent"`
	InteractionCount int64            `json:"interaction_count"`
	ContextVersion   uint64           `json:"context_version"`
}

type identifierView struct {
	Type      string `json:"type"`
	Value     string `json:"value"`
	Assurance string `json:"assurance"`
}

type caseView struct {
	Reference string `json:"reference"`
	Topic     string `json:"topic"`
	Status    string `json:"status"`
	UpdatedAt string `json:"updated_at,omitempty"`
}

type entryView struct {
	InteractionID string `json:"interaction_id"`
	OccurredAt    string `json:"occurred_at,omitempty"`
	Channel       string `json:"channel"`
	Kind          string `json:"kind"`
	Direction     string `json:"direction"`
	Topic         string `json:"topic"`
	CaseReference string `json:"case_reference"`
	CaseStatus    string `json:"case_status,omitempty"`
	FormID        string `json:"form_id,omitempty"`
	Text          string `json:"text"`
}

type timelineView struct {
	Entries        []entryView `json:"entries"`
	NextPageToken  string      `json:"next_page_token"`
	ContextVersion uint64      `json:"context_version"`
}

func newContextView(resp *contextv1.GetContextResponse) contextView {
	c := resp.GetContext()
	v := contextView{
		CitizenID:        c.GetCitizenId(),
		Provisional:      c.GetProvisional(),
		Identifiers:      make([]identifierView, 0, len(c.GetIdentifiers())),
		Cases:            make([]caseView, 0, len(c.GetCases())),
		Recent:           entries(c.GetRecent()),
		InteractionCount: c.GetInteractionCount(),
		ContextVersion:   resp.GetContextVersion(),
	}
	for _, id := range c.GetIdentifiers() {
		v.Identifiers = append(v.Identifiers, identifierView{Type: identifier.TypeName(id.GetType()),
			Value: id.GetValue(), Assurance: enumName(id.GetAssurance().String(), "ASSURANCE_")})
	}
	for _, cs := range c.GetCases() {
		v.Cases = append(v.Cases, caseView{Reference: cs.GetReference(), Topic: cs.GetTopic(),
			Status: intake.CaseStatusName(cs.GetStatus()), UpdatedAt: timestamp(cs.GetUpdatedAt())})
	}
	return v
}

func newTimelineView(resp *contextv1.ListTimelineResponse) timelineView {
	return timelineView{Entries: entries(resp.GetEntries()), NextPageToken: resp.GetNextPageToken(),
		ContextVersion: resp.GetContextVersion()}
}

func entries(in []*contextv1.TimelineEntry) []entryView {
	out := make([]entryView, 0, len(in))
	for _, e := range in {
		ix := e.GetInteraction()
		if ix == nil {
			continue
		}
		out = append(out, entryView{
			InteractionID: ix.GetId(),
			OccurredAt:    timestamp(ix.GetOccurredAt()),
			Channel:       interaction.ChannelName(ix.GetChannel()),
			Kind:          interaction.KindName(ix.GetKind()),
			Direction:     enumName(ix.GetDirection().String(), "DIRECTION_"),
			Topic:         ix.GetTopic(),
			CaseReference: ix.GetCaseReference(),
			CaseStatus:    intake.CaseStatusName(ix.GetCaseStatus()),
			FormID:        ix.GetWeb().GetFormId(),
			Text:          ix.GetText(),
		})
	}
	return out
}

// enumName shortens a protobuf enum value name: "ASSURANCE_CLAIMED" becomes
// "claimed"; the unspecified value becomes "unknown".
func enumName(name, prefix string) string {
	short := strings.ToLower(strings.TrimPrefix(name, prefix))
	if short == "unspecified" || short == name {
		return "unknown"
	}
	return short
}

func timestamp(ts *timestamppb.Timestamp) string {
	if ts == nil || ts.CheckValid() != nil {
		return ""
	}
	return ts.AsTime().UTC().Format(time.RFC3339Nano)
}
