package contextapp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"unisson.dev/platform/eventlog"
	"unisson.dev/platform/interaction"
	answerv1 "unisson.dev/proto/unisson/answer/v1"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"

	"unisson.dev/services/context/internal/knowledge"
)

// Reasons an answer is not given.
const (
	ReasonNoTopic              = "no_topic"
	ReasonNoOfficialAnswer     = "no_official_answer"
	ReasonVerificationRequired = "verification_required"
	// MaxQuestionBytes bounds a free-text question.
	MaxQuestionBytes = 2000
)

// Knowledge gives the knowledge base in force.
type Knowledge interface {
	Current() *knowledge.Base
}

// Publisher writes interactions to the log.
type Publisher interface {
	Publish(ctx context.Context, m *nats.Msg) (eventlog.Ack, error)
}

// Answers gives official answers and records them in the ledger.
type Answers struct {
	app        *App
	kb         Knowledge
	pub        Publisher
	stream     eventlog.StreamConfig
	unanswered *prometheus.CounterVec
	now        func() time.Time
}

// NewAnswers returns the answer use cases.
func NewAnswers(app *App, kb Knowledge, pub Publisher, stream eventlog.StreamConfig, reg prometheus.Registerer) *Answers {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "unisson", Subsystem: "answers", Name: "unanswered_total",
		Help: "Questions without an official answer, by topic (\"unmatched\" when no topic matched) and reason.",
	}, []string{"topic", "reason"})
	reg.MustRegister(c)
	return &Answers{app: app, kb: kb, pub: pub, stream: stream, unanswered: c, now: time.Now}
}

// AnswerQuery is a question on a channel.
type AnswerQuery struct {
	Citizen  CitizenRef
	Topic    string
	Question string
	Channel  interactionv1.Channel
	Actor    *interactionv1.Actor
	Token    string
}

// AnswerResult is what a channel shows and what the ledger recorded.
type AnswerResult struct {
	Answered      bool
	Reason        string
	Topic         string
	CitizenID     string
	Answer        *knowledge.Answer
	KnowledgeVer  string
	ContextVer    uint64
	Facts         []*answerv1.Fact
	Format        string
	Subject       string
	Body          string
	ContentHash   string
	InteractionID string
	Token         string
}

// Answer resolves the official answer for the citizen's context and
// records it. The same context version and topic give the same answer and
// content hash on every channel; only the rendering differs.
func (a *Answers) Answer(ctx context.Context, q AnswerQuery) (AnswerResult, error) {
	if err := a.check(q); err != nil {
		return AnswerResult{}, err
	}
	if err := a.app.WaitToken(ctx, q.Token); err != nil {
		return AnswerResult{}, err
	}
	base := a.kb.Current()
	if base == nil {
		return AnswerResult{}, ErrNoKnowledge
	}
	snap, err := a.app.Context(ctx, q.Citizen, "", MaxPageSize)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return AnswerResult{}, err
	}
	if errors.Is(err, ErrNotFound) && q.Citizen.Identifier == nil {
		return AnswerResult{}, err
	}
	res := AnswerResult{CitizenID: snap.Citizen.ID, ContextVer: FactsVersion(snap), KnowledgeVer: base.Version(), Topic: q.Topic}
	if res.Topic == "" {
		topic, ok := base.MatchTopic(q.Question)
		if !ok {
			a.unanswered.WithLabelValues("unmatched", ReasonNoTopic).Inc()
			res.Reason = ReasonNoTopic
			return res, nil
		}
		res.Topic = topic
	}
	facts := Facts(snap)
	r := base.Resolve(facts, res.Topic, a.now())
	if r.Answer != nil && r.Answer.RequiresVerifiedIdentity && !requesterVerified(q) {
		// The answer for this situation discloses personal details; whoever
		// asks must prove who they are first. Nothing is given or recorded.
		r.Answer, r.Reason = nil, ReasonVerificationRequired
	}
	if r.Answer == nil {
		a.unanswered.WithLabelValues(topicLabel(base, res.Topic), r.Reason).Inc()
		res.Reason = r.Reason
		return res, nil
	}
	res.Answered, res.Answer, res.Facts, res.ContentHash = true, r.Answer, r.FactsUsed, r.Answer.ContentHash()
	res.Format, res.Subject, res.Body = r.Answer.Render(q.Channel, facts)
	return a.record(ctx, q, res)
}

// requesterVerified reports whether the channel verified who asks: an
// identifier it marks verified (sign-in, a document checked at the desk),
// or an agent naming the citizen by id. The citizen's own record being
// verified proves nothing about who is asking.
func requesterVerified(q AnswerQuery) bool {
	if q.Citizen.Identifier != nil {
		return q.Citizen.Identifier.GetAssurance() == interactionv1.Assurance_ASSURANCE_VERIFIED
	}
	return q.Actor.GetRole() == interactionv1.ActorRole_ACTOR_ROLE_AGENT
}

// topicLabel bounds the metric's label values to the knowledge base's
// topics, whatever clients send.
func topicLabel(base *knowledge.Base, topic string) string {
	if slices.Contains(base.Topics(), topic) {
		return topic
	}
	return "unknown"
}

// DisclosedFacts returns the facts an answer may show to whoever asked: all
// of them to a verified requester, none about cases or the profile to a
// merely claimed one. The ledger records them all.
func DisclosedFacts(res AnswerResult, q AnswerQuery) []*answerv1.Fact {
	if requesterVerified(q) {
		return res.Facts
	}
	var out []*answerv1.Fact
	for _, f := range res.Facts {
		if !strings.HasPrefix(f.GetName(), "case.") && !strings.HasPrefix(f.GetName(), "profile.") {
			out = append(out, f)
		}
	}
	return out
}

// ErrNoKnowledge means no knowledge base was ever accepted.
var ErrNoKnowledge = errors.New("no knowledge base in force")

func (a *Answers) check(q AnswerQuery) error {
	if _, ok := interactionv1.Channel_name[int32(q.Channel)]; !ok || q.Channel == interactionv1.Channel_CHANNEL_UNSPECIFIED {
		return fmt.Errorf("%w: channel: a known channel is required", ErrInvalid)
	}
	if (q.Topic == "") == (q.Question == "") {
		return fmt.Errorf("%w: give a topic or a question, not both", ErrInvalid)
	}
	if len(q.Question) > MaxQuestionBytes || !utf8.ValidString(q.Question) {
		return fmt.Errorf("%w: question: at most %d bytes of UTF-8", ErrInvalid, MaxQuestionBytes)
	}
	return nil
}

// record publishes the `answer given` interaction: the ledger entry.
func (a *Answers) record(ctx context.Context, q AnswerQuery, res AnswerResult) (AnswerResult, error) {
	actor := q.Actor
	if actor == nil {
		actor = &interactionv1.Actor{Role: interactionv1.ActorRole_ACTOR_ROLE_CITIZEN}
	}
	ix := &interactionv1.Interaction{
		Id: interaction.NewID(a.now()), OccurredAt: timestamppb.New(a.now()),
		Channel: q.Channel, Kind: interactionv1.Kind_KIND_ANSWER_GIVEN, Direction: interactionv1.Direction_DIRECTION_OUTBOUND,
		Actor: actor, Subject: &interactionv1.Subject{CitizenId: res.CitizenID},
		Topic: res.Topic, Text: truncate(res.Body, interaction.MaxTextBytes),
		Answer: &answerv1.AnswerGiven{
			AnswerId: res.Answer.ID, AnswerVersion: res.Answer.Version, KnowledgeVersion: res.KnowledgeVer,
			ContextVersion: res.ContextVer, FactsUsed: res.Facts, ContentHash: res.ContentHash,
		},
	}
	if ix.Subject.CitizenId == "" {
		// Only the identifier that named an unknown citizen is recorded: an
		// answer never links identifiers to a known citizen.
		ix.Subject.Identifiers = claimedByDefault([]*interactionv1.Identifier{q.Citizen.Identifier})
	}
	if err := interaction.Normalize(ix); err != nil {
		return AnswerResult{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := interaction.Validate(ix); err != nil {
		return AnswerResult{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	data, err := proto.Marshal(ix)
	if err != nil {
		return AnswerResult{}, fmt.Errorf("encode answer: %w", err)
	}
	m := nats.NewMsg(a.stream.Subject(q.Channel))
	m.Header.Set(jetstream.MsgIDHeader, ix.GetId())
	m.Data = data
	ack, err := a.pub.Publish(ctx, m)
	if err != nil {
		return AnswerResult{}, fmt.Errorf("record answer: %w", err)
	}
	res.InteractionID, res.Token = ix.GetId(), ack.Token().String()
	return res, nil
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// claimedByDefault returns the identifiers with an unspecified assurance
// read as claimed: a channel that does not say has not verified them.
func claimedByDefault(ids []*interactionv1.Identifier) []*interactionv1.Identifier {
	out := make([]*interactionv1.Identifier, 0, len(ids))
	for _, id := range ids {
		c := proto.Clone(id).(*interactionv1.Identifier)
		if c.Assurance == interactionv1.Assurance_ASSURANCE_UNSPECIFIED {
			c.Assurance = interactionv1.Assurance_ASSURANCE_CLAIMED
		}
		out = append(out, c)
	}
	return out
}
