package contextsvc_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	"unisson.dev/platform/eventlog"
	"unisson.dev/platform/interaction"
	contextv1 "unisson.dev/proto/unisson/context/v1"
	v1 "unisson.dev/proto/unisson/interaction/v1"

	"unisson.dev/services/context/contextsvc"
	"unisson.dev/services/context/internal/contextstore"
	"unisson.dev/services/context/internal/contextstore/redisstore"
)

const (
	historyCitizens = 20
	caseRef         = "DOS-2025-0042"
)

// TestRebuildCommand: `context rebuild` on an emptied Redis derives the
// very projections the running service had built.
func TestRebuildCommand(t *testing.T) {
	e := newEnv(t, true)
	svc := e.start(t)
	token := publishHistory(t, e)
	checkHistory(t, svc.client, token)
	svc.stop()
	before := redisChecksum(t, e)
	e.redis.Flush(t)
	if flushed := redisChecksum(t, e); flushed == before {
		t.Fatalf("checksum of the flushed store equals the original's: the comparison proves nothing")
	}
	if err := contextsvc.Rebuild(t.Context(), e.config(), e.nc, quietLog()); err != nil {
		t.Fatalf("Rebuild: %v", err)
	}
	if after := redisChecksum(t, e); after != before {
		t.Errorf("checksum after rebuild = %s, want %s", after, before)
	}
}

// TestRedisEmptiedUnderRunningService: the service notices the missing
// epoch marker and replays the log; a read carrying a token written after
// the flush sees the whole earlier history.
func TestRedisEmptiedUnderRunningService(t *testing.T) {
	e := newEnv(t, true)
	svc := e.start(t)
	token := publishHistory(t, e)
	want := contexts(t, svc.client, token)
	e.redis.Flush(t)
	after := e.publish(t, message(v1.Channel_CHANNEL_PHONE, "after the flush", email("apres@example.fr")))
	got := contexts(t, svc.client, after)
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("contexts after the flush (-before +after):\n%s", diff)
	}
}

// TestRebuildEndpoint: POST /admin/rebuild drops the projections of a
// running service and replays the log; once a read with the last token
// returns, the store is as it was.
func TestRebuildEndpoint(t *testing.T) {
	e := newEnv(t, true)
	svc := e.start(t)
	token := publishHistory(t, e)
	contexts(t, svc.client, token)
	before, epoch := redisChecksum(t, e), redisEpoch(t, e)

	srv := httptest.NewServer(svc.svc.RebuildHandler())
	defer srv.Close()
	resp, err := srv.Client().Post(srv.URL+"/admin/rebuild", "text/plain", nil)
	if err != nil {
		t.Fatalf("POST /admin/rebuild: %v", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /admin/rebuild: status %d, want %d", resp.StatusCode, http.StatusAccepted)
	}
	if got := redisEpoch(t, e); got == epoch {
		t.Errorf("epoch after the rebuild = %q, unchanged: nothing was dropped", got)
	}
	contexts(t, svc.client, token)
	if after := redisChecksum(t, e); after != before {
		t.Errorf("checksum after rebuild = %s, want %s", after, before)
	}
}

// TestEmbeddedStoreRebuildsOnStart: a service on the in-memory store
// replays the log at start, so a second service shows what the first did.
func TestEmbeddedStoreRebuildsOnStart(t *testing.T) {
	e := newEnv(t, false)
	first := e.start(t)
	token := publishHistory(t, e)
	want := contexts(t, first.client, token)
	first.stop()
	second := e.start(t)
	got := contexts(t, second.client, token)
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("contexts of the second service (-first +second):\n%s", diff)
	}
}

// publishHistory publishes a few hundred interactions over every channel
// for historyCitizens citizens; among them a form submission that moves
// caseRef to IN_REVIEW for citizen 1, and an agent's check of two
// verified addresses that merges citizen 3 into citizen 2. It returns the
// token of the last write.
func publishHistory(t *testing.T, e *env) string {
	t.Helper()
	var last uint64
	bulk := func(from, to int) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for i := from + w; i < to; i += 8 {
					ix := message(v1.Channel(1+i%5), fmt.Sprintf("history %d", i), email(citizenEmail(i%historyCitizens)))
					ix.Kind = []v1.Kind{v1.Kind_KIND_MESSAGE, v1.Kind_KIND_CALL, v1.Kind_KIND_NOTE}[i%3]
					if ix.Kind == v1.Kind_KIND_NOTE {
						ix.Actor = &v1.Actor{Role: v1.ActorRole_ACTOR_ROLE_AGENT, Id: "agent-3"}
					}
					ix.Topic = []string{"housing.benefit", "tax.income"}[i%2]
					seq, err := e.publishSeq(ix)
					if err != nil {
						t.Errorf("publish: %v", err)
						return
					}
					mu.Lock()
					last = max(last, seq)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
	}
	bulk(0, 200)
	form := message(v1.Channel_CHANNEL_WEB, "demande d'aide au logement", email(citizenEmail(1)))
	form.Kind, form.CaseReference, form.CaseStatus = v1.Kind_KIND_FORM_SUBMISSION, caseRef, v1.CaseStatus_CASE_STATUS_IN_REVIEW
	form.Details = &v1.Interaction_Web{Web: &v1.WebDetails{FormId: "aide-logement", Fields: map[string]string{"loyer": "640"}}}
	e.publish(t, form)
	merge := &v1.Interaction{
		Id: interaction.NewID(time.Now()), OccurredAt: timestamppb.Now(),
		Channel: v1.Channel_CHANNEL_COUNTER, Kind: v1.Kind_KIND_VISIT, Direction: v1.Direction_DIRECTION_INBOUND,
		Actor: &v1.Actor{Role: v1.ActorRole_ACTOR_ROLE_AGENT, Id: "agent-7"},
		Subject: &v1.Subject{Identifiers: []*v1.Identifier{
			verifiedEmail(citizenEmail(2)), verifiedEmail(citizenEmail(3)),
		}},
		Topic: "housing.benefit", Text: "pièces d'identité vérifiées",
		Details: &v1.Interaction_Counter{Counter: &v1.CounterDetails{Site: "mairie-13", Desk: "2"}},
	}
	e.publish(t, merge)
	bulk(200, 300)
	return eventlog.Token(last).String()
}

func verifiedEmail(addr string) *v1.Identifier {
	id := email(addr)
	id.Assurance = v1.Assurance_ASSURANCE_VERIFIED
	return id
}

// checkHistory checks that the history did merge and set a case status, so
// that the comparisons that follow cover merges and cases.
func checkHistory(t *testing.T, client contextv1.ContextServiceClient, token string) {
	t.Helper()
	got := contexts(t, client, token)
	two, three := got[citizenEmail(2)].GetContext(), got[citizenEmail(3)].GetContext()
	if two.GetCitizenId() != three.GetCitizenId() || len(two.GetMergedCitizenIds()) != 1 || two.GetProvisional() {
		t.Errorf("citizens 2 and 3: ids %q and %q, merged %v, provisional %v; want one verified citizen with one merged",
			two.GetCitizenId(), three.GetCitizenId(), two.GetMergedCitizenIds(), two.GetProvisional())
	}
	cases := got[citizenEmail(1)].GetContext().GetCases()
	if len(cases) != 1 || cases[0].GetReference() != caseRef || cases[0].GetStatus() != v1.CaseStatus_CASE_STATUS_IN_REVIEW {
		t.Errorf("cases of citizen 1 = %v, want %s in review", cases, caseRef)
	}
}

// contexts reads every history citizen's context with token, so it also
// waits until the service has applied the write token stands for.
func contexts(t *testing.T, client contextv1.ContextServiceClient, token string) map[string]*contextv1.GetContextResponse {
	t.Helper()
	out := make(map[string]*contextv1.GetContextResponse, historyCitizens)
	for i := range historyCitizens {
		resp, err := client.GetContext(context.Background(), &contextv1.GetContextRequest{
			Citizen: byEmail(citizenEmail(i)), ConsistencyToken: token, TimelineLimit: 100,
		})
		if err != nil {
			t.Fatalf("GetContext(%s): %v", citizenEmail(i), err)
		}
		out[citizenEmail(i)] = resp
	}
	return out
}

func redisStore(t *testing.T, e *env) contextstore.Store {
	return redisstore.New(e.redis.Client(t), e.redis.Prefix, 5*time.Second)
}

func redisChecksum(t *testing.T, e *env) string {
	t.Helper()
	sum, err := contextstore.Checksum(t.Context(), redisStore(t, e))
	if err != nil {
		t.Fatalf("checksum: %v", err)
	}
	return sum
}

func redisEpoch(t *testing.T, e *env) string {
	t.Helper()
	epoch, err := redisStore(t, e).Epoch(t.Context())
	if err != nil {
		t.Fatalf("epoch: %v", err)
	}
	return epoch
}
