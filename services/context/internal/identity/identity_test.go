package identity_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	v1 "unisson.dev/proto/unisson/interaction/v1"

	"unisson.dev/services/context/internal/contextstore"
	"unisson.dev/services/context/internal/identity"
)

const (
	claimed  = v1.Assurance_ASSURANCE_CLAIMED
	verified = v1.Assurance_ASSURANCE_VERIFIED
)

func link(key string, a v1.Assurance) contextstore.Link {
	return contextstore.Link{Key: key, Assurance: a}
}

func owner(id string, a v1.Assurance) contextstore.Owner {
	return contextstore.Owner{CitizenID: id, Assurance: a}
}

func TestResolve(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		known  string
		links  []contextstore.Link
		owners map[string]contextstore.Owner
		want   identity.Decision
	}{
		{
			name:  "unknown claimed identifier creates a provisional citizen",
			links: []contextstore.Link{link("email:a@x.fr", claimed)},
			want:  identity.Decision{CitizenID: "new", Links: []contextstore.Link{link("email:a@x.fr", claimed)}},
		},
		{
			name:   "known claimed identifier attaches to its citizen",
			links:  []contextstore.Link{link("email:a@x.fr", claimed), link("phone:+33612345678", claimed)},
			owners: map[string]contextstore.Owner{"email:a@x.fr": owner("A", claimed)},
			want:   identity.Decision{CitizenID: "A", Links: []contextstore.Link{link("phone:+33612345678", claimed)}},
		},
		{
			name:  "claimed identifiers of two citizens never merge them",
			links: []contextstore.Link{link("email:a@x.fr", claimed), link("phone:+33612345678", claimed)},
			owners: map[string]contextstore.Owner{
				"email:a@x.fr": owner("A", claimed), "phone:+33612345678": owner("B", claimed),
			},
			want: identity.Decision{CitizenID: "A", Suggested: []string{"B"}},
		},
		{
			name:  "verified identifiers of two citizens merge them",
			links: []contextstore.Link{link("idp:fc|123", verified), link("email:a@x.fr", verified)},
			owners: map[string]contextstore.Owner{
				"idp:fc|123": owner("A", verified), "email:a@x.fr": owner("B", claimed),
			},
			want: identity.Decision{CitizenID: "A", Verified: true, MergeFrom: []string{"B"},
				Links: []contextstore.Link{link("email:a@x.fr", verified)}},
		},
		{
			name:   "verified identifier upgrades a claimed link",
			links:  []contextstore.Link{link("email:a@x.fr", verified)},
			owners: map[string]contextstore.Owner{"email:a@x.fr": owner("A", claimed)},
			want:   identity.Decision{CitizenID: "A", Verified: true, Links: []contextstore.Link{link("email:a@x.fr", verified)}},
		},
		{
			name:   "a stored verified link is preferred over a claimed one",
			links:  []contextstore.Link{link("email:a@x.fr", claimed), link("phone:+33612345678", claimed)},
			owners: map[string]contextstore.Owner{"email:a@x.fr": owner("A", claimed), "phone:+33612345678": owner("B", verified)},
			want:   identity.Decision{CitizenID: "B", Suggested: []string{"A"}},
		},
		{
			name:   "a claimed case reference only suggests its owner",
			links:  []contextstore.Link{link("email:b@x.fr", claimed), {Key: "case:CAF-1", Type: v1.IdentifierType_IDENTIFIER_TYPE_CASE_REFERENCE, Assurance: claimed}},
			owners: map[string]contextstore.Owner{"case:CAF-1": owner("A", claimed)},
			want:   identity.Decision{CitizenID: "new", Links: []contextstore.Link{link("email:b@x.fr", claimed)}, Suggested: []string{"A"}},
		},
		{
			name:   "a known citizen id wins and claimed links of others stay theirs",
			known:  "K",
			links:  []contextstore.Link{link("email:a@x.fr", claimed)},
			owners: map[string]contextstore.Owner{"email:a@x.fr": owner("A", claimed)},
			want:   identity.Decision{CitizenID: "K", Suggested: []string{"A"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := identity.Resolve(tt.known, tt.links, tt.owners, "new")
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("Resolve (-want +got):\n%s", diff)
			}
		})
	}
}

func TestKeysAddsCaseReference(t *testing.T) {
	t.Parallel()
	ix := &v1.Interaction{
		Subject: &v1.Subject{Identifiers: []*v1.Identifier{
			{Type: v1.IdentifierType_IDENTIFIER_TYPE_EMAIL, Value: "a@x.fr", Assurance: claimed},
			{Type: v1.IdentifierType_IDENTIFIER_TYPE_EMAIL, Value: "a@x.fr", Assurance: verified},
		}},
		CaseReference: "caf-1",
	}
	got := identity.Keys(ix)
	want := []contextstore.Link{
		{Key: "email:a@x.fr", Type: v1.IdentifierType_IDENTIFIER_TYPE_EMAIL, Value: "a@x.fr", Assurance: verified},
		{Key: "case:CAF-1", Type: v1.IdentifierType_IDENTIFIER_TYPE_CASE_REFERENCE, Value: "CAF-1", Assurance: claimed},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("Keys (-want +got):\n%s", diff)
	}
}
