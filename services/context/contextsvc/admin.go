package contextsvc

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"unisson.dev/platform/admin"

	"unisson.dev/services/context/internal/contextapp"
	"unisson.dev/services/context/internal/knowledge"
)

// RegisterAdmin adds the service's operator endpoints and readiness check:
//
//	POST /admin/rebuild            drop the projections and replay the log
//	GET  /admin/knowledge          the knowledge base in force and the last problems
//	POST /admin/knowledge/reload   reload the knowledge directory (422 with problems)
//	GET  /admin/divergences        ?kind=channels_disagree|obsolete&page_size=&page_token=
func (s *Service) RegisterAdmin(adm *admin.Server) {
	adm.AddCheck("store", s.Ready)
	adm.Handle("POST /admin/rebuild", s.RebuildHandler())
	adm.Handle("GET /admin/knowledge", http.HandlerFunc(s.knowledgeInfo))
	adm.Handle("POST /admin/knowledge/reload", http.HandlerFunc(s.knowledgeReload))
	adm.Handle("GET /admin/divergences", http.HandlerFunc(s.divergences))
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func problems(err error) []string {
	var le *knowledge.LoadError
	if errors.As(err, &le) {
		out := make([]string, 0, len(le.Problems))
		for _, p := range le.Problems {
			out = append(out, p.String())
		}
		return out
	}
	if err != nil {
		return []string{err.Error()}
	}
	return nil
}

func (s *Service) knowledgeInfo(w http.ResponseWriter, _ *http.Request) {
	info := map[string]any{"version": "", "answers": 0, "problems": problems(s.knowledge.Problems())}
	if b := s.knowledge.Current(); b != nil {
		info["version"], info["answers"], info["topics"] = b.Version(), len(b.Answers()), b.Topics()
	}
	writeJSON(w, http.StatusOK, info)
}

func (s *Service) knowledgeReload(w http.ResponseWriter, r *http.Request) {
	v, err := s.knowledge.Reload(r.Context())
	if err != nil {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": "knowledge base refused; the previous one stays in force", "problems": problems(err)})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"version": v})
}

func (s *Service) divergences(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	kind := map[string]contextapp.DivergenceKind{"channels_disagree": contextapp.ChannelsDisagree, "obsolete": contextapp.Obsolete}[q.Get("kind")]
	size, _ := strconv.Atoi(q.Get("page_size"))
	page, err := s.answers.Divergences(r.Context(), kind, size, q.Get("page_token"), q.Get("consistency_token"))
	switch {
	case errors.Is(err, contextapp.ErrInvalid):
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	case errors.Is(err, contextapp.ErrNotYet):
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "not yet: the write of this consistency token is not applied yet; retry"})
		return
	case errors.Is(err, contextapp.ErrNoKnowledge):
		writeJSON(w, http.StatusConflict, map[string]string{"error": "no knowledge base in force"})
		return
	case err != nil:
		s.log.Error("divergence report failed", "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
		return
	}
	items := make([]map[string]any, 0, len(page.Items))
	for _, d := range page.Items {
		items = append(items, map[string]any{"citizen_id": d.CitizenID, "topic": d.Topic,
			"context_version": d.ContextVersion, "answers": d.Answers, "current": d.Current, "version": d.Seq})
	}
	writeJSON(w, http.StatusOK, map[string]any{"divergences": items, "next_page_token": page.NextPage, "knowledge_version": page.KnowledgeVer})
}
