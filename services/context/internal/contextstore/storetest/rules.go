package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
	"unisson.dev/services/context/internal/contextstore"
)

func testLinkUpgrade(t *testing.T, open func(t *testing.T) contextstore.Store) {
	s := Fresh(t, open)
	steps := []struct {
		name      string
		change    contextstore.Change
		wantLink  contextstore.Link
		wantOwner contextstore.Owner
	}{
		{"claimed", withLinks(Change(1, "A"), link(keyA, claimed, 1)),
			link(keyA, claimed, 1), contextstore.Owner{CitizenID: "A", Assurance: claimed}},
		{"claimed again", withLinks(Change(2, "A"), link(keyA, claimed, 2)),
			link(keyA, claimed, 1), contextstore.Owner{CitizenID: "A", Assurance: claimed}},
		{"verified", withLinks(Change(3, "A"), link(keyA, verified, 3)),
			link(keyA, verified, 3), contextstore.Owner{CitizenID: "A", Assurance: verified}},
		{"claimed after verified", withLinks(Change(4, "A"), link(keyA, claimed, 4)),
			link(keyA, verified, 3), contextstore.Owner{CitizenID: "A", Assurance: verified}},
	}
	for _, st := range steps {
		ApplyAll(t, s, batch(st.change.Seq, st.change))
		snap := snapshot(t, s, "A", 0)
		if diff := cmp.Diff([]contextstore.Link{st.wantLink}, snap.Links); diff != "" {
			t.Errorf("%s: links mismatch (-want +got):\n%s", st.name, diff)
		}
		wantOwners := map[string]contextstore.Owner{keyA: st.wantOwner}
		if diff := cmp.Diff(wantOwners, lookup(t, s, keyA)); diff != "" {
			t.Errorf("%s: Lookup mismatch (-want +got):\n%s", st.name, diff)
		}
	}
}

func testCaseUpdate(t *testing.T, open func(t *testing.T) contextstore.Store) {
	s := Fresh(t, open)
	opened := withCase(Change(1, "A"), "DOS-1", interactionv1.CaseStatus_CASE_STATUS_SUBMITTED)
	review := withCase(Change(3, "A"), "DOS-1", interactionv1.CaseStatus_CASE_STATUS_IN_REVIEW)
	late := withCase(Change(2, "A"), "DOS-1", interactionv1.CaseStatus_CASE_STATUS_REJECTED)
	same := withCase(Change(3, "A"), "DOS-1", interactionv1.CaseStatus_CASE_STATUS_CLOSED)
	steps := []struct {
		name   string
		change contextstore.Change
		want   contextstore.Case
	}{
		{"opened", opened, dossier(interactionv1.CaseStatus_CASE_STATUS_SUBMITTED, At(1), 1)},
		{"newer updates and keeps OpenedAt", review, dossier(interactionv1.CaseStatus_CASE_STATUS_IN_REVIEW, At(3), 3)},
		// The citizen's version guards these two (see testSeqGuard); a
		// merge reaches the case's own rule.
		{"older change is skipped", late, dossier(interactionv1.CaseStatus_CASE_STATUS_IN_REVIEW, At(3), 3)},
		{"same seq is skipped", same, dossier(interactionv1.CaseStatus_CASE_STATUS_IN_REVIEW, At(3), 3)},
	}
	for _, st := range steps {
		ApplyAll(t, s, batch(3, st.change))
		snap := snapshot(t, s, "A", 0)
		if diff := cmp.Diff([]contextstore.Case{st.want}, snap.Cases); diff != "" {
			t.Errorf("%s: cases mismatch (-want +got):\n%s", st.name, diff)
		}
	}
}

// dossier is case DOS-1 opened at seq 1, as last updated at seq.
func dossier(st interactionv1.CaseStatus, updatedAt time.Time, seq uint64) contextstore.Case {
	return contextstore.Case{
		Reference: "DOS-1", Topic: "housing.benefit", Status: st,
		OpenedAt: At(1), UpdatedAt: updatedAt, UpdatedSeq: seq,
	}
}
