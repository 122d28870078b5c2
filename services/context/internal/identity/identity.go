// Package identity decides which citizen an interaction belongs to, from the
// identifiers the channel saw and the links the store already holds.
//
// The rules protect citizens from being confused with one another: a claimed
// identifier (a caller id, a From: address) can attach an interaction to the
// citizen it already points to, but only identifiers the interaction itself
// declares verified can merge two citizens' records.
package identity

import (
	"unisson.dev/platform/identifier"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"

	"unisson.dev/services/context/internal/contextstore"
)

// CitizenIDPrefix starts the id of every citizen the hub creates.
const CitizenIDPrefix = "c_"

// Decision is where an interaction goes and what it changes in the identity
// index.
type Decision struct {
	CitizenID string
	// Verified is true when the choice rests on a verified identifier.
	Verified bool
	// Links to add or upgrade on CitizenID.
	Links []contextstore.Link
	// MergeFrom lists citizens whose records merge into CitizenID.
	MergeFrom []string
	// Suggested lists other citizens matched by claimed identifiers only: an
	// agent may confirm they are the same person.
	Suggested []string
}

// Keys returns the identifier keys of ix, including its case reference,
// which is how the interaction can be looked up by dossier number.
func Keys(ix *interactionv1.Interaction) []contextstore.Link {
	ids := ix.GetSubject().GetIdentifiers()
	links := make([]contextstore.Link, 0, len(ids)+1)
	seen := make(map[string]int, len(ids)+1)
	add := func(t interactionv1.IdentifierType, v string, a interactionv1.Assurance) {
		k := identifier.Key(t, v)
		if i, ok := seen[k]; ok {
			if a > links[i].Assurance {
				links[i].Assurance = a
			}
			return
		}
		seen[k] = len(links)
		links = append(links, contextstore.Link{Key: k, Type: t, Value: v, Assurance: a})
	}
	for _, id := range ids {
		add(id.GetType(), id.GetValue(), id.GetAssurance())
	}
	if ref := ix.GetCaseReference(); ref != "" {
		if norm, err := identifier.Normalize(interactionv1.IdentifierType_IDENTIFIER_TYPE_CASE_REFERENCE, ref); err == nil {
			add(interactionv1.IdentifierType_IDENTIFIER_TYPE_CASE_REFERENCE, norm, interactionv1.Assurance_ASSURANCE_CLAIMED)
		}
	}
	return links
}

// Resolve decides the citizen of an interaction with identifier links
// (from Keys) given their current owners. newID is the id a new citizen
// gets; it must be derived from the log so that a replay decides the same.
func Resolve(knownCitizen string, links []contextstore.Link, owners map[string]contextstore.Owner, newID string) Decision {
	d := Decision{CitizenID: knownCitizen}
	if d.CitizenID == "" {
		d.CitizenID, d.Verified = pick(links, owners)
	}
	if d.CitizenID == "" {
		d.CitizenID = newID
	}
	for _, l := range links {
		o, owned := owners[l.Key]
		verified := l.Assurance == interactionv1.Assurance_ASSURANCE_VERIFIED
		switch {
		case !owned:
			d.Links = append(d.Links, l)
		case o.CitizenID == d.CitizenID:
			if l.Assurance > o.Assurance {
				d.Links = append(d.Links, l)
			}
		case verified:
			d.MergeFrom = appendOnce(d.MergeFrom, o.CitizenID)
			d.Links = append(d.Links, l)
		default:
			d.Suggested = appendOnce(d.Suggested, o.CitizenID)
		}
	}
	for _, m := range d.MergeFrom {
		d.Suggested = remove(d.Suggested, m)
	}
	return d
}

// pick chooses among known owners: first the owner of an identifier the
// interaction declares verified, then the owner of a link stored as
// verified, then any owner, each in the interaction's identifier order.
// A claimed case reference never picks: a dossier number is written on
// letters and forms that others see, so knowing it proves nothing.
func pick(links []contextstore.Link, owners map[string]contextstore.Owner) (string, bool) {
	verified := interactionv1.Assurance_ASSURANCE_VERIFIED
	for _, l := range links {
		if o, ok := owners[l.Key]; ok && l.Assurance == verified {
			return o.CitizenID, true
		}
	}
	for _, l := range links {
		if o, ok := owners[l.Key]; ok && o.Assurance == verified && !weak(l) {
			return o.CitizenID, false
		}
	}
	for _, l := range links {
		if o, ok := owners[l.Key]; ok && !weak(l) {
			return o.CitizenID, false
		}
	}
	return "", false
}

// weak reports whether a link may only suggest a citizen, never choose one.
func weak(l contextstore.Link) bool {
	return l.Type == interactionv1.IdentifierType_IDENTIFIER_TYPE_CASE_REFERENCE &&
		l.Assurance != interactionv1.Assurance_ASSURANCE_VERIFIED
}

func appendOnce(list []string, v string) []string {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, v)
}

func remove(list []string, v string) []string {
	out := list[:0]
	for _, x := range list {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}
