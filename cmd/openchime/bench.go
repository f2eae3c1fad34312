package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	openchime "github.com/openchime/openchime"
)

// The bench command seeds an EnterpriseLWA account through the control plane
// and drives the Chime workload with SigV4-signed requests: alternating
// 50-user BatchSuspendUser/BatchUnsuspendUser, ListUsers walks of 100-user
// pages, and GetUser. It starts its own servers (this binary, `serve`) unless
// --endpoint names them, and runs the same workload against a server whose
// store does nothing (--db nostore:), so every report carries the ratio to
// that no-store baseline measured in the same run.
//
// With --nodes N it starts N servers on the one --db (a postgres:// URL, or
// nostore:, which keeps nothing and so may run any number of times) and
// spreads the load's connections over them round-robin: --concurrency is the
// connections per node, so the load has N × --concurrency connections, and
// the no-store baseline runs with as many against one no-store server. It
// reports the total and each node's figures, and counts every answer other
// than 200 by status and error type.

type benchConfig struct {
	Endpoint     string // comma-separated
	DB           string
	Nodes        int
	Users        int
	Duration     time.Duration
	Concurrency  int // per node
	Phases       string
	Baseline     bool
	Batch        int
	Seed         uint64
	Keep         bool
	FailOnErrors bool
	CPUProfile   string
	Account      string // with --endpoint and no seed phase: the account the load uses
	AccessKey    string
	SecretKey    string

	endpoints []string // Endpoint's servers
	bin       string   // the binary whose serve command runs the nodes
}

// parseBenchFlags reads bench's flags and checks them.
func parseBenchFlags(args []string) (benchConfig, error) {
	var c benchConfig
	fs := flag.NewFlagSet("openchime bench", flag.ContinueOnError)
	fs.StringVar(&c.Endpoint, "endpoint", "", "drive this server, or these comma-separated servers (one node each), instead of starting any (then restart is skipped)")
	fs.StringVar(&c.DB, "db", "", "--db of the servers to start (default log:<temporary directory>)")
	fs.IntVar(&c.Nodes, "nodes", 1, "servers to start on the one --db, each on its own port; more than 1 needs a postgres:// URL (or nostore:)")
	fs.IntVar(&c.Users, "users", 10000, "users to seed in the account")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "length of each load phase")
	fs.IntVar(&c.Concurrency, "concurrency", 16, "concurrent connections per node (the load has nodes × concurrency; the no-store baseline as many on one server)")
	fs.StringVar(&c.Phases, "phases", "seed,restart,batch,list,get", "comma-separated phases: seed (through the control plane) or seed-direct (into the --db store in process, for 10M users), restart, batch, list, get")
	fs.BoolVar(&c.Baseline, "baseline", true, "also run the load phases against a no-store server")
	fs.IntVar(&c.Batch, "batch", 50, "user ids per batch request")
	fs.Uint64Var(&c.Seed, "seed", 1, "random seed of the user picks")
	fs.BoolVar(&c.Keep, "keep", false, "keep the temporary data directory")
	fs.BoolVar(&c.FailOnErrors, "fail-on-errors", false, "exit with status 1 when any load request got no 200 answer")
	fs.StringVar(&c.CPUProfile, "cpuprofile", "", "write the load tool's own CPU profile (the client side) to this file")
	fs.StringVar(&c.Account, "account", "", "with --endpoint and no seed phase: the account id the load phases use, with --users synthetic user ids u00000000, u00000001, ... (as nostore: lists them; default "+syntheticAccount+")")
	fs.StringVar(&c.AccessKey, "access-key", benchAccessKey, "SigV4 access key id of the load's requests (the servers bench starts know only the default)")
	fs.StringVar(&c.SecretKey, "secret-key", benchSecretKey, "SigV4 secret access key of the load's requests")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	nodesSet := false
	fs.Visit(func(f *flag.Flag) { nodesSet = nodesSet || f.Name == "nodes" })
	for _, e := range strings.Split(c.Endpoint, ",") {
		if e = strings.TrimSpace(e); e != "" {
			c.endpoints = append(c.endpoints, strings.TrimRight(e, "/"))
		}
	}
	switch {
	case c.Nodes < 1:
		return c, fmt.Errorf("--nodes %d: needs at least 1", c.Nodes)
	case c.Concurrency < 1:
		return c, fmt.Errorf("--concurrency %d: needs at least 1", c.Concurrency)
	case c.Endpoint != "" && len(c.endpoints) == 0:
		return c, fmt.Errorf("--endpoint %q names no server", c.Endpoint)
	case len(c.endpoints) > 0:
		if nodesSet && c.Nodes != len(c.endpoints) {
			return c, fmt.Errorf("--nodes %d with %d --endpoint servers: with --endpoint, its list is the nodes (leave --nodes out)", c.Nodes, len(c.endpoints))
		}
		c.Nodes = len(c.endpoints)
	case c.Nodes > 1 && !sharedDB(c.DB):
		db := "--db " + redactDB(c.DB)
		if c.DB == "" {
			db = "the default --db (the log store in a temporary directory)"
		}
		return c, fmt.Errorf("--nodes %d: %s is not a store several servers can share; several nodes need a postgres:// URL (or nostore:, which stores nothing)", c.Nodes, db)
	}
	return c, nil
}

// sharedDB reports whether several serve processes can run on db at once.
func sharedDB(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") || strings.HasPrefix(db, "nostore:")
}

func runBench(ctx context.Context, args []string) error {
	c, err := parseBenchFlags(args)
	if err != nil {
		return err
	}
	if c.bin, err = os.Executable(); err != nil {
		return err
	}
	return bench(ctx, c, os.Stdout)
}

// bench runs the phases c names and writes the report to out.
func bench(ctx context.Context, c benchConfig, out io.Writer) error {
	if c.CPUProfile != "" {
		f, err := os.Create(c.CPUProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	phases := map[string]bool{}
	for _, p := range strings.Split(c.Phases, ",") {
		phases[strings.TrimSpace(p)] = true
	}
	if c.DB == "" && len(c.endpoints) == 0 {
		dir, err := os.MkdirTemp("", "openchime-bench-")
		if err != nil {
			return err
		}
		if !c.Keep {
			defer os.RemoveAll(dir)
		}
		c.DB = "log:" + dir
	}
	if c.Nodes == 1 {
		fmt.Fprintf(out, "openchime bench: %d users, %d connections, %s per phase, batches of %d\n", c.Users, c.Concurrency, c.Duration, c.Batch)
	} else {
		fmt.Fprintf(out, "openchime bench: %d users, %d nodes × %d connections (%d in all), %s per phase, batches of %d\n",
			c.Users, c.Nodes, c.Concurrency, c.Nodes*c.Concurrency, c.Duration, c.Batch)
	}
	fmt.Fprintf(out, "machine: %s\n", machine())

	var acct string
	var ids []string
	var err error
	if phases["seed-direct"] {
		if len(c.endpoints) > 0 {
			return errors.New("seed-direct writes the store of --db directly; it cannot seed --endpoint")
		}
		start := time.Now()
		if acct, ids, err = seedDirect(ctx, c.DB, c.Users); err != nil {
			return fmt.Errorf("seed-direct: %w", err)
		}
		d := time.Since(start)
		fmt.Fprintf(out, "seed-direct (in process, no HTTP): %d users in %s (%.0f users/s)\n", len(ids), d.Round(time.Millisecond), float64(len(ids))/d.Seconds())
	}
	var nodes []*serverProc
	defer func() { stopAll(nodes) }()
	urls := c.endpoints
	if len(urls) == 0 {
		if nodes, err = startNodes(c.bin, c.DB, c.Nodes); err != nil {
			return err
		}
		urls = make([]string, len(nodes))
		for i, n := range nodes {
			urls[i] = n.url
		}
		if c.Nodes == 1 {
			fmt.Fprintf(out, "store: --db %s (start %s)\n", redactDB(c.DB), nodes[0].startup.Round(time.Millisecond))
		} else {
			fmt.Fprintf(out, "store: --db %s, %d nodes\n", redactDB(c.DB), c.Nodes)
			for i, n := range nodes {
				fmt.Fprintf(out, "  node %d: %s (start %s)\n", i+1, n.url, n.startup.Round(time.Millisecond))
			}
		}
	} else if len(urls) > 1 {
		fmt.Fprintf(out, "endpoints: %d nodes\n", len(urls))
		for i, u := range urls {
			fmt.Fprintf(out, "  node %d: %s\n", i+1, u)
		}
	}
	clients := newBenchClientsKey(urls, c.Concurrency, c.AccessKey, c.SecretKey)
	if phases["seed"] {
		start := time.Now()
		acct, ids, err = clients[0].seed(ctx, c.Users, 2)
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		d := time.Since(start)
		via := ""
		if len(clients) > 1 {
			via = " (through node 1)"
		}
		fmt.Fprintf(out, "seed%s: %d users in %s (%.0f users/s)\n", via, len(ids), d.Round(time.Millisecond), float64(len(ids))/d.Seconds())
	} else if acct == "" && (phases["batch"] || phases["list"] || phases["get"]) {
		if len(c.endpoints) == 0 {
			return errors.New("the load phases need the seed or seed-direct phase (or --endpoint, which can run them on synthetic ids)")
		}
		// A server bench did not seed, such as a nostore: server or a
		// reference server that checks no ids against a store.
		acct, ids = syntheticIDs(c.Account, c.Users)
		fmt.Fprintf(out, "no seed: account %s, %d synthetic user ids (u%08d...)\n", acct, len(ids), 0)
	}
	if phases["restart"] && nodes != nil {
		// Every node stops (one after the other, gracefully), then every
		// node starts again, one after the other, as a rolling restart would
		// not: this measures a cold start of the whole cluster.
		t0 := time.Now()
		err := stopAll(nodes)
		nodes = nil
		if err != nil {
			return fmt.Errorf("stop: %w", err)
		}
		stopT := time.Since(t0)
		if nodes, err = startNodes(c.bin, c.DB, c.Nodes); err != nil {
			return err
		}
		for i, n := range nodes {
			rss, _ := n.rss()
			if c.Nodes == 1 {
				fmt.Fprintf(out, "restart (graceful stop %s): start to first answered request %s (server CPU %s), RSS %d MB\n",
					stopT.Round(time.Millisecond), n.startup.Round(time.Millisecond), n.startCPU, rss>>20)
				break
			}
			if i == 0 {
				fmt.Fprintf(out, "restart of all %d nodes (graceful stop of all %s), start to first answered request:\n", c.Nodes, stopT.Round(time.Millisecond))
			}
			fmt.Fprintf(out, "  node %d: %s %s (server CPU %s), RSS %d MB\n", i+1, n.url, n.startup.Round(time.Millisecond), n.startCPU, rss>>20)
		}
		for i, n := range nodes {
			urls[i] = n.url
		}
		clients = newBenchClientsKey(urls, c.Concurrency, c.AccessKey, c.SecretKey)
	}

	results := runPhases(ctx, out, clients, c, phases, acct, ids)
	for i, n := range nodes {
		rss, peak := n.rss()
		if len(nodes) == 1 {
			fmt.Fprintf(out, "server RSS after load: %d MB (peak %d MB)\n", rss>>20, peak>>20)
		} else {
			fmt.Fprintf(out, "node %d RSS after load: %d MB (peak %d MB)\n", i+1, rss>>20, peak>>20)
		}
	}
	var base []phaseResult
	if c.Baseline && len(results) > 0 {
		// One no-store server with all the connections of the nodes: the
		// ceiling of what the HTTP layer answers on this machine.
		ns, err := startServer(c.bin, "nostore:?users="+strconv.Itoa(c.Users))
		if err != nil {
			return err
		}
		bc := c
		bc.Concurrency = c.Nodes * c.Concurrency
		base = runPhases(ctx, out, newBenchClients([]string{ns.url}, bc.Concurrency), bc, phases, acct, ids)
		ns.stop()
	}
	if len(results) > 0 {
		printResults(out, results, base)
		if c.Nodes > 1 {
			printNodeResults(out, results)
		}
	}
	failed := printFailures(out, "", results)
	if base != nil {
		failed += printFailures(out, "no-store baseline: ", base)
	}
	if failed > 0 && c.FailOnErrors {
		return fmt.Errorf("%d load requests got no 200 answer (--fail-on-errors)", failed)
	}
	return nil
}

// startNodes starts n servers on db one after the other (the first applies
// the migrations alone).
func startNodes(bin, db string, n int) ([]*serverProc, error) {
	var nodes []*serverProc
	for range n {
		p, err := startServer(bin, db)
		if err != nil {
			stopAll(nodes)
			return nil, err
		}
		nodes = append(nodes, p)
	}
	return nodes, nil
}

// stopAll stops the servers gracefully, one after the other, and returns
// the first error.
func stopAll(nodes []*serverProc) error {
	var first error
	for _, n := range nodes {
		first = cmpOr(first, n.stop())
	}
	return first
}

func machine() string {
	cpu := "?"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "model name") {
				_, cpu, _ = strings.Cut(line, ": ")
				break
			}
		}
	}
	n := 0
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		n = strings.Count(string(b), "\nprocessor") + 1
	}
	return fmt.Sprintf("%d CPUs, %s", n, cpu)
}

// seedDirect creates the account and users in the store of db in process,
// through the Service (the same code path as the control plane without the
// HTTP and JSON), then closes the store, which checkpoints it.
func seedDirect(ctx context.Context, db string, n int) (string, []string, error) {
	store, err := OpenStore(ctx, db)
	if err != nil {
		return "", nil, err
	}
	svc := openchime.NewService(store)
	a, err := svc.AdminCreateAccount(ctx, openchime.NewAccount{Name: "bench", Type: openchime.EnterpriseLWA, AwsAccountID: benchAwsAccount})
	if err != nil {
		store.Close()
		return "", nil, err
	}
	ids := make([]string, 0, n)
	for from := 0; from < n; from += 10000 {
		news := make([]openchime.NewUser, min(10000, n-from))
		for i := range news {
			news[i].PrimaryEmail = "user" + strconv.Itoa(from+i) + "@bench.example.com"
		}
		users, err := svc.AdminCreateUsers(ctx, a.ID, news)
		if err != nil {
			store.Close()
			return "", nil, err
		}
		for _, u := range users {
			ids = append(ids, u.ID)
		}
	}
	return a.ID, ids, store.Close()
}

// serverProc is a server this command started.
type serverProc struct {
	cmd     *exec.Cmd
	url     string
	startup time.Duration
	// startCPU is the CPU time the server used until its first answer:
	// on a shared machine, the start time's part that does not depend on
	// what else runs.
	startCPU time.Duration
	done     chan error
}

// cpu returns the user+system CPU time the server has used so far.
func (p *serverProc) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which ends with ')'): utime and stime
	// are the 12th and 13th, in clock ticks of 1/100 s.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// The servers bench starts verify SigV4 signatures (--auth sigv4) with this
// key, and guard the control plane with this token.
const (
	benchAccessKey   = "AKIDBENCHMARK"
	benchSecretKey   = "bench-secret-access-key"
	benchAwsAccount  = "123456789012"
	benchAdminToken  = "bench-admin-token"
	benchCredentials = `{"Credentials":[{"AccessKeyId":"` + benchAccessKey + `","SecretAccessKey":"` + benchSecretKey + `","AwsAccountId":"` + benchAwsAccount + `"}]}`
)

// startServer runs `bin serve` on a free port with SigV4 verification and
// returns once it answers, with the time from exec to the first answered
// request.
func startServer(bin, db string, extra ...string) (*serverProc, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	creds, err := os.CreateTemp("", "openchime-bench-creds-*.json")
	if err != nil {
		return nil, err
	}
	defer os.Remove(creds.Name()) // read once at start
	creds.WriteString(benchCredentials)
	creds.Close()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", addr, "--db", db, "--log-level", "warn",
		"--auth", "sigv4", "--credentials", creds.Name(), "--admin-token", benchAdminToken}, extra...)...)
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &serverProc{cmd: cmd, url: "http://" + addr, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	hc := &http.Client{Timeout: time.Second}
	defer hc.CloseIdleConnections()
	for {
		resp, err := hc.Get(p.url + "/_openchime/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				p.startup = time.Since(start)
				p.startCPU = p.cpu()
				return p, nil
			}
		}
		select {
		case err := <-p.done:
			return nil, fmt.Errorf("server --db %s exited: %v", db, err)
		case <-time.After(2 * time.Millisecond):
		}
		if time.Since(start) > 5*time.Minute {
			p.kill()
			return nil, fmt.Errorf("server --db %s did not answer in 5 minutes", db)
		}
	}
}

// rss returns the resident and peak resident memory of the server.
func (p *serverProc) rss() (cur, peak int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 {
			v, _ := strconv.ParseInt(f[1], 10, 64)
			switch f[0] {
			case "VmRSS:":
				cur = v << 10
			case "VmHWM:":
				peak = v << 10
			}
		}
	}
	return cur, peak
}

// stop stops the server gracefully (the store checkpoints on close).
func (p *serverProc) stop() error {
	if p.cmd.ProcessState != nil {
		return nil
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
		return nil
	case <-time.After(2 * time.Minute):
		p.kill()
		return errors.New("server did not stop in 2 minutes")
	}
}

// kill stops the server with SIGKILL, as a crash would.
func (p *serverProc) kill() {
	p.cmd.Process.Kill()
	err := <-p.done
	p.done <- err
}

// benchClient sends SigV4-signed requests over a pool of keep-alive
// connections.
type benchClient struct {
	base   string
	http   *http.Client
	signer *v4.Signer
	creds  aws.Credentials
	conns  []rawConn // one per load worker, see doOn
}

// newBenchClients returns one client per server, each with conns
// connections for the load workers.
func newBenchClients(urls []string, conns int) []*benchClient {
	return newBenchClientsKey(urls, conns, benchAccessKey, benchSecretKey)
}

// newBenchClientsKey is newBenchClients signing with another key.
func newBenchClientsKey(urls []string, conns int, accessKey, secretKey string) []*benchClient {
	cls := make([]*benchClient, len(urls))
	for i, u := range urls {
		cls[i] = newBenchClient(u, conns)
		cls[i].creds = aws.Credentials{AccessKeyID: accessKey, SecretAccessKey: secretKey}
	}
	return cls
}

// syntheticAccount is the account the load uses against an --endpoint it
// did not seed, unless --account names another.
const syntheticAccount = "00000000-0000-4000-8000-000000000001"

// syntheticIDs returns the account (acct, or syntheticAccount) and users
// ids named as the nostore: store lists them.
func syntheticIDs(acct string, users int) (string, []string) {
	if acct == "" {
		acct = syntheticAccount
	}
	ids := make([]string, max(users, 1))
	for i := range ids {
		ids[i] = fmt.Sprintf("u%08d", i)
	}
	return acct, ids
}

func newBenchClient(base string, conns int) *benchClient {
	tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, IdleConnTimeout: time.Minute}
	return &benchClient{
		base:   base,
		http:   &http.Client{Transport: tr, Timeout: 5 * time.Minute},
		signer: v4.NewSigner(),
		creds:  aws.Credentials{AccessKeyID: benchAccessKey, SecretAccessKey: benchSecretKey},
		conns:  make([]rawConn, conns),
	}
}

var emptyHash = hex.EncodeToString(func() []byte { h := sha256.Sum256(nil); return h[:] }())

// request builds a request and signs it as the AWS SDK does (the control
// plane takes the admin token instead).
func (c *benchClient) request(ctx context.Context, method, path, query string, body []byte) (*http.Request, error) {
	u := c.base + path
	if query != "" {
		u += "?" + query
	}
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hash := emptyHash
	if len(body) > 0 {
		h := sha256.Sum256(body)
		hash = hex.EncodeToString(h[:])
		req.Header.Set("Content-Type", "application/json")
	}
	if strings.HasPrefix(path, "/_openchime/") {
		req.Header.Set("Authorization", "Bearer "+benchAdminToken)
	} else {
		req.Header.Set("X-Amz-Content-Sha256", hash)
		if err := c.signer.SignHTTP(ctx, c.creds, req, hash, "chime", "us-east-1", time.Now()); err != nil {
			return nil, err
		}
	}
	return req, nil
}

// do sends one request through the http.Client and returns the status and
// body.
func (c *benchClient) do(ctx context.Context, method, path, query string, body []byte) (int, []byte, error) {
	a, err := c.doAnswer(ctx, method, path, query, body)
	return a.status, a.body, err
}

// answer is a server's answer to one request.
type answer struct {
	status  int
	errType string // the x-amzn-ErrorType header
	body    []byte
}

func (c *benchClient) doAnswer(ctx context.Context, method, path, query string, body []byte) (answer, error) {
	req, err := c.request(ctx, method, path, query, body)
	if err != nil {
		return answer{}, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := readBody(resp)
	return answer{resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), b}, err
}

func readBody(resp *http.Response) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 && n < 64<<20 {
		b := make([]byte, n)
		_, err := io.ReadFull(resp.Body, b)
		return b, err
	}
	return io.ReadAll(resp.Body)
}

// doOn sends one request on load worker w's own keep-alive connection. The
// load phases use it instead of the http.Client, whose transport hands each
// request between three goroutines and spent more CPU per ListUsers page than
// the server did answering it; the client shares the two cores with the
// server, so that cost showed up as server latency. The request is still
// built, signed and written by net/http and the AWS SDK's signer, and the
// answer parsed by net/http.
func (c *benchClient) doOn(ctx context.Context, w int, method, path, query string, body []byte) (answer, error) {
	if !strings.HasPrefix(c.base, "http://") {
		return c.doAnswer(ctx, method, path, query, body) // TLS: the transport's
	}
	req, err := c.request(ctx, method, path, query, body)
	if err != nil {
		return answer{}, err
	}
	rc := &c.conns[w]
	a, err := rc.roundTrip(req)
	if err != nil {
		rc.close()
	}
	return a, err
}

// rawConn is one load worker's connection.
type rawConn struct {
	conn net.Conn
	r    *bufio.Reader
	w    *bufio.Writer
}

func (rc *rawConn) roundTrip(req *http.Request) (answer, error) {
	if rc.conn == nil {
		conn, err := net.Dial("tcp", req.URL.Host)
		if err != nil {
			return answer{}, err
		}
		rc.conn, rc.r, rc.w = conn, bufio.NewReaderSize(conn, 64<<10), bufio.NewWriterSize(conn, 16<<10)
	}
	rc.conn.SetDeadline(time.Now().Add(5 * time.Minute))
	if err := req.Write(rc.w); err != nil {
		return answer{}, err
	}
	if err := rc.w.Flush(); err != nil {
		return answer{}, err
	}
	resp, err := http.ReadResponse(rc.r, req)
	if err != nil {
		return answer{}, err
	}
	b, err := readBody(resp)
	resp.Body.Close()
	if err == nil && resp.Close {
		rc.close()
	}
	return answer{resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), b}, err
}

func (rc *rawConn) close() {
	if rc.conn != nil {
		rc.conn.Close()
		rc.conn = nil
	}
}

// seed creates an EnterpriseLWA account and n Registered users in calls of
// up to 10,000, conc calls at a time, and returns the user ids.
func (c *benchClient) seed(ctx context.Context, n, conc int) (string, []string, error) {
	status, body, err := c.do(ctx, "POST", "/_openchime/accounts", "", []byte(`{"Name":"bench","AccountType":"EnterpriseLWA","AwsAccountId":"`+benchAwsAccount+`"}`))
	if err != nil {
		return "", nil, err
	}
	if status != http.StatusCreated {
		return "", nil, fmt.Errorf("create account: %d %s", status, body)
	}
	var acct struct{ Account struct{ AccountId string } }
	if err := json.Unmarshal(body, &acct); err != nil {
		return "", nil, err
	}
	id := acct.Account.AccountId
	const chunk = 10000
	ids := make([]string, n)
	var next atomic.Int64
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			for {
				from := int(next.Add(chunk)) - chunk
				if from >= n {
					return
				}
				to := min(from+chunk, n)
				buf.Reset()
				buf.WriteString(`{"Users":[`)
				for i := from; i < to; i++ {
					if i > from {
						buf.WriteByte(',')
					}
					fmt.Fprintf(&buf, `{"PrimaryEmail":"user%d@bench.example.com"}`, i)
				}
				buf.WriteString(`]}`)
				status, body, err := c.do(ctx, "POST", "/_openchime/accounts/"+id+"/users", "", buf.Bytes())
				if err == nil && status != http.StatusCreated {
					err = fmt.Errorf("create users: %d %.200s", status, body)
				}
				var got []string
				if err == nil {
					got = scanUserIDs(body)
				}
				if err == nil && len(got) != to-from {
					err = fmt.Errorf("create users: %d users back, want %d", len(got), to-from)
				}
				if err != nil {
					mu.Lock()
					firstErr = cmpOr(firstErr, err)
					mu.Unlock()
					return
				}
				copy(ids[from:], got)
			}
		}()
	}
	wg.Wait()
	return id, ids, firstErr
}

// scanUserIDs returns the "UserId" values of a control-plane answer in
// order. The seeding client shares the CPUs with the server, so it scans
// rather than decoding megabytes of users it does not need.
func scanUserIDs(body []byte) []string {
	const key = `"UserId":"`
	var ids []string
	for {
		i := bytes.Index(body, []byte(key))
		if i < 0 {
			return ids
		}
		body = body[i+len(key):]
		j := bytes.IndexByte(body, '"')
		if j < 0 {
			return ids
		}
		ids = append(ids, string(body[:j]))
		body = body[j:]
	}
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// batchBody is the body of a batch call on the ids.
func batchBody(ids []string) []byte {
	b, _ := json.Marshal(map[string][]string{"UserIdList": ids})
	return b
}

type phaseResult struct {
	op      string
	count   int
	errors  int
	elapsed time.Duration
	lat     []time.Duration // sorted
	// kinds counts the failed requests by failureKind.
	kinds map[string]int
	// nodes holds each node's share when the load was spread over several
	// servers, in the order of the servers.
	nodes []phaseResult
}

func (r phaseResult) rate() float64 { return float64(r.count) / r.elapsed.Seconds() }

func (r phaseResult) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[min(len(r.lat)-1, int(float64(len(r.lat))*p))]
}

// merge adds o's requests to r (which must cover the same time).
func (r *phaseResult) merge(o phaseResult) {
	r.count += o.count
	r.errors += o.errors
	r.elapsed = o.elapsed
	r.lat = append(r.lat, o.lat...)
	for k, n := range o.kinds {
		if r.kinds == nil {
			r.kinds = map[string]int{}
		}
		r.kinds[k] += n
	}
	if r.nodes == nil && o.nodes != nil {
		r.nodes = make([]phaseResult, len(o.nodes))
	}
	for i := range o.nodes {
		r.nodes[i].op = r.op
		r.nodes[i].merge(o.nodes[i])
	}
}

// sortLat sorts the latencies of r and of its nodes.
func (r *phaseResult) sortLat() {
	slices.Sort(r.lat)
	for i := range r.nodes {
		slices.Sort(r.nodes[i].lat)
	}
}

// statusError is an answer other than 200.
type statusError struct {
	status  int
	errType string // x-amzn-ErrorType, else the body's Code
	body    []byte
}

func (e *statusError) Error() string { return fmt.Sprintf("status %d: %.200s", e.status, e.body) }

// answerError is a 200 answer the load tool could not accept.
type answerError struct{ msg string }

func (e *answerError) Error() string { return e.msg }

func badAnswer(format string, args ...any) error { return &answerError{fmt.Sprintf(format, args...)} }

// failureKind names the class of a failed request for the report: the
// status and error type of an answer ("503 ServiceUnavailableException"),
// "200 unusable answer", or "no answer" and the cause.
func failureKind(err error) string {
	var se *statusError
	var ae *answerError
	var ne net.Error
	switch {
	case errors.As(err, &se):
		t := se.errType
		if t == "" {
			var b struct{ Code string }
			json.Unmarshal(se.body, &b)
			t = cmp.Or(b.Code, "(no error type)")
		}
		return fmt.Sprintf("%d %s", se.status, t)
	case errors.As(err, &ae):
		return "200 unusable answer"
	case errors.As(err, &ne) && ne.Timeout():
		return "no answer: timeout"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "no answer: connection closed"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "no answer: connection refused"
	}
	return "no answer: other error"
}

// latencyRecorder collects latencies per operation and node from many
// workers.
type latencyRecorder struct {
	mu    sync.Mutex
	nodes int
	ops   map[string]*phaseResult
	errs  map[string]string
}

func (r *latencyRecorder) add(op string, node int, lat []time.Duration, kinds map[string]int, firstErr string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	pr := r.ops[op]
	if pr == nil {
		pr = &phaseResult{op: op}
		if r.nodes > 1 {
			pr.nodes = make([]phaseResult, r.nodes)
		}
		r.ops[op] = pr
	}
	part := phaseResult{op: op, lat: lat, count: len(lat), kinds: kinds}
	for _, n := range kinds {
		part.errors += n
	}
	if pr.nodes != nil {
		pr.nodes[node].op = op
		pr.nodes[node].merge(part)
	}
	part.nodes = nil
	pr.merge(part)
	if firstErr != "" && r.errs[op] == "" {
		r.errs[op] = firstErr
	}
}

// load runs conc workers on each of nodes servers for d: worker w talks to
// node w%nodes on that node's connection w/nodes, and calls step
// repeatedly, which returns the operation name and why it failed.
func load(ctx context.Context, nodes, conc int, d time.Duration, step func(w int, rng *rand.Rand, i int) (string, error)) []phaseResult {
	rec := &latencyRecorder{nodes: nodes, ops: map[string]*phaseResult{}, errs: map[string]string{}}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < nodes*conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			lats := map[string][]time.Duration{}
			kinds := map[string]map[string]int{}
			first := map[string]string{}
			for i := 0; ctx.Err() == nil; i++ {
				t0 := time.Now()
				op, err := step(w, rng, i)
				if ctx.Err() != nil && err != nil {
					break // cut by the end of the phase
				}
				lats[op] = append(lats[op], time.Since(t0))
				if err != nil {
					if kinds[op] == nil {
						kinds[op] = map[string]int{}
					}
					kinds[op][failureKind(err)]++
					if first[op] == "" {
						first[op] = err.Error()
					}
				}
			}
			for op, l := range lats {
				rec.add(op, w%nodes, l, kinds[op], first[op])
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var out []phaseResult
	for _, pr := range rec.ops {
		pr.elapsed = elapsed
		for i := range pr.nodes {
			pr.nodes[i].elapsed = elapsed
		}
		pr.sortLat()
		if e := rec.errs[pr.op]; e != "" {
			fmt.Fprintf(os.Stderr, "bench: %s: %d errors, first: %s\n", pr.op, pr.errors, e)
		}
		out = append(out, *pr)
	}
	slices.SortFunc(out, func(a, b phaseResult) int { return strings.Compare(a.op, b.op) })
	return out
}

// runPhases runs the load phases against the servers of cls, c.Concurrency
// connections on each.
func runPhases(ctx context.Context, out io.Writer, cls []*benchClient, c benchConfig, phases map[string]bool, acct string, ids []string) []phaseResult {
	var res []phaseResult
	n := len(cls)
	// on sends worker w's request to its node on its own connection.
	on := func(w int, method, path, query string, body []byte) (answer, error) {
		return cls[w%n].doOn(ctx, w/n, method, path, query, body)
	}
	path := "/accounts/" + acct + "/users"
	if phases["batch"] {
		rs := load(ctx, n, c.Concurrency, c.Duration, func(w int, rng *rand.Rand, i int) (string, error) {
			pick := make([]string, c.Batch)
			for j := range pick {
				pick[j] = ids[rng.IntN(len(ids))]
			}
			op, q := "BatchSuspendUser", "operation=suspend"
			if i%2 == 1 {
				op, q = "BatchUnsuspendUser", "operation=unsuspend"
			}
			return op, checkAnswer(on(w, "POST", path, q, batchBody(pick)))
		})
		all := phaseResult{op: "Batch (both)"}
		for _, r := range rs {
			all.merge(r)
		}
		all.sortLat()
		res = append(res, all)
		res = append(res, rs...)
	}
	if phases["list"] {
		tokens := make([]string, n*c.Concurrency)
		walks := atomic.Int64{}
		rs := load(ctx, n, c.Concurrency, c.Duration, func(w int, rng *rand.Rand, i int) (string, error) {
			q := "max-results=100"
			if tokens[w] != "" {
				q += "&next-token=" + url.QueryEscape(tokens[w])
			}
			a, err := on(w, "GET", path, q, nil)
			if err = checkAnswer(a, err); err != nil {
				tokens[w] = ""
				return "ListUsers", err
			}
			token, users, err := scanPage(a.body)
			if err != nil {
				tokens[w] = ""
				return "ListUsers", err
			}
			if users != 100 && token != "" {
				return "ListUsers", badAnswer("a page of %d users before the end", users)
			}
			tokens[w] = token
			if token == "" {
				walks.Add(1)
			}
			return "ListUsers", nil
		})
		res = append(res, rs...)
		fmt.Fprintf(out, "list: %d complete walks\n", walks.Load())
	}
	if phases["get"] {
		res = append(res, load(ctx, n, c.Concurrency, c.Duration, func(w int, rng *rand.Rand, i int) (string, error) {
			return "GetUser", checkAnswer(on(w, "GET", path+"/"+ids[rng.IntN(len(ids))], "", nil))
		})...)
	}
	return res
}

// scanPage reads a ListUsers answer's NextToken and counts its users without
// decoding it: the client shares the two cores with the server, and decoding
// 40 KB of JSON per page cost the client more CPU than the server spent
// answering, which the page latency then measured. Tokens need no JSON
// escaping.
func scanPage(body []byte) (token string, users int, err error) {
	if len(body) == 0 || body[0] != '{' || body[len(body)-1] != '}' {
		return "", 0, badAnswer("not a JSON object: %.80q", body)
	}
	// "U" is rarer than '"' in the page, which keeps the count's search fast.
	users = bytes.Count(body, []byte(`UserId":`))
	// Members are written in the model's order, NextToken before Users;
	// a user's fields cannot hold the key unescaped.
	key := []byte(`"NextToken":"`)
	head := body[:min(len(body), 1024)]
	i := bytes.Index(head, key)
	if i < 0 {
		return "", users, nil
	}
	rest := body[i+len(key):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 || bytes.IndexByte(rest[:end], '\\') >= 0 {
		return "", 0, badAnswer("unreadable NextToken in %.80q", rest)
	}
	return string(rest[:end]), users, nil
}

// checkStatus returns a *statusError for an answer other than 200.
func checkStatus(status int, body []byte, err error) error {
	return checkAnswer(answer{status: status, body: body}, err)
}

func checkAnswer(a answer, err error) error {
	if err != nil {
		return err
	}
	if a.status != http.StatusOK {
		return &statusError{a.status, a.errType, a.body}
	}
	return nil
}

func printResults(w io.Writer, res, base []phaseResult) {
	baseByOp := map[string]phaseResult{}
	for _, r := range base {
		baseByOp[r.op] = r
	}
	fmt.Fprintf(w, "%-20s %9s %9s %8s %8s %8s %7s", "operation", "requests", "req/s", "p50", "p99", "max", "errors")
	if base != nil {
		fmt.Fprintf(w, " | %9s %8s %6s", "nostore/s", "p99", "ratio")
	}
	fmt.Fprintln(w)
	for _, r := range res {
		fmt.Fprintf(w, "%-20s %9d %9.0f %8s %8s %8s %7d", r.op, r.count, r.rate(), ms(r.pct(0.5)), ms(r.pct(0.99)), ms(r.pct(1)), r.errors)
		if b, ok := baseByOp[r.op]; ok && b.count > 0 {
			fmt.Fprintf(w, " | %9.0f %8s %6.3f", b.rate(), ms(b.pct(0.99)), r.rate()/b.rate())
		}
		fmt.Fprintln(w)
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }

// printNodeResults prints each node's share of each operation.
func printNodeResults(w io.Writer, res []phaseResult) {
	fmt.Fprintf(w, "per node:\n%-20s %4s %9s %9s %8s %8s %8s %7s\n", "operation", "node", "requests", "req/s", "p50", "p99", "max", "errors")
	for _, r := range res {
		for i, n := range r.nodes {
			fmt.Fprintf(w, "%-20s %4d %9d %9.0f %8s %8s %8s %7d\n", r.op, i+1, n.count, n.rate(), ms(n.pct(0.5)), ms(n.pct(0.99)), ms(n.pct(1)), n.errors)
		}
	}
}

// printFailures prints every request that got no 200 answer, by operation,
// node and kind, and returns how many there were. The batch phase's
// "Batch (both)" total is left out: its operations are counted on their own.
func printFailures(w io.Writer, label string, res []phaseResult) int {
	total, failed := 0, 0
	type row struct {
		op, node, kind string
		n              int
	}
	var rows []row
	for _, r := range res {
		if r.op == "Batch (both)" {
			continue
		}
		total += r.count
		failed += r.errors
		parts := r.nodes
		if parts == nil {
			parts = []phaseResult{r}
		}
		for i, p := range parts {
			for k, n := range p.kinds {
				rows = append(rows, row{r.op, fmt.Sprintf("node %d", i+1), k, n})
			}
		}
	}
	if failed == 0 {
		if total > 0 {
			fmt.Fprintf(w, "%sall %d load requests answered 200\n", label, total)
		}
		return 0
	}
	slices.SortFunc(rows, func(a, b row) int {
		return cmp.Or(strings.Compare(a.op, b.op), strings.Compare(a.node, b.node), strings.Compare(a.kind, b.kind))
	})
	fmt.Fprintf(w, "%s!!! %d of %d load requests (%.2f%%) got NO 200 ANSWER:\n", label, failed, total, 100*float64(failed)/float64(total))
	for _, r := range rows {
		fmt.Fprintf(w, "!!!   %-20s %-8s %-40s %7d\n", r.op, r.node, r.kind, r.n)
	}
	return failed
}
