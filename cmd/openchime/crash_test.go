package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

// MustBuild builds this command into a temporary directory and returns the
// binary's path.
func MustBuild(tb testing.TB) string {
	tb.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(tb.TempDir(), "openchime")
	out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// crashWorker drives batches on its own users, so the expected state of each
// user follows from the worker's acknowledged calls alone.
type crashWorker struct {
	users    []string
	state    map[string]string // status after the acknowledged calls
	acked    int
	inFlight []string // ids of the call that got no answer
	inOp     string   // its target status
}

// TestCrash_KillDuringBatches kills the server with SIGKILL at a random
// moment of a batch workload on the log store, restarts it on the same
// directory and checks that every acknowledged transition survived and that
// the one unanswered call of each worker was applied to all of its users or
// to none. .ci/crash.sh runs it repeatedly.
func TestCrash_KillDuringBatches(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a server: skipped with -short")
	}
	bin := MustBuild(t)
	seed := rand.Uint64()
	rng := rand.New(rand.NewPCG(seed, 7))
	// A small checkpoint threshold half the time, so kills also land during
	// snapshots and log rotations.
	db := "log:" + t.TempDir()
	if rng.IntN(2) == 0 {
		db += "?checkpoint=" + fmt.Sprint(16<<10+rng.IntN(64<<10))
	}
	killAfter := time.Duration(200+rng.IntN(1800)) * time.Millisecond
	t.Logf("seed %d, --db %s, kill after %s", seed, db, killAfter)

	srv, err := startServer(bin, db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.kill() })
	ctx := context.Background()
	cl := newBenchClient(srv.url, 8)
	acct, ids, err := cl.seed(ctx, 800, 1)
	if err != nil {
		t.Fatal(err)
	}

	const workers = 8
	ws := make([]*crashWorker, workers)
	for w := range ws {
		ws[w] = &crashWorker{state: map[string]string{}}
		for i := w; i < len(ids); i += workers {
			ws[w].users = append(ws[w].users, ids[i])
			ws[w].state[ids[i]] = "Registered"
		}
	}
	var wg sync.WaitGroup
	for w, cw := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, uint64(w)))
			for {
				pick := make([]string, 50)
				for j := range pick {
					pick[j] = cw.users[r.IntN(len(cw.users))]
				}
				q, target := "operation=suspend", "Suspended"
				if r.IntN(2) == 0 {
					q, target = "operation=unsuspend", "Registered"
				}
				cw.inFlight, cw.inOp = pick, target
				status, body, err := cl.do(ctx, "POST", "/accounts/"+acct+"/users", q, batchBody(pick))
				if err != nil {
					return // the server is gone; this call's outcome is unknown
				}
				if status != http.StatusOK {
					t.Errorf("batch: %d %s", status, body)
					return
				}
				var out struct{ UserErrors []json.RawMessage }
				if err := json.Unmarshal(body, &out); err != nil || len(out.UserErrors) > 0 {
					t.Errorf("batch answer %s (%v)", body, err)
					return
				}
				for _, id := range pick {
					cw.state[id] = target
				}
				cw.acked++
				cw.inFlight = nil
			}
		}()
	}
	time.Sleep(killAfter)
	srv.kill()
	wg.Wait()
	if t.Failed() {
		return
	}

	srv2, err := startServer(bin, db)
	if err != nil {
		t.Fatalf("restart after kill -9: %v", err)
	}
	t.Cleanup(func() { srv2.kill() })
	got := listStatuses(t, newBenchClient(srv2.url, 1), acct)
	if len(got) != len(ids) {
		t.Fatalf("after restart the account lists %d users, want %d", len(got), len(ids))
	}
	acked := 0
	for w, cw := range ws {
		acked += cw.acked
		uncertain := map[string]bool{}
		applied, notApplied := 0, 0
		for _, id := range cw.inFlight {
			if cw.state[id] == cw.inOp {
				continue // unchanged by the call either way
			}
			uncertain[id] = true
			if got[id] == cw.inOp {
				applied++
			} else if got[id] == cw.state[id] {
				notApplied++
			}
		}
		if applied > 0 && notApplied > 0 {
			t.Errorf("worker %d: the unanswered batch was half applied: %d users changed, %d not", w, applied, notApplied)
		}
		for _, id := range cw.users {
			if !uncertain[id] && got[id] != cw.state[id] {
				t.Errorf("worker %d: user %s is %s after restart, but an acknowledged call left it %s", w, id, got[id], cw.state[id])
			}
		}
	}
	if acked == 0 {
		t.Errorf("no batch call was acknowledged before the kill; the test checked nothing")
	}
	t.Logf("%d acknowledged batch calls survived the kill", acked)
}

// listStatuses walks ListUsers to the end and returns each user's status.
func listStatuses(t *testing.T, cl *benchClient, acct string) map[string]string {
	t.Helper()
	got := map[string]string{}
	token := ""
	for {
		q := "max-results=100"
		if token != "" {
			q += "&next-token=" + url.QueryEscape(token)
		}
		status, body, err := cl.do(context.Background(), "GET", "/accounts/"+acct+"/users", q, nil)
		if err = checkStatus(status, body, err); err != nil {
			t.Fatalf("ListUsers: %v", err)
		}
		var page struct {
			Users []struct {
				UserId                 string
				UserRegistrationStatus string
			}
			NextToken string
		}
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatal(err)
		}
		for _, u := range page.Users {
			got[u.UserId] = u.UserRegistrationStatus
		}
		if page.NextToken == "" {
			return got
		}
		token = page.NextToken
	}
}
