package metrics_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/internal/nostore"
	"github.com/openchime/openchime/metrics"
)

// countingViews counts the store reads made through it.
type countingViews struct {
	openchime.Store
	views atomic.Int64
}

func (s *countingViews) View(ctx context.Context, fn func(openchime.ReadTx) error) error {
	s.views.Add(1)
	return s.Store.View(ctx, fn)
}

// TestMetrics_Totals checks the console's per-operation totals, and that
// reading them does not count the users: the console polls Totals, and a
// users count is a store scan.
func TestMetrics_Totals(t *testing.T) {
	m := metrics.New()
	store := &countingViews{Store: nostore.New(0)}
	m.WatchUsers(store, time.Hour)
	m.ObserveRequest("GetUser", 200, "", time.Millisecond)
	m.ObserveRequest("GetUser", 404, openchime.NotFound, time.Millisecond)
	m.ObserveRequest("ListUsers", 200, "", time.Millisecond)
	want := []metrics.OpTotals{{Operation: "GetUser", Requests: 2, Errors: 1}, {Operation: "ListUsers", Requests: 1}}
	if diff := cmp.Diff(want, m.Totals()); diff != "" {
		t.Errorf("Totals (-want +got):\n%s", diff)
	}
	if n := store.views.Load(); n != 0 {
		t.Errorf("Totals read the store %d times, want 0", n)
	}
}
