// Package contextgrpc serves ContextService over gRPC. It maps requests to
// the read use cases and their errors to gRPC status codes, once, here.
package contextgrpc

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	contextv1 "unisson.dev/proto/unisson/context/v1"

	"unisson.dev/services/context/internal/contextapp"
	"unisson.dev/services/context/internal/contextstore"
)

// Server implements contextv1.ContextServiceServer.
type Server struct {
	contextv1.UnimplementedContextServiceServer
	app     *contextapp.App
	answers *contextapp.Answers
	log     *slog.Logger
}

// New returns the gRPC server of the read and answer use cases.
func New(app *contextapp.App, answers *contextapp.Answers, log *slog.Logger) *Server {
	return &Server{app: app, answers: answers, log: log}
}

// GetContext implements contextv1.ContextServiceServer. Served over gRPC
// by Register's getContext, which answers the same without copying the
// entries.
func (s *Server) GetContext(ctx context.Context, req *contextv1.GetContextRequest) (*contextv1.GetContextResponse, error) {
	f, err := s.getContext(ctx, req)
	if err != nil {
		return nil, err
	}
	return f.message().(*contextv1.GetContextResponse), nil
}

func (s *Server) getContext(ctx context.Context, req *contextv1.GetContextRequest) (*framed, error) {
	snap, err := s.app.Context(ctx, ref(req.GetCitizen()), req.GetConsistencyToken(), int(req.GetTimelineLimit()))
	if err != nil {
		return nil, s.status(err)
	}
	return &framed{head: &contextv1.GetContextResponse{ContextVersion: snap.Citizen.Version},
		nest: fieldContext, inner: citizenContext(snap), field: fieldRecent, entries: snap.Recent}, nil
}

// ListTimeline implements contextv1.ContextServiceServer; see GetContext.
func (s *Server) ListTimeline(ctx context.Context, req *contextv1.ListTimelineRequest) (*contextv1.ListTimelineResponse, error) {
	f, err := s.listTimeline(ctx, req)
	if err != nil {
		return nil, err
	}
	return f.message().(*contextv1.ListTimelineResponse), nil
}

func (s *Server) listTimeline(ctx context.Context, req *contextv1.ListTimelineRequest) (*framed, error) {
	page, err := s.app.Timeline(ctx, contextapp.TimelineQuery{
		Citizen: ref(req.GetCitizen()), Token: req.GetConsistencyToken(),
		PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken(),
		Channels: req.GetChannels(), Kinds: req.GetKinds(), Topic: req.GetTopic(),
	})
	if err != nil {
		return nil, s.status(err)
	}
	return &framed{head: &contextv1.ListTimelineResponse{NextPageToken: page.NextPage, ContextVersion: page.Version},
		field: fieldEntries, entries: page.Entries}, nil
}

// WatchContext implements contextv1.ContextServiceServer.
func (s *Server) WatchContext(req *contextv1.WatchContextRequest, stream contextv1.ContextService_WatchContextServer) error {
	err := s.app.Watch(stream.Context(), ref(req.GetCitizen()), req.GetResumeToken(), func(c contextapp.Change) error {
		resp := &contextv1.WatchContextResponse{
			CitizenId: c.CitizenID, ContextVersion: c.Entry.Seq, ResumeToken: c.ResumeToken,
		}
		setEntries(resp, fieldWatchEntry, []contextstore.Entry{c.Entry})
		return stream.Send(resp)
	})
	if err == nil || errors.Is(err, context.Canceled) {
		return nil
	}
	return s.status(err)
}

// ResolveIdentity implements contextv1.ContextServiceServer.
func (s *Server) ResolveIdentity(ctx context.Context, req *contextv1.ResolveIdentityRequest) (*contextv1.ResolveIdentityResponse, error) {
	id, err := s.app.ResolveIdentity(ctx, req.GetIdentifiers(), req.GetConsistencyToken())
	if err != nil {
		return nil, s.status(err)
	}
	resp := &contextv1.ResolveIdentityResponse{CitizenId: id.CitizenID, Verified: id.Verified, SuggestedCitizenIds: id.Suggested}
	for _, m := range id.Matches {
		resp.Matches = append(resp.Matches, &contextv1.IdentifierMatch{
			Identifier: m.Identifier, CitizenId: m.Owner.CitizenID, LinkAssurance: m.Owner.Assurance,
		})
	}
	return resp, nil
}

// status maps use-case errors to gRPC status; anything unexpected is
// logged here and reaches the client as a generic Internal error.
func (s *Server) status(err error) error {
	if st, ok := answerStatus(err); ok {
		return st
	}
	switch {
	case errors.Is(err, contextapp.ErrInvalid):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, contextapp.ErrNotFound):
		return status.Error(codes.NotFound, "no citizen matches")
	case errors.Is(err, contextapp.ErrNotYet):
		return status.Error(codes.Unavailable, "not yet: the write of this consistency token is not applied yet; retry")
	case errors.Is(err, contextapp.ErrShuttingDown):
		return status.Error(codes.Unavailable, "service shutting down; reconnect with your last resume token")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "deadline exceeded")
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "canceled")
	}
	s.log.Error("context request failed", "err", err)
	return status.Error(codes.Internal, "internal error")
}

func ref(r *contextv1.CitizenRef) contextapp.CitizenRef {
	return contextapp.CitizenRef{CitizenID: r.GetCitizenId(), Identifier: r.GetIdentifier()}
}
