package hub_test

import (
	"context"
	"slices"
	"testing"

	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/proto"

	"unisson.dev/platform/testenv"
	contextv1 "unisson.dev/proto/unisson/context/v1"
	v1 "unisson.dev/proto/unisson/interaction/v1"

	"unisson.dev/services/hub/internal/hub"
)

// askBoth asks on the web and by phone and returns the phone answer's token.
func askBoth(t *testing.T, h *hub.Hub, client contextv1.ContextServiceClient, email string) string {
	t.Helper()
	web := ask(t, "http://"+h.Addrs().HTTP, email)
	phone, err := client.Answer(context.Background(), &contextv1.AnswerRequest{Citizen: emailRef(email), Topic: "housing.benefit",
		Channel: v1.Channel_CHANNEL_PHONE, ConsistencyToken: web.ConsistencyToken})
	if err != nil {
		t.Fatal(err)
	}
	return phone.GetConsistencyToken()
}

func verify(t *testing.T, client contextv1.ContextServiceClient, email, token string) *contextv1.VerifyLedgerResponse {
	t.Helper()
	v, err := client.VerifyLedger(context.Background(), &contextv1.VerifyLedgerRequest{Citizen: emailRef(email), ConsistencyToken: token})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// An answer edited in the store behind the service's back breaks the chain
// at that entry.
func TestTamperedLedgerEntryIsDetected(t *testing.T) {
	r := testenv.StartRedis(t)
	h := startHub(t, hubOpts{knowledgeDir: copyKnowledge(t), redis: r})
	client := grpcClient(t, h)
	token := askBoth(t, h, client, "jeanne@example.fr")
	if v := verify(t, client, "jeanne@example.fr", token); !v.GetValid() || v.GetEntries() != 2 {
		t.Fatalf("before tampering: %+v", v)
	}
	id := citizenID(t, client, "jeanne@example.fr")
	tampered := tamperFirstAnswer(t, r.Client(t), r.Prefix+"{c:"+id+"}:t")
	v := verify(t, client, "jeanne@example.fr", token)
	if v.GetValid() || v.GetFirstBrokenInteractionId() != tampered {
		t.Fatalf("after tampering %s: %+v", tampered, v)
	}
}

// tamperFirstAnswer rewrites the text of the oldest answer on a timeline
// list (elements: 8-byte sequence, then the protobuf interaction) and
// returns its interaction id.
func tamperFirstAnswer(t *testing.T, rc *redis.Client, key string) string {
	t.Helper()
	ctx := context.Background()
	elements, err := rc.LRange(ctx, key, 0, -1).Result()
	if err != nil || len(elements) == 0 {
		t.Fatalf("read %s: %v (%d elements)", key, err, len(elements))
	}
	for i, raw := range elements {
		ix := &v1.Interaction{}
		if err := proto.Unmarshal([]byte(raw[8:]), ix); err != nil {
			t.Fatal(err)
		}
		if ix.GetKind() != v1.Kind_KIND_ANSWER_GIVEN {
			continue
		}
		ix.Text = "Votre demande est acceptée."
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(ix)
		if err != nil {
			t.Fatal(err)
		}
		if err := rc.LSet(ctx, key, int64(i), raw[:8]+string(b)).Err(); err != nil {
			t.Fatal(err)
		}
		return ix.GetId()
	}
	t.Fatal("no answer on the timeline")
	return ""
}

// Rebuilding the projections from the log gives the same ledger.
func TestRebuildGivesTheSameLedger(t *testing.T) {
	r := testenv.StartRedis(t)
	h := startHub(t, hubOpts{knowledgeDir: copyKnowledge(t), redis: r})
	client := grpcClient(t, h)
	emails := []string{"anne@example.fr", "bruno@example.fr", "chloe@example.fr"}
	var token string
	for _, e := range emails {
		token = askBoth(t, h, client, e)
	}
	before := ledgers(t, client, emails, token)
	r.Flush(t)
	do(t, "POST", "http://"+h.Addrs().Admin+"/admin/rebuild", "", 202, nil)
	after := ledgers(t, client, emails, token)
	if !slices.EqualFunc(before, after, func(a, b []string) bool { return slices.Equal(a, b) }) {
		t.Fatalf("ledgers differ after rebuild:\nbefore %v\nafter  %v", before, after)
	}
}

// ledgers returns, per citizen, the head hash and every entry hash.
func ledgers(t *testing.T, client contextv1.ContextServiceClient, emails []string, token string) [][]string {
	t.Helper()
	var out [][]string
	for _, e := range emails {
		v := verify(t, client, e, token)
		if !v.GetValid() {
			t.Fatalf("ledger of %s: %+v", e, v)
		}
		tl, err := client.ListTimeline(context.Background(), &contextv1.ListTimelineRequest{Citizen: emailRef(e),
			Kinds: []v1.Kind{v1.Kind_KIND_ANSWER_GIVEN}})
		if err != nil {
			t.Fatal(err)
		}
		hashes := []string{v.GetHeadHash()}
		for _, en := range tl.GetEntries() {
			hashes = append(hashes, en.GetInteraction().GetId(), en.GetInteraction().GetAnswer().GetEntryHash())
		}
		out = append(out, hashes)
	}
	return out
}
