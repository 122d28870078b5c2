package webhttp

import (
	"errors"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the web API's Prometheus metrics.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	publish  *prometheus.HistogramVec
}

// NewMetrics registers the metrics on reg. When a composing binary already
// registered them (two handlers in one process) the existing ones are
// shared; a conflicting collector leaves these unregistered rather than
// panicking.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	return &Metrics{
		requests: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "unisson", Subsystem: "web", Name: "http_requests_total",
			Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"})),
		duration: register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "unisson", Subsystem: "web", Name: "http_request_duration_seconds",
			Help: "HTTP request duration by route.", Buckets: prometheus.DefBuckets,
		}, []string{"route"})),
		publish: register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "unisson", Subsystem: "web", Name: "publish_duration_seconds",
			Help:    "Time to get an interaction acknowledged by the log, by kind and outcome (stored, replayed, error).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"kind", "outcome"})),
	}
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
	}
	return c
}

func (m *Metrics) request(route string, code int, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	m.duration.WithLabelValues(route).Observe(d.Seconds())
}

func (m *Metrics) published(kind, outcome string, d time.Duration) {
	m.publish.WithLabelValues(kind, outcome).Observe(d.Seconds())
}
