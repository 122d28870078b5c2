package projection

import "github.com/prometheus/client_golang/prometheus"

// Metrics counts what the projector does. A nil *Metrics counts nothing.
type Metrics struct {
	Applied  prometheus.Counter
	Rejected prometheus.Counter
	Failures prometheus.Counter
}

// NewMetrics registers the projector's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Applied: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "unisson", Subsystem: "projection", Name: "applied_total",
			Help: "Interactions applied to the projections.",
		}),
		Rejected: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "unisson", Subsystem: "projection", Name: "rejected_total",
			Help: "Log messages skipped because they are not valid interactions.",
		}),
		Failures: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "unisson", Subsystem: "projection", Name: "apply_failures_total",
			Help: "Batches the store failed to apply (retried).",
		}),
	}
	reg.MustRegister(m.Applied, m.Rejected, m.Failures)
	return m
}

func (m *Metrics) appliedN(n int) {
	if m != nil {
		m.Applied.Add(float64(n))
	}
}

func (m *Metrics) rejected() {
	if m != nil {
		m.Rejected.Inc()
	}
}

func (m *Metrics) failed() {
	if m != nil {
		m.Failures.Inc()
	}
}
