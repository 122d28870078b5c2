package knowledge

import (
	"fmt"
	"strings"

	answerv1 "unisson.dev/proto/unisson/answer/v1"
)

// maxSamples bounds the situations tried for two answers.
const maxSamples = 4096

// sampleStatuses are the case statuses a sample situation may have.
var sampleStatuses = []string{"submitted", "in_review", "awaiting_documents", "accepted", "rejected", "closed"}

// checkAmbiguity refuses two answers of one topic with the same priority
// and overlapping validity that both apply to one situation: which one a
// citizen got would then depend on their ids, not on the authors' intent.
func checkAmbiguity(b *Base, ps *problems) {
	for _, topic := range b.topics {
		list := b.byTopic[topic]
		for i, x := range list {
			for _, y := range list[i+1:] {
				if x.cond != nil && y.cond != nil && x.Priority == y.Priority && x.overlaps(y) {
					checkPair(topic, ordered(x, y), ps)
				}
			}
		}
	}
}

// ordered puts the pair in file order, so the later answer is blamed.
func ordered(x, y *Answer) [2]*Answer {
	if x.File > y.File || (x.File == y.File && x.Line > y.Line) {
		x, y = y, x
	}
	return [2]*Answer{x, y}
}

// checkPair tries both answers over the sample situations their
// conditions call for, and reports the first where both apply.
func checkPair(topic string, p [2]*Answer, ps *problems) {
	sp := newSpace(topic, p[:])
	if sp.size > maxSamples {
		ps.add(p[1].File, p[1].Line, "cannot check that answers %q (%s:%d) and %q of topic %q never both apply: "+
			"%d situations to try, at most %d; give them different priorities", p[0].ID, p[0].File, p[0].Line, p[1].ID, topic, sp.size, maxSamples)
		return
	}
	samples := sp.all()
	first, second := applicable(p[0], samples), applicable(p[1], samples)
	for i := range samples {
		if first[i] && second[i] {
			ps.add(p[1].File, p[1].Line, "ambiguous answers %q (%s:%d) and %q (%s:%d): same topic %q, same priority %d, "+
				"overlapping validity, and both apply when %s; give them different priorities or exclusive conditions",
				p[0].ID, p[0].File, p[0].Line, p[1].ID, p[1].File, p[1].Line, topic, p[0].Priority, sp.describe(i))
			return
		}
	}
}

// applicable tells, for each sample, whether a would be given.
func applicable(a *Answer, samples []*answerv1.CitizenFacts) []bool {
	out := make([]bool, len(samples))
	for i, s := range samples {
		ok, _ := a.cond.eval(s)
		out[i] = ok && (s.GetVerified() || !a.RequiresVerifiedIdentity)
	}
	return out
}

// space is the finite set of situations tried for two answers of a topic:
// verified or not, × no case or one case of the topic in each status, × 0
// or 3 interactions, × for each profile key their conditions read with a
// constant key: absent, each constant of their conditions, or "other".
type space struct {
	topic  string
	keys   []string
	values []string // candidate values of every key; index 0 means absent
	radix  []int
	size   int
}

func newSpace(topic string, list []*Answer) *space {
	sp := &space{topic: topic, values: []string{""}}
	seenKey, seenVal := map[string]bool{}, map[string]bool{}
	for _, a := range list {
		if a.cond == nil {
			continue
		}
		for _, k := range a.cond.uses.profileKeys {
			if !seenKey[k] {
				seenKey[k] = true
				sp.keys = append(sp.keys, k)
			}
		}
		for _, v := range append(a.cond.uses.literals, "other") {
			if !seenVal[v] {
				seenVal[v] = true
				sp.values = append(sp.values, v)
			}
		}
	}
	sp.radix = []int{2, len(sampleStatuses) + 1, 2}
	sp.size = 2 * (len(sampleStatuses) + 1) * 2
	for range sp.keys {
		sp.radix = append(sp.radix, len(sp.values))
		if sp.size *= len(sp.values); sp.size > maxSamples {
			sp.size = maxSamples + 1 // enough to refuse, and no overflow
		}
	}
	return sp
}

// digits decodes sample i, the first dimension varying slowest.
func (sp *space) digits(i int) []int {
	d := make([]int, len(sp.radix))
	for k := len(sp.radix) - 1; k >= 0; k-- {
		d[k], i = i%sp.radix[k], i/sp.radix[k]
	}
	return d
}

// all builds every sample situation, in order.
func (sp *space) all() []*answerv1.CitizenFacts {
	out := make([]*answerv1.CitizenFacts, sp.size)
	for i := range out {
		d := sp.digits(i)
		f := &answerv1.CitizenFacts{Verified: d[0] == 1, InteractionCount: int64(3 * d[2])}
		if d[1] > 0 {
			f.Cases = []*answerv1.CaseFact{{Reference: "SAMPLE-1", Topic: sp.topic, Status: sampleStatuses[d[1]-1]}}
		}
		for k, key := range sp.keys {
			if v := d[3+k]; v > 0 {
				if f.Profile == nil {
					f.Profile = map[string]*answerv1.ProfileFact{}
				}
				f.Profile[key] = &answerv1.ProfileFact{Value: sp.values[v], Source: "declared"}
			}
		}
		out[i] = f
	}
	return out
}

// describe says sample i in words, for the author.
func (sp *space) describe(i int) string {
	d := sp.digits(i)
	parts := []string{fmt.Sprintf("verified=%t", d[0] == 1)}
	if d[1] == 0 {
		parts = append(parts, "no "+sp.topic+" case")
	} else {
		parts = append(parts, fmt.Sprintf("one %s case in status %s", sp.topic, sampleStatuses[d[1]-1]))
	}
	parts = append(parts, fmt.Sprintf("interaction_count=%d", 3*d[2]))
	for k, key := range sp.keys {
		if v := d[3+k]; v > 0 {
			parts = append(parts, fmt.Sprintf("profile[%q].value=%q", key, sp.values[v]))
		} else {
			parts = append(parts, fmt.Sprintf("profile[%q] absent", key))
		}
	}
	return strings.Join(parts, ", ")
}
