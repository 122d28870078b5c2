package contextapp

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	interactionv1 "unisson.dev/proto/unisson/interaction/v1"

	"unisson.dev/services/context/internal/contextstore"
)

// maxScanPages bounds the store pages one filtered timeline request reads;
// a sparse filter returns a short page with a token to continue.
const maxScanPages = 8

const pagePrefix = "p1."

// TimelineQuery selects a page of a citizen's timeline.
type TimelineQuery struct {
	Citizen   CitizenRef
	Token     string
	PageSize  int
	PageToken string
	Channels  []interactionv1.Channel
	Kinds     []interactionv1.Kind
	Topic     string
}

// TimelinePage is one page, newest first.
type TimelinePage struct {
	CitizenID string
	Entries   []contextstore.Entry
	NextPage  string
	Version   uint64
}

// Timeline returns a page of a citizen's interactions, newest first.
func (a *App) Timeline(ctx context.Context, q TimelineQuery) (TimelinePage, error) {
	size, err := pageSize(q.PageSize, "page_size")
	if err != nil {
		return TimelinePage{}, err
	}
	before, err := parsePageToken(q.PageToken)
	if err != nil {
		return TimelinePage{}, err
	}
	snap, err := a.Context(ctx, q.Citizen, q.Token, 1)
	if err != nil {
		return TimelinePage{}, err
	}
	page := TimelinePage{CitizenID: snap.Citizen.ID, Version: snap.Citizen.Version}
	for range maxScanPages {
		entries, err := a.store.Timeline(ctx, page.CitizenID, before, size+1)
		if err != nil {
			return TimelinePage{}, fmt.Errorf("read timeline: %w", err)
		}
		for _, e := range entries {
			if len(page.Entries) == size {
				page.NextPage = pagePrefix + strconv.FormatUint(before, 10)
				return page, nil
			}
			before = e.Seq
			ok, err := q.matches(e)
			if err != nil {
				return TimelinePage{}, fmt.Errorf("read timeline: %w", err)
			}
			if ok {
				page.Entries = append(page.Entries, e)
			}
		}
		if len(entries) <= size {
			return page, nil
		}
	}
	page.NextPage = pagePrefix + strconv.FormatUint(before, 10)
	return page, nil
}

// matches tells whether e passes the query's filters; it decodes e only
// when there are filters.
func (q TimelineQuery) matches(e contextstore.Entry) (bool, error) {
	if len(q.Channels) == 0 && len(q.Kinds) == 0 && q.Topic == "" {
		return true, nil
	}
	ix, err := e.Interaction()
	if err != nil {
		return false, err
	}
	return q.matchesInteraction(ix), nil
}

func (q TimelineQuery) matchesInteraction(ix *interactionv1.Interaction) bool {
	if len(q.Channels) > 0 && !slices.Contains(q.Channels, ix.GetChannel()) {
		return false
	}
	if len(q.Kinds) > 0 && !slices.Contains(q.Kinds, ix.GetKind()) {
		return false
	}
	return q.Topic == "" || ix.GetTopic() == q.Topic
}

func parsePageToken(s string) (uint64, error) {
	if s == "" {
		return 0, nil
	}
	rest, ok := strings.CutPrefix(s, pagePrefix)
	n, err := strconv.ParseUint(rest, 10, 64)
	if !ok || err != nil || n == 0 {
		return 0, fmt.Errorf("%w: page_token: malformed", ErrInvalid)
	}
	return n, nil
}
