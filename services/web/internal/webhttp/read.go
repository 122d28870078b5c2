package webhttp

import (
	"context"
	"net/http"

	"google.golang.org/grpc/metadata"

	"unisson.dev/platform/interaction"
	contextv1 "unisson.dev/proto/unisson/context/v1"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
)

const maxPageToken = 1024

func (s *server) getContext(w http.ResponseWriter, r *http.Request) {
	q := parseQuery(r.URL.RawQuery, "consistency_token", "timeline_limit")
	req := &contextv1.GetContextRequest{}
	if q.values != nil {
		req.Citizen, req.ConsistencyToken, req.TimelineLimit = q.citizen(), q.token(), q.limit("timeline_limit")
	}
	if len(q.errs) > 0 {
		writeError(w, invalid(q.errs...))
		return
	}
	ctx, cancel := s.readContext(r)
	defer cancel()
	resp, err := s.context.GetContext(ctx, req)
	if err != nil {
		writeError(w, s.readError(r, err))
		return
	}
	writeJSON(w, http.StatusOK, newContextView(resp))
}

func (s *server) getTimeline(w http.ResponseWriter, r *http.Request) {
	q := parseQuery(r.URL.RawQuery, "consistency_token", "page_size", "page_token", "channel", "kind", "topic")
	req := &contextv1.ListTimelineRequest{}
	if q.values != nil {
		req.Citizen, req.ConsistencyToken, req.PageSize = q.citizen(), q.token(), q.limit("page_size")
		req.PageToken, req.Topic = q.one("page_token"), q.one("topic")
		req.Channels, req.Kinds = channels(q), kinds(q)
		if len(req.PageToken) > maxPageToken {
			q.fail("page_token", "is not a token returned by a previous page")
		}
		if len(req.Topic) > interaction.MaxTopicLength {
			q.fail("topic", "is too long")
		}
	}
	if len(q.errs) > 0 {
		writeError(w, invalid(q.errs...))
		return
	}
	ctx, cancel := s.readContext(r)
	defer cancel()
	resp, err := s.context.ListTimeline(ctx, req)
	if err != nil {
		writeError(w, s.readError(r, err))
		return
	}
	writeJSON(w, http.StatusOK, newTimelineView(resp))
}

// readContext bounds a context service call and tells the service, for its
// audit trail, which channel and request the read comes from.
func (s *server) readContext(r *http.Request) (context.Context, context.CancelFunc) {
	ctx := metadata.AppendToOutgoingContext(r.Context(),
		"x-unisson-channel", "web", "x-request-id", RequestID(r.Context()))
	return context.WithTimeout(ctx, s.opts.ReadTimeout)
}

func channels(q *query) []interactionv1.Channel {
	var out []interactionv1.Channel
	for _, name := range q.list("channel") {
		c, ok := interaction.ParseChannelName(name)
		if !ok {
			q.fail("channel", "must be web, mobile, email, phone or counter")
			return nil
		}
		out = append(out, c)
	}
	return out
}

func kinds(q *query) []interactionv1.Kind {
	var out []interactionv1.Kind
	for _, name := range q.list("kind") {
		k, ok := interaction.ParseKindName(name)
		if !ok {
			q.fail("kind", "must be a kind such as message or form_submission")
			return nil
		}
		out = append(out, k)
	}
	return out
}
