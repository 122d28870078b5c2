package hub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"unisson.dev/platform/testenv"
	contextv1 "unisson.dev/proto/unisson/context/v1"
	v1 "unisson.dev/proto/unisson/interaction/v1"

	"unisson.dev/services/hub/internal/hub"
)

// hubOpts choose what a test hub runs with.
type hubOpts struct {
	redis        *testenv.Redis
	knowledgeDir string
	natsListen   bool
}

func startHub(t *testing.T, o hubOpts) *hub.Hub {
	t.Helper()
	var cfg hub.Config
	cfg.RegisterFlags(flagSet())
	cfg.DataDir, cfg.HTTPAddr, cfg.GRPCAddr, cfg.AdminAddr = t.TempDir(), "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	cfg.Context.KnowledgeDir = o.knowledgeDir
	if o.redis != nil {
		cfg.Context.RedisURL, cfg.Context.RedisPrefix = o.redis.URL, o.redis.Prefix
	}
	if o.natsListen {
		cfg.NATSListen = "127.0.0.1:0"
	}
	ctx, cancel := context.WithCancel(context.Background())
	h, err := hub.Start(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		cancel()
		t.Fatalf("start hub: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := h.Wait(); err != nil {
			t.Errorf("hub stopped with: %v", err)
		}
	})
	return h
}

type written struct {
	InteractionID    string `json:"interaction_id"`
	ConsistencyToken string `json:"consistency_token"`
}

func post(t *testing.T, url, body string) written {
	t.Helper()
	resp, err := http.Post(url, "application/json", bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST %s: %d %s", url, resp.StatusCode, b)
	}
	var w written
	if err := json.Unmarshal(b, &w); err != nil {
		t.Fatal(err)
	}
	return w
}

// A message posted on the web API is visible through gRPC GetContext
// called with its consistency token, at once: the read waits for the
// write, the test never sleeps or polls.
func TestWebWriteVisibleThroughGRPC(t *testing.T) {
	for _, store := range []string{"embedded", "redis"} {
		t.Run(store, func(t *testing.T) {
			var o hubOpts
			if store == "redis" {
				o.redis = testenv.StartRedis(t)
			}
			h := startHub(t, o)
			base := "http://" + h.Addrs().HTTP
			post(t, base+"/v1/forms", `{"identifiers":[{"type":"email","value":"jeanne@example.fr"}],
				"form_id":"aide-logement","case_reference":"caf-2026-000123","topic":"housing.benefit",
				"case_status":"submitted","fields":{"loyer":"640"}}`)
			w := post(t, base+"/v1/messages", `{"identifiers":[{"type":"email","value":"Jeanne@example.fr"},
				{"type":"phone","value":"06 12 34 56 78"}],"topic":"housing.benefit","text":"Où en est mon dossier ?"}`)

			conn, err := grpc.NewClient(h.Addrs().GRPC, grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			client := contextv1.NewContextServiceClient(conn)
			resp, err := client.GetContext(context.Background(), &contextv1.GetContextRequest{
				Citizen: &contextv1.CitizenRef{Ref: &contextv1.CitizenRef_Identifier{Identifier: &v1.Identifier{
					Type: v1.IdentifierType_IDENTIFIER_TYPE_PHONE, Value: "+33612345678"}}},
				ConsistencyToken: w.ConsistencyToken,
			})
			if err != nil {
				t.Fatalf("GetContext: %v", err)
			}
			c := resp.GetContext()
			var ids []string
			for _, e := range c.GetRecent() {
				ids = append(ids, e.GetInteraction().GetChannel().String()+"/"+e.GetInteraction().GetKind().String())
			}
			want := []string{"CHANNEL_WEB/KIND_MESSAGE", "CHANNEL_WEB/KIND_FORM_SUBMISSION"}
			if diff := cmp.Diff(want, ids); diff != "" {
				t.Fatalf("recent (-want +got):\n%s", diff)
			}
			if c.GetRecent()[0].GetInteraction().GetId() != w.InteractionID {
				t.Fatalf("newest interaction %s, want %s", c.GetRecent()[0].GetInteraction().GetId(), w.InteractionID)
			}
			if len(c.GetCases()) != 1 || c.GetCases()[0].GetReference() != "CAF-2026-000123" ||
				c.GetCases()[0].GetStatus() != v1.CaseStatus_CASE_STATUS_SUBMITTED {
				t.Fatalf("cases = %v", c.GetCases())
			}
		})
	}
}
