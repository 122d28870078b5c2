// Package websvc is the web channel adapter: a JSON API through which
// citizens send messages and forms, published as Interaction events to the
// log, and read their context from the context service. Run runs it as a
// standalone service; NewHandler lets the all-in-one binary compose it.
package websvc

import (
	"log/slog"
	"net/http"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"unisson.dev/platform/eventlog"
	contextv1 "unisson.dev/proto/unisson/context/v1"
	"unisson.dev/services/web/internal/intake"
	"unisson.dev/services/web/internal/webhttp"
)

// Deps are what the handler talks to. Publisher must be running (its Run),
// and must be stopped only after the HTTP server serving the handler has
// shut down, so that no acknowledged request is lost.
type Deps struct {
	// Log receives the access log and errors; nil discards them.
	Log *slog.Logger
	// Publisher writes interactions to the log.
	Publisher *eventlog.Publisher
	// Stream is the interaction stream Publisher writes to.
	Stream eventlog.StreamConfig
	// JS reads back the original of a request replayed with an
	// Idempotency-Key.
	JS jetstream.JetStream
	// Context serves reads of a citizen's context and timeline.
	Context contextv1.ContextServiceClient
	// Metrics receives the API's metrics; nil keeps them private.
	Metrics prometheus.Registerer
}

// NewHandler returns the web API:
//
//	POST /v1/messages   a citizen's message          → 202 {interaction_id, consistency_token}
//	POST /v1/forms      a form submission on a case  → 202 {interaction_id, consistency_token}
//	GET  /v1/context    a citizen's context          → 200
//	GET  /v1/timeline   a page of a citizen's history → 200
//
// cfg supplies MaxBodyBytes, ReadTimeout and PublishTimeout.
func NewHandler(cfg Config, deps Deps) http.Handler {
	log := deps.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	reg := deps.Metrics
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	var pub intake.Publisher
	if deps.Publisher != nil {
		pub = deps.Publisher
	}
	in := intake.New(pub, deps.JS, deps.Stream, cfg.ReadTimeout)
	opts := webhttp.Options{
		MaxBodyBytes:   int64(cfg.MaxBodyBytes),
		ReadTimeout:    cfg.ReadTimeout,
		PublishTimeout: cfg.PublishTimeout,
	}
	return webhttp.New(opts, in, deps.Context, log, webhttp.NewMetrics(reg))
}
