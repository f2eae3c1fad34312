package main

import (
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestCrash_KillBeforeDelivery kills the server with SIGKILL while changes
// are being made and delivered to a webhook that refuses about half of what
// it is sent, restarts it on the same directory with the webhook healthy,
// and checks that every change the audit log kept arrives (at least once)
// and that nothing arrives that the audit log does not hold.
func TestCrash_KillBeforeDelivery(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a server: skipped with -short")
	}
	bin := MustBuild(t)
	seed := rand.Uint64()
	rng := rand.New(rand.NewPCG(seed, 18))
	killAfter := time.Duration(200+rng.IntN(1300)) * time.Millisecond
	t.Logf("seed %d, kill after %s", seed, killAfter)

	var healthy atomic.Bool
	var mu sync.Mutex
	delivered := map[string]int{}
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !healthy.Load() && rand.IntN(2) == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		var env struct{ ID string }
		if json.Unmarshal(body, &env) != nil || env.ID == "" || env.ID != r.Header.Get("X-OpenChime-Event-Id") {
			t.Errorf("delivery without an event id: %s", body)
		}
		mu.Lock()
		delivered[env.ID]++
		mu.Unlock()
	}))
	defer sink.Close()

	db := "log:" + t.TempDir()
	// Backoff capped low, so the deliveries that failed before the kill are
	// retried soon after the restart.
	fast := []string{"--outbox-max-backoff", "200ms"}
	srv, err := startServer(bin, db, fast...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.kill() })
	ctx := context.Background()
	cl := newBenchClient(srv.url, 2)
	acct, ids, err := cl.seed(ctx, 40, 1)
	if err != nil {
		t.Fatal(err)
	}
	hook := `{"Url":"` + sink.URL + `","Secret":"k","Events":["BatchSuspendUser","BatchUnsuspendUser"]}`
	if status, body, err := cl.do(ctx, "POST", "/_openchime/webhooks", "", []byte(hook)); err != nil || status != http.StatusCreated {
		t.Fatalf("create webhook: %d %s %v", status, body, err)
	}
	acked := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			q := "operation=suspend"
			if i%2 == 1 {
				q = "operation=unsuspend"
			}
			status, _, err := cl.do(ctx, "POST", "/accounts/"+acct+"/users", q, batchBody(ids[i/2%4*10:i/2%4*10+10]))
			if err != nil {
				return
			}
			if status == http.StatusOK {
				acked++
			}
		}
	}()
	time.Sleep(killAfter)
	srv.kill()
	<-done
	healthy.Store(true)

	t0 := time.Now()
	srv2, err := startServer(bin, db, fast...)
	t.Logf("restart took %s", time.Since(t0))
	if err != nil {
		t.Fatalf("restart after kill -9: %v", err)
	}
	t.Cleanup(func() { srv2.kill() })
	cl2 := newBenchClient(srv2.url, 1)
	want := map[string]bool{}
	for _, op := range []string{"BatchSuspendUser", "BatchUnsuspendUser"} {
		token := ""
		for {
			q := "operation=" + op + "&max-results=1000"
			if token != "" {
				q += "&next-token=" + url.QueryEscape(token)
			}
			status, body, err := cl2.do(ctx, "GET", "/_openchime/audit", q, nil)
			if err = checkStatus(status, body, err); err != nil {
				t.Fatal(err)
			}
			var page struct {
				Events    []struct{ EventId string }
				NextToken string
			}
			if err := json.Unmarshal(body, &page); err != nil {
				t.Fatal(err)
			}
			for _, e := range page.Events {
				want[e.EventId] = true
			}
			if token = page.NextToken; token == "" {
				break
			}
		}
	}
	if len(want) < acked {
		t.Fatalf("the audit log holds %d batch events, fewer than the %d acknowledged calls", len(want), acked)
	}
	restarted := time.Now()
	defer func() { t.Logf("delivered in %s after the restart", time.Since(restarted)) }()
	deadline := time.Now().Add(90 * time.Second)
	for {
		mu.Lock()
		missing := 0
		for id := range want {
			if delivered[id] == 0 {
				missing++
			}
		}
		mu.Unlock()
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d events never arrived", missing, len(want))
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	dups := 0
	for id, n := range delivered {
		if !want[id] {
			t.Errorf("event %s arrived but the audit log does not hold it", id)
		}
		dups += n - 1
	}
	if acked == 0 {
		t.Errorf("no call was acknowledged before the kill; the test checked nothing")
	}
	t.Logf("%d acknowledged calls, %d events, all delivered (%d twice or more)", acked, len(want), dups)
}
