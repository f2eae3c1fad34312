package metrics_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/metrics"
)

func TestMetrics_ObserveRequest(t *testing.T) {
	m := metrics.New()
	m.ObserveRequest("GetUser", 200, "", time.Millisecond)
	m.ObserveRequest("GetUser", 404, openchime.NotFound, time.Millisecond)
	m.ObserveRequest("", 404, openchime.UnknownOperation, time.Millisecond)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`openchime_requests_total{operation="GetUser",status="200"} 1`,
		`openchime_requests_total{operation="GetUser",status="404"} 1`,
		`openchime_errors_total{code="NotFound",operation="GetUser"} 1`,
		`openchime_errors_total{code="UnknownOperation",operation="Unknown"} 1`,
		`openchime_request_duration_seconds_count{operation="GetUser"} 2`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// BenchmarkMetrics_ObserveRequest measures the per-request cost of the
// metrics hook once the operation's label children are cached.
func BenchmarkMetrics_ObserveRequest(b *testing.B) {
	m := metrics.New()
	b.ReportAllocs()
	for b.Loop() {
		m.ObserveRequest("BatchUnsuspendUser", 200, "", time.Millisecond)
	}
}
