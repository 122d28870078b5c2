package hub_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	contextv1 "unisson.dev/proto/unisson/context/v1"
	v1 "unisson.dev/proto/unisson/interaction/v1"
)

type reloadResult struct {
	Version  string   `json:"version"`
	Problems []string `json:"problems"`
}

// A knowledge base with a CEL error, an unknown field or an ambiguity is
// refused with file:line messages, and answers keep coming from the
// previous version.
func TestBrokenKnowledgeIsRefused(t *testing.T) {
	dir := copyKnowledge(t)
	h := startHub(t, hubOpts{knowledgeDir: dir})
	admin, base := "http://"+h.Addrs().Admin, "http://"+h.Addrs().HTTP
	before := ask(t, base, "avant@example.fr")
	original, err := os.ReadFile(filepath.Join(dir, "housing.benefit.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	general := `condition: '!citizen.cases.exists(c, c.topic == "housing.benefit")'`
	tests := []struct {
		name, old, new, want string
	}{
		{"CEL syntax error", general, `condition: '!citizen.cases.exists(c, c.topic == '`, "housing.benefit.yaml:13"},
		{"unknown field", general, `condition: 'citizen.nope == 1'`, "housing.benefit.yaml:13"},
		{"ambiguity", `c.status == "rejected")`, `c.status == "accepted")`, "housing.benefit.yaml:2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			editKnowledge(t, dir, "housing.benefit.yaml", tt.old, tt.new)
			defer func() { _ = os.WriteFile(filepath.Join(dir, "housing.benefit.yaml"), original, 0o644) }()
			var r reloadResult
			do(t, "POST", admin+"/admin/knowledge/reload", "", 422, &r)
			if !slices.ContainsFunc(r.Problems, func(p string) bool { return strings.HasPrefix(p, tt.want) }) {
				t.Fatalf("problems %q name no %s", r.Problems, tt.want)
			}
			after := ask(t, base, "apres@example.fr")
			if after.KnowledgeVersion != before.KnowledgeVersion || after.AnswerID != before.AnswerID {
				t.Fatalf("answer after refusal from %s, want %s", after.KnowledgeVersion, before.KnowledgeVersion)
			}
		})
	}
}

// A new version of an answer makes the answers already given obsolete:
// the report lists exactly the citizens who got the old version. An answer
// given in between on another channel at the same context version is a
// divergence.
func TestNewKnowledgeVersionReport(t *testing.T) {
	dir := copyKnowledge(t)
	h := startHub(t, hubOpts{knowledgeDir: dir})
	admin, base := "http://"+h.Addrs().Admin, "http://"+h.Addrs().HTTP
	client := grpcClient(t, h)
	ctx := context.Background()
	for _, e := range []string{"anne@example.fr", "bruno@example.fr", "dora@example.fr"} {
		ask(t, base, e)
	}
	var tax webAnswer
	do(t, "POST", base+"/v1/questions", `{"identifiers":[{"type":"email","value":"chloe@example.fr"}],"topic":"tax.income"}`, 200, &tax)
	if !tax.Answered {
		t.Fatalf("tax answer: %+v", tax)
	}
	editKnowledge(t, dir, "housing.benefit.yaml", "version: 1", "version: 2")
	var r reloadResult
	do(t, "POST", admin+"/admin/knowledge/reload", "", 200, &r)
	dora, err := client.Answer(ctx, &contextv1.AnswerRequest{Citizen: emailRef("dora@example.fr"), Topic: "housing.benefit", Channel: v1.Channel_CHANNEL_PHONE})
	if err != nil || dora.GetAnswerVersion() != 2 {
		t.Fatalf("dora by phone: %v %v", dora, err)
	}

	obsolete, err := client.ListDivergences(ctx, &contextv1.ListDivergencesRequest{Kind: contextv1.Divergence_KIND_OBSOLETE, ConsistencyToken: dora.GetConsistencyToken()})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{citizenID(t, client, "anne@example.fr"), citizenID(t, client, "bruno@example.fr")}
	slices.Sort(want)
	var got []string
	for _, d := range obsolete.GetDivergences() {
		got = append(got, d.GetCitizenId())
		if d.GetCurrent() != "housing-benefit-general@2" {
			t.Errorf("current = %q", d.GetCurrent())
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("obsolete citizens %v, want %v", got, want)
	}
	disagree, err := client.ListDivergences(ctx, &contextv1.ListDivergencesRequest{Kind: contextv1.Divergence_KIND_CHANNELS_DISAGREE})
	if err != nil {
		t.Fatal(err)
	}
	d := disagree.GetDivergences()
	if len(d) != 1 || d[0].GetCitizenId() != citizenID(t, client, "dora@example.fr") ||
		!slices.Equal(d[0].GetAnswers(), []string{"housing-benefit-general@1 on web", "housing-benefit-general@2 on phone"}) {
		t.Fatalf("divergences: %v", d)
	}
}

func citizenID(t *testing.T, client contextv1.ContextServiceClient, email string) string {
	t.Helper()
	resp, err := client.GetContext(context.Background(), &contextv1.GetContextRequest{Citizen: emailRef(email)})
	if err != nil {
		t.Fatalf("GetContext %s: %v", email, err)
	}
	return resp.GetContext().GetCitizenId()
}
