package knowledge

import (
	"slices"
	"strconv"
	"strings"

	answerv1 "unisson.dev/proto/unisson/answer/v1"
)

// factsUsed lists the facts the answer's condition reads, so that the
// ledger shows what an answer was computed from. Names:
//
//	citizen.verified=true
//	citizen.identifier_types=email,phone     (sorted)
//	case.count=1                             (cases of the answer's topic)
//	case.<REFERENCE>.status=in_review        (one per case of the topic)
//	profile.<key>=<value>                    (empty when absent)
//	citizen.recent.count=3
//	citizen.interaction_count=12
//
// The list is sorted by name, then value.
func (a *Answer) factsUsed(f *answerv1.CitizenFacts) []*answerv1.Fact {
	if a.cond == nil {
		return nil
	}
	u := a.cond.uses
	var out []*answerv1.Fact
	add := func(name, value string) { out = append(out, &answerv1.Fact{Name: name, Value: value}) }
	if u.fields["verified"] {
		add("citizen.verified", strconv.FormatBool(f.GetVerified()))
	}
	if u.fields["identifier_types"] {
		types := slices.Clone(f.GetIdentifierTypes())
		slices.Sort(types)
		add("citizen.identifier_types", strings.Join(types, ","))
	}
	if u.fields["cases"] {
		n := 0
		for _, c := range f.GetCases() {
			if c.GetTopic() == a.Topic {
				n++
				add("case."+c.GetReference()+".status", c.GetStatus())
			}
		}
		add("case.count", strconv.Itoa(n))
	}
	if u.fields["profile"] {
		for _, k := range profileKeys(u, f) {
			add("profile."+k, f.GetProfile()[k].GetValue())
		}
	}
	if u.fields["recent"] {
		add("citizen.recent.count", strconv.Itoa(len(f.GetRecent())))
	}
	if u.fields["interaction_count"] {
		add("citizen.interaction_count", strconv.FormatInt(f.GetInteractionCount(), 10))
	}
	slices.SortStableFunc(out, func(x, y *answerv1.Fact) int {
		if c := strings.Compare(x.Name, y.Name); c != 0 {
			return c
		}
		return strings.Compare(x.Value, y.Value)
	})
	return out
}

// profileKeys are the profile keys a condition reads: its constant keys,
// or every key of the citizen's profile when it indexes dynamically.
func profileKeys(u usage, f *answerv1.CitizenFacts) []string {
	keys := slices.Clone(u.profileKeys)
	if u.profileAll {
		for k := range f.GetProfile() {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}
