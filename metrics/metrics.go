// Package metrics exposes OpenChime's Prometheus metrics: requests by
// operation and status, request latency by operation, errors by code, users
// by status, and store transaction timings.
package metrics

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	openchime "github.com/openchime/openchime"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the collectors of one server on their own registry (no
// globals, so tests and embedded servers do not share counts).
type Metrics struct {
	Registry *prometheus.Registry
	// totals holds only the request and error counters, for Totals: a
	// Gather of Registry would also run the users count (a store scan once
	// per TTL) and the runtime and process collectors.
	totals *prometheus.Registry

	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	errors      *prometheus.CounterVec
	storeDur    *prometheus.HistogramVec
	storeErr    *prometheus.CounterVec
	iam         *prometheus.CounterVec
	botEvents   *prometheus.CounterVec
	botAttempts *prometheus.CounterVec
	// iamKnown holds iam's children of the modes and results ObserveIAM
	// is told of, so that counting one costs no label hashing.
	iamKnown map[[2]string]prometheus.Counter

	// ops caches each operation's label children, so a request costs a
	// sync.Map load and no label hashing once its operation was seen.
	ops sync.Map // string -> *opMetrics

	outboxInit sync.Once
	outbox     *outboxMetrics // outbox.go
}

type opMetrics struct {
	name     string
	latency  prometheus.Observer
	statuses sync.Map // int -> prometheus.Counter
	codes    sync.Map // openchime.Code -> prometheus.Counter
}

// New returns Metrics registered on a fresh registry, with the Go runtime
// and process collectors.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		totals:   prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openchime_requests_total", Help: "Requests answered, by operation and HTTP status.",
		}, []string{"operation", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "openchime_request_duration_seconds", Help: "Time to answer a request, by operation.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"operation"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openchime_errors_total", Help: "Requests answered with an error, by operation and error code.",
		}, []string{"operation", "code"}),
		storeDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "openchime_store_duration_seconds", Help: "Duration of store transactions, by kind (update or view).",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"method"}),
		storeErr: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openchime_store_errors_total", Help: "Store transactions that returned an error, by kind.",
		}, []string{"method"}),
		iam: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openchime_iam_decisions_total",
			Help: "IAM policy decisions on requests by credentials with Policies, by --iam mode and result (allow, implicit_deny, explicit_deny); in soft mode the denials were served.",
		}, []string{"mode", "result"}),
		botEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openchime_bot_events_total", Help: "Bot events by event type and outcome (delivered, failed, dropped_queue_full, dropped_no_lambda_endpoint).",
		}, []string{"event", "outcome"}),
		botAttempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openchime_bot_event_attempts_total", Help: "Attempts to deliver bot events (the first and each retry), by event type.",
		}, []string{"event"}),
	}
	m.Registry.MustRegister(m.botEvents, m.botAttempts)
	m.Registry.MustRegister(m.requests, m.latency, m.errors, m.storeDur, m.storeErr, m.iam,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.totals.MustRegister(m.requests, m.errors)
	m.iamKnown = map[[2]string]prometheus.Counter{}
	for _, mode := range []string{"enforce", "soft"} {
		for _, result := range []string{"allow", "implicit_deny", "explicit_deny"} {
			m.iamKnown[[2]string{mode, result}] = m.iam.WithLabelValues(mode, result)
		}
	}
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}

func (m *Metrics) op(name string) *opMetrics {
	if o, ok := m.ops.Load(name); ok {
		return o.(*opMetrics)
	}
	label := name
	if label == "" {
		label = "Unknown"
	}
	o, _ := m.ops.LoadOrStore(name, &opMetrics{name: label, latency: m.latency.WithLabelValues(label)})
	return o.(*opMetrics)
}

// ObserveRequest implements httpapi.RequestObserver.
func (m *Metrics) ObserveRequest(op string, status int, code openchime.Code, elapsed time.Duration) {
	o := m.op(op)
	o.latency.Observe(elapsed.Seconds())
	c, ok := o.statuses.Load(status)
	if !ok {
		c, _ = o.statuses.LoadOrStore(status, m.requests.WithLabelValues(o.name, strconv.Itoa(status)))
	}
	c.(prometheus.Counter).Inc()
	if code == "" {
		return
	}
	e, ok := o.codes.Load(code)
	if !ok {
		e, _ = o.codes.LoadOrStore(code, m.errors.WithLabelValues(o.name, string(code)))
	}
	e.(prometheus.Counter).Inc()
}

// ObserveIAM implements httpapi.IAMObserver.
func (m *Metrics) ObserveIAM(mode, result string) {
	if c, ok := m.iamKnown[[2]string{mode, result}]; ok {
		c.Inc()
		return
	}
	m.iam.WithLabelValues(mode, result).Inc()
}

// InstrumentStore returns store with the duration of every Update and View
// measured.
func (m *Metrics) InstrumentStore(store openchime.Store) openchime.Store {
	return &instrumentedStore{
		Store:     store,
		update:    m.storeDur.WithLabelValues("update"),
		view:      m.storeDur.WithLabelValues("view"),
		updateErr: m.storeErr.WithLabelValues("update"),
		viewErr:   m.storeErr.WithLabelValues("view"),
	}
}

type instrumentedStore struct {
	openchime.Store
	update, view       prometheus.Observer
	updateErr, viewErr prometheus.Counter
}

func (s *instrumentedStore) Update(ctx context.Context, fn func(openchime.Tx) error) error {
	start := time.Now()
	err := s.Store.Update(ctx, fn)
	s.update.Observe(time.Since(start).Seconds())
	if err != nil {
		s.updateErr.Inc()
	}
	return err
}

func (s *instrumentedStore) View(ctx context.Context, fn func(openchime.ReadTx) error) error {
	start := time.Now()
	err := s.Store.View(ctx, fn)
	s.view.Observe(time.Since(start).Seconds())
	if err != nil {
		s.viewErr.Inc()
	}
	return err
}

// OpTotals is one operation's request and error counts so far.
type OpTotals struct {
	Operation        string
	Requests, Errors float64
}

// Totals reads the request and error counters by operation, the same
// counters /metrics exports; the console's live panel draws from it.
func (m *Metrics) Totals() []OpTotals {
	byOp := map[string]*OpTotals{}
	get := func(op string) *OpTotals {
		t := byOp[op]
		if t == nil {
			t = &OpTotals{Operation: op}
			byOp[op] = t
		}
		return t
	}
	families, _ := m.totals.Gather()
	for _, f := range families {
		for _, metric := range f.GetMetric() {
			var op string
			for _, l := range metric.GetLabel() {
				if l.GetName() == "operation" {
					op = l.GetValue()
				}
			}
			switch f.GetName() {
			case "openchime_requests_total":
				get(op).Requests += metric.GetCounter().GetValue()
			case "openchime_errors_total":
				get(op).Errors += metric.GetCounter().GetValue()
			}
		}
	}
	out := make([]OpTotals, 0, len(byOp))
	for _, t := range byOp {
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Operation < out[j].Operation })
	return out
}

// ObserveBotDelivery counts a bot event's outcome and its attempts
// (botdelivery.Observer).
func (m *Metrics) ObserveBotDelivery(eventType, outcome string, attempts int) {
	m.botEvents.WithLabelValues(eventType, outcome).Inc()
	if attempts > 0 {
		m.botAttempts.WithLabelValues(eventType).Add(float64(attempts))
	}
}
