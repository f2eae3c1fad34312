package metrics

import (
	"context"
	"sync"
	"time"

	openchime "github.com/openchime/openchime"
	"github.com/prometheus/client_golang/prometheus"
)

// DefaultUsersTTL is how long a users-by-status count is reused: counting
// a million users in SQLite takes about 0.8 s (one scan of the
// users_by_status index), so scrapes closer together than this share one
// count, and a scrape waits for a count at most once per TTL.
const DefaultUsersTTL = 30 * time.Second

// WatchUsers registers the openchime_users gauge, counted from store at
// scrape time and cached for ttl (DefaultUsersTTL when 0).
func (m *Metrics) WatchUsers(store openchime.Store, ttl time.Duration) {
	if ttl <= 0 {
		ttl = DefaultUsersTTL
	}
	m.Registry.MustRegister(&usersCollector{
		store: store, ttl: ttl,
		desc: prometheus.NewDesc("openchime_users", "Users by registration status; status=\"Removed\" counts users removed from Team accounts.",
			[]string{"status"}, nil),
		errDesc: prometheus.NewDesc("openchime_users_count_errors_total", "Failed user counts.", nil, nil),
	})
}

type usersCollector struct {
	store   openchime.Store
	ttl     time.Duration
	desc    *prometheus.Desc
	errDesc *prometheus.Desc

	mu     sync.Mutex // one count at a time; concurrent scrapes wait for it
	at     time.Time
	counts openchime.UserCounts
	errs   int
}

func (c *usersCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.desc
	ch <- c.errDesc
}

func (c *usersCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at.IsZero() || time.Since(c.at) >= c.ttl {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var counts openchime.UserCounts
		err := c.store.View(ctx, func(tx openchime.ReadTx) (err error) {
			counts, err = openchime.CountUsers(ctx, tx)
			return err
		})
		cancel()
		if err != nil {
			c.errs++ // keep serving the last good count
		} else {
			c.counts, c.at = counts, time.Now()
		}
	}
	ch <- prometheus.MustNewConstMetric(c.errDesc, prometheus.CounterValue, float64(c.errs))
	if c.at.IsZero() {
		return
	}
	for _, s := range []openchime.RegistrationStatus{openchime.Registered, openchime.Unregistered, openchime.Suspended} {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(c.counts.ByStatus[s]), string(s))
	}
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(c.counts.Removed), "Removed")
}
