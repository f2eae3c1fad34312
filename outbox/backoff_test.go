package outbox

import (
	"net/http"
	"testing"
	"time"
)

func TestDeliverer_Backoff(t *testing.T) {
	d := &Deliverer{BaseBackoff: time.Second, MaxBackoff: time.Minute}
	spread := map[time.Duration]bool{}
	for n := 1; n <= 40; n++ {
		ceiling := min(time.Second<<min(n-1, 30), time.Minute)
		for range 50 {
			got := d.backoff(n, 0)
			if got <= 0 || got > ceiling {
				t.Fatalf("backoff(%d) = %s, want in (0, %s]", n, got, ceiling)
			}
			spread[got] = true
		}
	}
	if len(spread) < 100 {
		t.Fatalf("backoff took %d distinct values: no jitter", len(spread))
	}
	if got := d.backoff(1, 90*time.Second); got != 90*time.Second {
		t.Fatalf("backoff with Retry-After 90s = %s", got)
	}
	if got := d.backoff(1, 48*time.Hour); got != time.Hour {
		t.Fatalf("backoff with Retry-After 48h = %s, want the 1h cap", got)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		header string
		want   time.Duration
	}{
		{"", 0}, {"120", 2 * time.Minute}, {"-5", 0}, {"soon", 0},
		{now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	} {
		resp := &http.Response{Header: http.Header{"Retry-After": {c.header}}}
		if got := RetryAfter(resp, now); got != c.want {
			t.Errorf("Retry-After %q = %s, want %s", c.header, got, c.want)
		}
	}
}
