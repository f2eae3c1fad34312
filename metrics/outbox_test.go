package metrics_test

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/openchime/openchime/metrics"
)

func TestMetrics_Outbox(t *testing.T) {
	m := metrics.New()
	m.CountDelivery("hook-1", "webhook", "delivered")
	m.CountDelivery("hook-1", "webhook", "delivered")
	m.CountDelivery("scim-a", "scim", "retry")
	m.WatchOutbox(func(context.Context) (map[string]int, error) { return map[string]int{"": 3, "hook-1": 0}, nil })
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(w.Body)
	for _, want := range []string{
		`openchime_outbox_deliveries_total{result="delivered",target="hook-1",type="webhook"} 2`,
		`openchime_outbox_deliveries_total{result="retry",target="scim-a",type="scim"} 1`,
		`openchime_outbox_depth{target=""} 3`,
		`openchime_outbox_depth{target="hook-1"} 0`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics without %s", want)
		}
	}
}
