package main

import (
	"bufio"
	"bytes"
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
// --endpoint names one, and runs the same workload against a server whose
// store does nothing (--db nostore:), so every report carries the ratio to
// that no-store baseline measured in the same run.

type benchConfig struct {
	Endpoint    string
	DB          string
	Users       int
	Duration    time.Duration
	Concurrency int
	Phases      string
	Baseline    bool
	Batch       int
	Seed        uint64
	Keep        bool
}

func runBench(ctx context.Context, args []string) error {
	var c benchConfig
	fs := flag.NewFlagSet("openchime bench", flag.ContinueOnError)
	fs.StringVar(&c.Endpoint, "endpoint", "", "drive this server instead of starting one (then restart is skipped)")
	fs.StringVar(&c.DB, "db", "", "--db of the server to start (default log:<temporary directory>)")
	fs.IntVar(&c.Users, "users", 10000, "users to seed in the account")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "length of each load phase")
	fs.IntVar(&c.Concurrency, "concurrency", 16, "concurrent connections")
	fs.StringVar(&c.Phases, "phases", "seed,restart,batch,list,get", "comma-separated phases: seed (through the control plane) or seed-direct (into the --db store in process, for 10M users), restart, batch, list, get")
	fs.BoolVar(&c.Baseline, "baseline", true, "also run the load phases against a no-store server")
	fs.IntVar(&c.Batch, "batch", 50, "user ids per batch request")
	fs.Uint64Var(&c.Seed, "seed", 1, "random seed of the user picks")
	fs.BoolVar(&c.Keep, "keep", false, "keep the temporary data directory")
	cpuProfile := fs.String("cpuprofile", "", "write the load tool's own CPU profile (the client side) to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
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
	bin, err := os.Executable()
	if err != nil {
		return err
	}
	if c.DB == "" && c.Endpoint == "" {
		dir, err := os.MkdirTemp("", "openchime-bench-")
		if err != nil {
			return err
		}
		if !c.Keep {
			defer os.RemoveAll(dir)
		}
		c.DB = "log:" + dir
	}
	fmt.Printf("openchime bench: %d users, %d connections, %s per phase, batches of %d\n", c.Users, c.Concurrency, c.Duration, c.Batch)
	fmt.Printf("machine: %s\n", machine())

	var acct string
	var ids []string
	if phases["seed-direct"] {
		if c.Endpoint != "" {
			return errors.New("seed-direct writes the store of --db directly; it cannot seed --endpoint")
		}
		start := time.Now()
		if acct, ids, err = seedDirect(ctx, c.DB, c.Users); err != nil {
			return fmt.Errorf("seed-direct: %w", err)
		}
		d := time.Since(start)
		fmt.Printf("seed-direct (in process, no HTTP): %d users in %s (%.0f users/s)\n", len(ids), d.Round(time.Millisecond), float64(len(ids))/d.Seconds())
	}
	var srv *serverProc
	endpoint := c.Endpoint
	if endpoint == "" {
		if srv, err = startServer(bin, c.DB); err != nil {
			return err
		}
		defer srv.stop()
		endpoint = srv.url
		fmt.Printf("store: --db %s (start %s)\n", c.DB, srv.startup.Round(time.Millisecond))
	}
	cl := newBenchClient(endpoint, c.Concurrency)
	if phases["seed"] {
		start := time.Now()
		acct, ids, err = cl.seed(ctx, c.Users, 2)
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		d := time.Since(start)
		fmt.Printf("seed: %d users in %s (%.0f users/s)\n", len(ids), d.Round(time.Millisecond), float64(len(ids))/d.Seconds())
	} else if acct == "" && (phases["batch"] || phases["list"] || phases["get"]) {
		return errors.New("the load phases need the seed or seed-direct phase")
	}
	if phases["restart"] && srv != nil {
		t0 := time.Now()
		if err := srv.stop(); err != nil {
			return fmt.Errorf("stop: %w", err)
		}
		stopT := time.Since(t0)
		if srv, err = startServer(bin, c.DB); err != nil {
			return err
		}
		defer srv.stop()
		rss, _ := srv.rss()
		fmt.Printf("restart (graceful stop %s): start to first answered request %s (server CPU %s), RSS %d MB\n",
			stopT.Round(time.Millisecond), srv.startup.Round(time.Millisecond), srv.startCPU, rss>>20)
		cl = newBenchClient(srv.url, c.Concurrency)
	}

	results := runPhases(ctx, cl, c, phases, acct, ids)
	if srv != nil {
		rss, peak := srv.rss()
		fmt.Printf("server RSS after load: %d MB (peak %d MB)\n", rss>>20, peak>>20)
	}
	var base []phaseResult
	if c.Baseline {
		ns, err := startServer(bin, "nostore:?users="+strconv.Itoa(c.Users))
		if err != nil {
			return err
		}
		base = runPhases(ctx, newBenchClient(ns.url, c.Concurrency), c, phases, acct, ids)
		ns.stop()
	}
	printResults(os.Stdout, results, base)
	return nil
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
func startServer(bin, db string) (*serverProc, error) {
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
	cmd := exec.Command(bin, "serve", "--addr", addr, "--db", db, "--log-level", "warn",
		"--auth", "sigv4", "--credentials", creds.Name(), "--admin-token", benchAdminToken)
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
	req, err := c.request(ctx, method, path, query, body)
	if err != nil {
		return 0, nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := readBody(resp)
	return resp.StatusCode, b, err
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
func (c *benchClient) doOn(ctx context.Context, w int, method, path, query string, body []byte) (int, []byte, error) {
	if !strings.HasPrefix(c.base, "http://") {
		return c.do(ctx, method, path, query, body) // TLS: the transport's
	}
	req, err := c.request(ctx, method, path, query, body)
	if err != nil {
		return 0, nil, err
	}
	rc := &c.conns[w]
	status, b, err := rc.roundTrip(req)
	if err != nil {
		rc.close()
	}
	return status, b, err
}

// rawConn is one load worker's connection.
type rawConn struct {
	conn net.Conn
	r    *bufio.Reader
	w    *bufio.Writer
}

func (rc *rawConn) roundTrip(req *http.Request) (int, []byte, error) {
	if rc.conn == nil {
		conn, err := net.Dial("tcp", req.URL.Host)
		if err != nil {
			return 0, nil, err
		}
		rc.conn, rc.r, rc.w = conn, bufio.NewReaderSize(conn, 64<<10), bufio.NewWriterSize(conn, 16<<10)
	}
	rc.conn.SetDeadline(time.Now().Add(5 * time.Minute))
	if err := req.Write(rc.w); err != nil {
		return 0, nil, err
	}
	if err := rc.w.Flush(); err != nil {
		return 0, nil, err
	}
	resp, err := http.ReadResponse(rc.r, req)
	if err != nil {
		return 0, nil, err
	}
	b, err := readBody(resp)
	resp.Body.Close()
	if err == nil && resp.Close {
		rc.close()
	}
	return resp.StatusCode, b, err
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
}

func (r phaseResult) rate() float64 { return float64(r.count) / r.elapsed.Seconds() }

func (r phaseResult) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[min(len(r.lat)-1, int(float64(len(r.lat))*p))]
}

// latencyRecorder collects latencies per operation from many workers.
type latencyRecorder struct {
	mu   sync.Mutex
	ops  map[string]*phaseResult
	errs map[string]string
}

func (r *latencyRecorder) add(op string, lat []time.Duration, errs int, firstErr string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	pr := r.ops[op]
	if pr == nil {
		pr = &phaseResult{op: op}
		r.ops[op] = pr
	}
	pr.lat = append(pr.lat, lat...)
	pr.count += len(lat)
	pr.errors += errs
	if firstErr != "" && r.errs[op] == "" {
		r.errs[op] = firstErr
	}
}

// load runs workers for d; each worker calls step repeatedly, which returns
// the operation name, whether it failed, and an error description.
func load(ctx context.Context, conc int, d time.Duration, step func(w int, rng *rand.Rand, i int) (string, error)) []phaseResult {
	rec := &latencyRecorder{ops: map[string]*phaseResult{}, errs: map[string]string{}}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			lats := map[string][]time.Duration{}
			errs := map[string]int{}
			first := map[string]string{}
			for i := 0; ctx.Err() == nil; i++ {
				t0 := time.Now()
				op, err := step(w, rng, i)
				if ctx.Err() != nil && err != nil {
					break // cut by the end of the phase
				}
				lats[op] = append(lats[op], time.Since(t0))
				if err != nil {
					errs[op]++
					if first[op] == "" {
						first[op] = err.Error()
					}
				}
			}
			for op, l := range lats {
				rec.add(op, l, errs[op], first[op])
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var out []phaseResult
	for _, pr := range rec.ops {
		pr.elapsed = elapsed
		slices.Sort(pr.lat)
		if e := rec.errs[pr.op]; e != "" {
			fmt.Fprintf(os.Stderr, "bench: %s: %d errors, first: %s\n", pr.op, pr.errors, e)
		}
		out = append(out, *pr)
	}
	slices.SortFunc(out, func(a, b phaseResult) int { return strings.Compare(a.op, b.op) })
	return out
}

func runPhases(ctx context.Context, cl *benchClient, c benchConfig, phases map[string]bool, acct string, ids []string) []phaseResult {
	var out []phaseResult
	path := "/accounts/" + acct + "/users"
	if phases["batch"] {
		res := load(ctx, c.Concurrency, c.Duration, func(w int, rng *rand.Rand, i int) (string, error) {
			pick := make([]string, c.Batch)
			for j := range pick {
				pick[j] = ids[rng.IntN(len(ids))]
			}
			op, q := "BatchSuspendUser", "operation=suspend"
			if i%2 == 1 {
				op, q = "BatchUnsuspendUser", "operation=unsuspend"
			}
			status, body, err := cl.doOn(ctx, w, "POST", path, q, batchBody(pick))
			return op, checkStatus(status, body, err)
		})
		var all phaseResult
		all.op = "Batch (both)"
		for _, r := range res {
			all.count += r.count
			all.errors += r.errors
			all.elapsed = r.elapsed
			all.lat = append(all.lat, r.lat...)
		}
		slices.Sort(all.lat)
		out = append(out, all)
		out = append(out, res...)
	}
	if phases["list"] {
		tokens := make([]string, c.Concurrency)
		walks := atomic.Int64{}
		res := load(ctx, c.Concurrency, c.Duration, func(w int, rng *rand.Rand, i int) (string, error) {
			q := "max-results=100"
			if tokens[w] != "" {
				q += "&next-token=" + url.QueryEscape(tokens[w])
			}
			status, body, err := cl.doOn(ctx, w, "GET", path, q, nil)
			if err = checkStatus(status, body, err); err != nil {
				tokens[w] = ""
				return "ListUsers", err
			}
			token, users, err := scanPage(body)
			if err != nil {
				tokens[w] = ""
				return "ListUsers", err
			}
			if users != 100 && token != "" {
				return "ListUsers", fmt.Errorf("a page of %d users before the end", users)
			}
			tokens[w] = token
			if token == "" {
				walks.Add(1)
			}
			return "ListUsers", nil
		})
		out = append(out, res...)
		fmt.Printf("list: %d complete walks\n", walks.Load())
	}
	if phases["get"] {
		out = append(out, load(ctx, c.Concurrency, c.Duration, func(w int, rng *rand.Rand, i int) (string, error) {
			status, body, err := cl.doOn(ctx, w, "GET", path+"/"+ids[rng.IntN(len(ids))], "", nil)
			return "GetUser", checkStatus(status, body, err)
		})...)
	}
	return out
}

// scanPage reads a ListUsers answer's NextToken and counts its users without
// decoding it: the client shares the two cores with the server, and decoding
// 40 KB of JSON per page cost the client more CPU than the server spent
// answering, which the page latency then measured. Tokens need no JSON
// escaping.
func scanPage(body []byte) (token string, users int, err error) {
	if len(body) == 0 || body[0] != '{' || body[len(body)-1] != '}' {
		return "", 0, fmt.Errorf("not a JSON object: %.80q", body)
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
		return "", 0, fmt.Errorf("unreadable NextToken in %.80q", rest)
	}
	return string(rest[:end]), users, nil
}

func checkStatus(status int, body []byte, err error) error {
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("status %d: %.200s", status, body)
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
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }
	for _, r := range res {
		fmt.Fprintf(w, "%-20s %9d %9.0f %8s %8s %8s %7d", r.op, r.count, r.rate(), ms(r.pct(0.5)), ms(r.pct(0.99)), ms(r.pct(1)), r.errors)
		if b, ok := baseByOp[r.op]; ok && b.count > 0 {
			fmt.Fprintf(w, " | %9.0f %8s %6.3f", b.rate(), ms(b.pct(0.99)), r.rate()/b.rate())
		}
		fmt.Fprintln(w)
	}
}
