package contextapp

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"unisson.dev/services/context/internal/contextstore"
	"unisson.dev/services/context/internal/knowledge"
	"unisson.dev/services/context/internal/ledger"
)

// VerifyLedger recomputes a citizen's answer ledger from the stored
// entries and reports the first broken link.
func (a *Answers) VerifyLedger(ctx context.Context, ref CitizenRef, token string) (string, ledger.Verification, error) {
	snap, err := a.app.Context(ctx, ref, token, 1)
	if err != nil {
		return "", ledger.Verification{}, err
	}
	id := snap.Citizen.ID
	vr := ledger.NewVerifier()
	var after uint64
	for {
		entries, err := a.app.store.After(ctx, id, after, catchUpPage)
		if err != nil {
			return "", ledger.Verification{}, fmt.Errorf("read timeline: %w", err)
		}
		for _, e := range entries {
			after = e.Seq
			ix, err := e.Interaction()
			if err != nil {
				return "", ledger.Verification{}, fmt.Errorf("read timeline: %w", err)
			}
			if ix.GetSubject().GetCitizenId() != id {
				// Entries copied in by a merge belong to the merged citizen's chain.
				continue
			}
			if !vr.Add(e) {
				return id, vr.Finish(contextstore.LedgerHead{}), nil
			}
		}
		if len(entries) < catchUpPage {
			break
		}
	}
	head := contextstore.LedgerHead{Hash: snap.Citizen.LedgerHead, Seq: snap.Citizen.LedgerSeq}
	return id, vr.Finish(head), nil
}

// DivergenceKind selects a report.
type DivergenceKind int

// The two reports.
const (
	ChannelsDisagree DivergenceKind = iota + 1
	Obsolete
)

// Divergence is one citizen to call back.
type Divergence struct {
	Kind           DivergenceKind
	CitizenID      string
	Topic          string
	ContextVersion uint64
	Answers        []string
	Current        string
	Seq            uint64
}

// DivergencePage is one page of a report.
type DivergencePage struct {
	Items        []Divergence
	NextPage     string
	KnowledgeVer string
}

// Divergences lists, page by page, the citizens given different answer
// versions for one situation, or whose last answer the knowledge base in
// force supersedes.
func (a *Answers) Divergences(ctx context.Context, kind DivergenceKind, size int, page, token string) (DivergencePage, error) {
	if err := a.app.WaitToken(ctx, token); err != nil {
		return DivergencePage{}, err
	}
	size, err := pageSize(size, "page_size")
	if err != nil {
		return DivergencePage{}, err
	}
	base := a.kb.Current()
	out := DivergencePage{}
	if base != nil {
		out.KnowledgeVer = base.Version()
	}
	switch kind {
	case ChannelsDisagree:
		return a.disagreements(ctx, size, page, out)
	case Obsolete:
		if base == nil {
			return DivergencePage{}, ErrNoKnowledge
		}
		return a.obsolete(ctx, size, page, out)
	}
	return DivergencePage{}, fmt.Errorf("%w: kind: channels_disagree or obsolete", ErrInvalid)
}

func (a *Answers) disagreements(ctx context.Context, size int, page string, out DivergencePage) (DivergencePage, error) {
	var after uint64
	if page != "" {
		n, err := strconv.ParseUint(strings.TrimPrefix(page, "d1."), 10, 64)
		if err != nil || !strings.HasPrefix(page, "d1.") {
			return DivergencePage{}, fmt.Errorf("%w: page_token: malformed", ErrInvalid)
		}
		after = n
	}
	ds, err := a.app.store.Divergences(ctx, after, size+1)
	if err != nil {
		return DivergencePage{}, fmt.Errorf("read divergences: %w", err)
	}
	for i, d := range ds {
		if i == size {
			out.NextPage = "d1." + strconv.FormatUint(ds[i-1].Seq, 10)
			break
		}
		out.Items = append(out.Items, Divergence{Kind: ChannelsDisagree, CitizenID: d.CitizenID, Topic: d.Topic,
			ContextVersion: d.ContextVersion, Answers: []string{d.First, d.Second}, Seq: d.Seq})
	}
	return out, nil
}

// obsolete walks answer ids in order and, for each, the citizens whose last
// answer is an older version than the one in force (or an answer the base
// no longer has). The page token is "o1.<answer id>|<citizen id>".
func (a *Answers) obsolete(ctx context.Context, size int, page string, out DivergencePage) (DivergencePage, error) {
	startID, afterCitizen, err := parseObsoleteToken(page)
	if err != nil {
		return DivergencePage{}, err
	}
	ids, err := a.app.store.AnswerIDs(ctx)
	if err != nil {
		return DivergencePage{}, fmt.Errorf("read answer ids: %w", err)
	}
	sort.Strings(ids)
	current, topics := currentVersions(a.kb.Current())
	var itemIDs []string
	for _, id := range ids {
		if id < startID || len(out.Items) > size {
			continue
		}
		after := ""
		if id == startID {
			after = afterCitizen
		}
		holders, err := a.app.store.AnswerHolders(ctx, id, current[id], after, size+1-len(out.Items))
		if err != nil {
			return DivergencePage{}, fmt.Errorf("read answer holders: %w", err)
		}
		cur := "withdrawn"
		if v, ok := current[id]; ok {
			cur = fmt.Sprintf("%s@%d", id, v)
		}
		for _, h := range holders {
			itemIDs = append(itemIDs, id)
			out.Items = append(out.Items, Divergence{Kind: Obsolete, CitizenID: h.CitizenID, Topic: topics[id],
				Answers: []string{fmt.Sprintf("%s@%d", id, h.Version)}, Current: cur})
		}
	}
	if len(out.Items) > size {
		out.Items = out.Items[:size]
		out.NextPage = "o1." + itemIDs[size-1] + "|" + out.Items[size-1].CitizenID
	}
	return out, nil
}

func parseObsoleteToken(page string) (string, string, error) {
	if page == "" {
		return "", "", nil
	}
	rest, ok := strings.CutPrefix(page, "o1.")
	id, citizen, found := strings.Cut(rest, "|")
	if !ok || !found || id == "" || citizen == "" {
		return "", "", fmt.Errorf("%w: page_token: malformed", ErrInvalid)
	}
	return id, citizen, nil
}

// currentVersions maps each answer id of the base to its version and topic.
func currentVersions(b *knowledge.Base) (map[string]uint32, map[string]string) {
	versions, topics := map[string]uint32{}, map[string]string{}
	for _, a := range b.Answers() {
		versions[a.ID], topics[a.ID] = a.Version, a.Topic
	}
	return versions, topics
}
