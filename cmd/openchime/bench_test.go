package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseBenchFlags(t *testing.T) {
	const pg = "postgres://u:secret@db.example:5432/oc"
	for _, tc := range []struct {
		args      []string
		nodes     int
		endpoints []string
		err       string // a part of the error, "" for none
	}{
		{args: nil, nodes: 1},
		{args: []string{"--db", pg, "--nodes", "3"}, nodes: 3},
		{args: []string{"--db", "postgresql://h/oc", "--nodes", "2"}, nodes: 2},
		{args: []string{"--db", "nostore:", "--nodes", "2"}, nodes: 2},
		{args: []string{"--endpoint", "http://a:1"}, nodes: 1, endpoints: []string{"http://a:1"}},
		{args: []string{"--endpoint", "http://a:1/, http://b:2,"}, nodes: 2, endpoints: []string{"http://a:1", "http://b:2"}},
		{args: []string{"--endpoint", "http://a:1,http://b:2", "--nodes", "2"}, nodes: 2, endpoints: []string{"http://a:1", "http://b:2"}},
		{args: []string{"--endpoint", "http://a:1,http://b:2", "--nodes", "3"}, err: "--nodes 3 with 2 --endpoint servers"},
		{args: []string{"--endpoint", " , "}, err: "names no server"},
		{args: []string{"--nodes", "2"}, err: "the default --db"},
		{args: []string{"--nodes", "2", "--db", "log:/tmp/x"}, err: "--db log:/tmp/x is not a store several servers can share"},
		{args: []string{"--nodes", "2", "--db", "sqlite:/tmp/x.db"}, err: "need a postgres:// URL"},
		{args: []string{"--nodes", "2", "--db", "/tmp/x.db"}, err: "need a postgres:// URL"},
		{args: []string{"--nodes", "0", "--db", pg}, err: "at least 1"},
		{args: []string{"--concurrency", "0"}, err: "at least 1"},
		{args: []string{"extra"}, err: "unexpected argument"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			c, err := parseBenchFlags(tc.args)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err=%v, want one containing %q", err, tc.err)
				}
				if strings.Contains(err.Error(), "secret") {
					t.Errorf("err=%v shows the password", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Nodes != tc.nodes {
				t.Errorf("Nodes=%d, want %d", c.Nodes, tc.nodes)
			}
			if diff := cmp.Diff(tc.endpoints, c.endpoints); diff != "" {
				t.Errorf("endpoints (-want +got):\n%s", diff)
			}
		})
	}
}

// fakeChime is a server that answers the bench workload without storing
// anything; with failBatch it answers every batch call 503. It records the
// client connections it saw.
type fakeChime struct {
	*httptest.Server
	failBatch bool

	mu       sync.Mutex
	conns    map[string]bool
	requests map[string]int // by operation
}

func newFakeChime(t *testing.T, failBatch bool) *fakeChime {
	f := &fakeChime{failBatch: failBatch, conns: map[string]bool{}, requests: map[string]int{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeChime) serve(w http.ResponseWriter, r *http.Request) {
	op := r.Method + " " + r.URL.Path
	switch {
	case r.URL.Path == "/_openchime/accounts":
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"Account":{"AccountId":"acct"}}`)
	case r.URL.Path == "/_openchime/accounts/acct/users":
		var in struct{ Users []json.RawMessage }
		json.NewDecoder(r.Body).Decode(&in)
		var b bytes.Buffer
		b.WriteString(`{"Users":[`)
		for i := range in.Users {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"UserId":"u%d"}`, i)
		}
		b.WriteString(`]}`)
		w.WriteHeader(http.StatusCreated)
		w.Write(b.Bytes())
	case r.Method == "POST" && r.URL.Path == "/accounts/acct/users":
		op = "batch"
		if f.failBatch {
			w.Header().Set("x-amzn-ErrorType", "ServiceUnavailableException")
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"Code":"ServiceUnavailable","Message":"try again"}`)
			break
		}
		fmt.Fprint(w, `{"UserErrors":[]}`)
	case r.URL.Path == "/accounts/acct/users":
		op = "list"
		fmt.Fprint(w, `{"Users":[]}`)
	case strings.HasPrefix(r.URL.Path, "/accounts/acct/users/"):
		op = "get"
		fmt.Fprint(w, `{"User":{}}`)
	default:
		http.NotFound(w, r)
	}
	f.mu.Lock()
	f.conns[r.RemoteAddr] = true
	f.requests[op]++
	f.mu.Unlock()
}

// TestBench_Endpoints drives two servers named by --endpoint, one of which
// fails every batch call, and checks that each worker kept to one node on
// its own connection, that the failures are reported by node, status and
// error type, and that --fail-on-errors makes the run fail.
func TestBench_Endpoints(t *testing.T) {
	ok, bad := newFakeChime(t, false), newFakeChime(t, true)
	c, err := parseBenchFlags([]string{"--endpoint", ok.URL + "," + bad.URL, "--concurrency", "3", "--users", "500",
		"--duration", "200ms", "--phases", "seed,batch,list,get", "--baseline=false", "--fail-on-errors"})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = bench(context.Background(), c, &out)
	t.Logf("output:\n%s", out.String())
	if err == nil || !strings.Contains(err.Error(), "--fail-on-errors") {
		t.Errorf("bench=%v, want the --fail-on-errors error", err)
	}
	for _, f := range []*fakeChime{ok, bad} {
		f.mu.Lock()
		// The seed's two control-plane calls share the http.Client's pool
		// on node 1; the load has 3 connections per node.
		if n := len(f.conns); n < 3 || n > 5 {
			t.Errorf("%s: %d client connections, want 3 (and the seed's on node 1)", f.URL, n)
		}
		for _, op := range []string{"batch", "list", "get"} {
			if f.requests[op] == 0 {
				t.Errorf("%s: no %s request", f.URL, op)
			}
		}
		f.mu.Unlock()
	}
	got := out.String()
	for _, want := range []string{
		"endpoints: 2 nodes\n",
		"seed (through node 1): 500 users",
		"per node:\n",
		"got NO 200 ANSWER:\n",
		"BatchSuspendUser     node 2   503 ServiceUnavailableException",
		"BatchUnsuspendUser   node 2   503 ServiceUnavailableException",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(got, "node 1   503") {
		t.Errorf("output counts failures on node 1, which answered every call")
	}
}

// TestPrintFailures checks the report of failed requests: every kind on
// its own line, and the "Batch (both)" total not counted twice.
func TestPrintFailures(t *testing.T) {
	res := []phaseResult{
		{op: "Batch (both)", count: 10, errors: 3, kinds: map[string]int{"503 ServiceUnavailableException": 3}},
		{op: "BatchSuspendUser", count: 10, errors: 3, kinds: map[string]int{"503 ServiceUnavailableException": 2, "no answer: timeout": 1}},
		{op: "GetUser", count: 90, errors: 1, kinds: map[string]int{"500 ServiceFailureException": 1}},
	}
	var out bytes.Buffer
	if n := printFailures(&out, "", res); n != 4 {
		t.Errorf("printFailures=%d, want 4", n)
	}
	want := "!!! 4 of 100 load requests (4.00%) got NO 200 ANSWER:\n" +
		"!!!   BatchSuspendUser     node 1   503 ServiceUnavailableException                2\n" +
		"!!!   BatchSuspendUser     node 1   no answer: timeout                             1\n" +
		"!!!   GetUser              node 1   500 ServiceFailureException                    1\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	out.Reset()
	if n := printFailures(&out, "no-store baseline: ", []phaseResult{{op: "GetUser", count: 5}}); n != 0 || out.String() != "no-store baseline: all 5 load requests answered 200\n" {
		t.Errorf("printFailures=%d, %q; want 0 and the all-200 line", n, out.String())
	}
}

// TestBench_NostoreNodes runs the built binary's servers: two no-store
// nodes (nostore: keeps nothing, so any number may run), the restart of both
// and the one-server baseline with both nodes' connections.
func TestBench_NostoreNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs servers: skipped with -short")
	}
	c, err := parseBenchFlags([]string{"--db", "nostore:", "--nodes", "2", "--concurrency", "2", "--users", "300",
		"--duration", "300ms", "--fail-on-errors"})
	if err != nil {
		t.Fatal(err)
	}
	c.bin = MustBuild(t)
	var out bytes.Buffer
	start := time.Now()
	if err := bench(context.Background(), c, &out); err != nil {
		t.Errorf("bench: %v", err)
	}
	t.Logf("%s, output:\n%s", time.Since(start), out.String())
	got := out.String()
	for _, want := range []string{
		"2 nodes × 2 connections (4 in all)",
		"store: --db nostore:, 2 nodes\n  node 1: http://127.0.0.1:",
		"restart of all 2 nodes",
		"nostore/s",
		"per node:\n",
		"GetUser                 2 ",
		"load requests answered 200\n",
		"no-store baseline: all ",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

// TestBench_EndpointNoSeed drives an --endpoint bench did not seed: the
// load phases run on --account and synthetic user ids.
func TestBench_EndpointNoSeed(t *testing.T) {
	f := newFakeChime(t, false)
	c, err := parseBenchFlags([]string{"--endpoint", f.URL, "--concurrency", "2", "--users", "10", "--account", "acct",
		"--duration", "200ms", "--phases", "batch,get", "--baseline=false", "--fail-on-errors"})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := bench(context.Background(), c, &out); err != nil {
		t.Fatalf("bench: %v\n%s", err, out.String())
	}
	if got := out.String(); !strings.Contains(got, "no seed: account acct, 10 synthetic user ids") {
		t.Errorf("output lacks the synthetic ids line:\n%s", got)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.requests["batch"] == 0 || f.requests["get"] == 0 {
		t.Errorf("requests %v, want batch and get calls", f.requests)
	}
}
