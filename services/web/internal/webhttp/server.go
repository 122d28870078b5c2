// Package webhttp is the web channel's JSON API: citizens post messages and
// forms, which become interactions on the log, and read their context and
// timeline from the context service. It maps the use case's sentinel errors
// and the context service's gRPC status codes to HTTP exactly once, here.
package webhttp

import (
	"log/slog"
	"net/http"
	"time"

	contextv1 "unisson.dev/proto/unisson/context/v1"
	"unisson.dev/services/web/internal/intake"
)

// Options bound what one request may cost.
type Options struct {
	// MaxBodyBytes caps a request body; larger bodies get 413.
	MaxBodyBytes int64
	// ReadTimeout bounds one call to the context service.
	ReadTimeout time.Duration
	// PublishTimeout bounds one write to the interaction log.
	PublishTimeout time.Duration
}

// withDefaults fills zero options, so that a forgotten setting never means
// "no body at all" or "an already expired deadline".
func (o Options) withDefaults() Options {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 64 << 10
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = 5 * time.Second
	}
	if o.PublishTimeout <= 0 {
		o.PublishTimeout = 10 * time.Second
	}
	return o
}

// server holds the handlers' dependencies.
type server struct {
	opts    Options
	intake  *intake.Service
	context contextv1.ContextServiceClient
	log     *slog.Logger
	metrics *Metrics
}

// New returns the API handler with its middleware: request ids, access log,
// panic recovery and metrics.
func New(opts Options, in *intake.Service, cc contextv1.ContextServiceClient, log *slog.Logger, m *Metrics) http.Handler {
	opts = opts.withDefaults()
	s := &server{opts: opts, intake: in, context: cc, log: log, metrics: m}
	mux := http.NewServeMux()
	// Patterns carry no method so that a wrong method gets a JSON 405.
	mux.Handle("/v1/messages", allow(http.MethodPost, s.postMessage))
	mux.Handle("/v1/forms", allow(http.MethodPost, s.postForm))
	mux.Handle("/v1/context", allow(http.MethodGet, s.getContext))
	mux.Handle("/v1/timeline", allow(http.MethodGet, s.getTimeline))
	mux.Handle("/v1/questions", allow(http.MethodPost, s.postQuestion))
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, apiError{status: http.StatusNotFound, Code: "not_found", Message: "no such route"})
	})
	return s.withRequestID(s.withAccessLog(s.withRecover(mux)))
}

// allow answers 405 to every method but method.
func allow(method string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != method {
			w.Header().Set("Allow", method)
			writeError(w, apiError{status: http.StatusMethodNotAllowed, Code: "method_not_allowed",
				Message: "use " + method + " on this route"})
			return
		}
		h(w, r)
	})
}
