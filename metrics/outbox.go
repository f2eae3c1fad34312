package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// outboxMetrics counts the outbox's deliveries and reports its depth.
type outboxMetrics struct {
	deliveries *prometheus.CounterVec
	depth      func(context.Context) (map[string]int, error)
	depthDesc  *prometheus.Desc
}

// CountDelivery counts one delivery attempt to a target by its outcome:
// delivered, retry, dead or stopped.
func (m *Metrics) CountDelivery(targetID, targetType, result string) {
	m.outboxOnce().deliveries.WithLabelValues(targetID, targetType, result).Inc()
}

// WatchOutbox reports the outbox depth that depth counts (per target id; ""
// for the changes not fanned out yet) at every scrape.
func (m *Metrics) WatchOutbox(depth func(context.Context) (map[string]int, error)) {
	m.outboxOnce().depth = depth
}

func (m *Metrics) outboxOnce() *outboxMetrics {
	m.outboxInit.Do(func() {
		o := &outboxMetrics{
			deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
				Name: "openchime_outbox_deliveries_total", Help: "Attempts at delivering a change to a webhook or SCIM target, by target and result.",
			}, []string{"target", "type", "result"}),
			depthDesc: prometheus.NewDesc("openchime_outbox_depth", "Changes waiting to be delivered, by target (\"\": not yet assigned to targets).", []string{"target"}, nil),
		}
		m.Registry.MustRegister(o.deliveries, (*outboxDepth)(o))
		m.outbox = o
	})
	return m.outbox
}

type outboxDepth outboxMetrics

func (o *outboxDepth) Describe(ch chan<- *prometheus.Desc) { ch <- o.depthDesc }

func (o *outboxDepth) Collect(ch chan<- prometheus.Metric) {
	if o.depth == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	depth, err := o.depth(ctx)
	if err != nil {
		return
	}
	for target, n := range depth {
		ch <- prometheus.MustNewConstMetric(o.depthDesc, prometheus.GaugeValue, float64(n), target)
	}
}
