package contextgrpc

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	contextv1 "unisson.dev/proto/unisson/context/v1"

	"unisson.dev/services/context/internal/contextapp"
)

// Answer implements contextv1.ContextServiceServer.
func (s *Server) Answer(ctx context.Context, req *contextv1.AnswerRequest) (*contextv1.AnswerResponse, error) {
	q := contextapp.AnswerQuery{
		Citizen: ref(req.GetCitizen()), Topic: req.GetTopic(), Question: req.GetQuestion(),
		Channel: req.GetChannel(), Actor: req.GetActor(), Token: req.GetConsistencyToken(),
	}
	res, err := s.answers.Answer(ctx, q)
	if err != nil {
		return nil, s.status(err)
	}
	resp := &contextv1.AnswerResponse{
		Answered: res.Answered, Reason: res.Reason, Topic: res.Topic, CitizenId: res.CitizenID,
		KnowledgeVersion: res.KnowledgeVer, ContextVersion: res.ContextVer,
	}
	if !res.Answered {
		return resp, nil
	}
	a := res.Answer
	resp.AnswerId, resp.AnswerVersion, resp.ContentHash = a.ID, a.Version, res.ContentHash
	resp.FactsUsed = contextapp.DisclosedFacts(res, q)
	resp.LegalReferences, resp.RequiresVerifiedIdentity = a.LegalReferences, a.RequiresVerifiedIdentity
	resp.Rendering = &contextv1.Rendering{Format: res.Format, Subject: res.Subject, Body: res.Body}
	resp.ConsistencyToken, resp.InteractionId = res.Token, res.InteractionID
	return resp, nil
}

// VerifyLedger implements contextv1.ContextServiceServer.
func (s *Server) VerifyLedger(ctx context.Context, req *contextv1.VerifyLedgerRequest) (*contextv1.VerifyLedgerResponse, error) {
	_, v, err := s.answers.VerifyLedger(ctx, ref(req.GetCitizen()), req.GetConsistencyToken())
	if err != nil {
		return nil, s.status(err)
	}
	return &contextv1.VerifyLedgerResponse{
		Valid: v.Valid, Entries: v.Entries, FirstBrokenInteractionId: v.BrokenID,
		FirstBrokenVersion: v.BrokenSeq, Reason: v.Reason, HeadHash: v.Head,
	}, nil
}

// ListDivergences implements contextv1.ContextServiceServer.
func (s *Server) ListDivergences(ctx context.Context, req *contextv1.ListDivergencesRequest) (*contextv1.ListDivergencesResponse, error) {
	kind := contextapp.DivergenceKind(0)
	switch req.GetKind() {
	case contextv1.Divergence_KIND_CHANNELS_DISAGREE:
		kind = contextapp.ChannelsDisagree
	case contextv1.Divergence_KIND_OBSOLETE:
		kind = contextapp.Obsolete
	}
	page, err := s.answers.Divergences(ctx, kind, int(req.GetPageSize()), req.GetPageToken(), req.GetConsistencyToken())
	if err != nil {
		return nil, s.status(err)
	}
	resp := &contextv1.ListDivergencesResponse{NextPageToken: page.NextPage, KnowledgeVersion: page.KnowledgeVer}
	for _, d := range page.Items {
		resp.Divergences = append(resp.Divergences, &contextv1.Divergence{
			Kind: req.GetKind(), CitizenId: d.CitizenID, Topic: d.Topic, ContextVersion: d.ContextVersion,
			Answers: d.Answers, Current: d.Current, Version: d.Seq,
		})
	}
	return resp, nil
}

func answerStatus(err error) (error, bool) {
	if errors.Is(err, contextapp.ErrNoKnowledge) {
		return status.Error(codes.FailedPrecondition, "no knowledge base in force: load one with --knowledge-dir"), true
	}
	return nil, false
}
