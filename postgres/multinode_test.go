package postgres_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awschime "github.com/aws/aws-sdk-go-v2/service/chime"
	"github.com/aws/aws-sdk-go-v2/service/chime/types"
	"github.com/openchime/openchime/postgres"
)

// node is one `openchime serve` process of a multi-node test.
type node struct {
	name   string
	cmd    *exec.Cmd
	url    string
	client *awschime.Client
	dead   atomic.Bool
	exited chan struct{}
	log    string // path of the node's stderr
}

// batch sends BatchSuspendUser (suspend) or BatchUnsuspendUser for the
// users to the node and returns the answer's UserErrors.
func (n *node) batch(ctx context.Context, suspend bool, accountID string, users []string) ([]types.UserError, error) {
	if suspend {
		out, err := n.client.BatchSuspendUser(ctx, &awschime.BatchSuspendUserInput{AccountId: &accountID, UserIdList: users})
		if err != nil {
			return nil, err
		}
		return out.UserErrors, nil
	}
	out, err := n.client.BatchUnsuspendUser(ctx, &awschime.BatchUnsuspendUserInput{AccountId: &accountID, UserIdList: users})
	if err != nil {
		return nil, err
	}
	return out.UserErrors, nil
}

// MustBuildServer builds the openchime binary into a temporary directory.
func MustBuildServer(tb testing.TB) string {
	tb.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(tb.TempDir(), "openchime")
	out, err := exec.Command(goTool, "build", "-o", bin, "github.com/openchime/openchime/cmd/openchime").CombinedOutput()
	if err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startNode starts `openchime serve` on a free loopback port over dbURL
// and returns once it listens; the node is stopped when the test ends. It
// reports failure as an error, so that nodes can start from several
// goroutines at once.
func startNode(tb testing.TB, bin, dbURL, name string) (*node, error) {
	n := &node{name: name, exited: make(chan struct{}), log: filepath.Join(tb.TempDir(), name+".log")}
	// --addr 127.0.0.1:0 and the address read back from the log: no port
	// is picked and then lost to another process.
	n.cmd = exec.Command(bin, "serve", "--db", dbURL, "--addr", "127.0.0.1:0")
	logFile, err := os.Create(n.log)
	if err != nil {
		return nil, err
	}
	stderr, err := n.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := n.cmd.Start(); err != nil {
		return nil, err
	}
	addr := make(chan string, 1)
	go func() {
		defer logFile.Close()
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			logFile.Write(append(line, '\n'))
			var rec struct{ Msg, Addr string }
			if json.Unmarshal(line, &rec) == nil && rec.Msg == "listening" {
				select {
				case addr <- rec.Addr:
				default:
				}
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	go func() { n.cmd.Wait(); close(n.exited) }()
	tb.Cleanup(func() {
		if !n.dead.Load() {
			n.cmd.Process.Signal(os.Interrupt)
		}
		<-n.exited
	})
	select {
	case a := <-addr:
		n.url = "http://" + a
	case <-n.exited:
		log, _ := os.ReadFile(n.log)
		return nil, fmt.Errorf("%s exited before listening:\n%s", name, log)
	}
	n.client = awschime.New(awschime.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(n.url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		// No SDK retries: the test must know which request each answer is for.
		Retryer: aws.NopRetryer{},
	})
	return n, nil
}

// kill stops the node with SIGKILL: no graceful shutdown, open
// transactions and connections are cut.
func (n *node) kill(tb testing.TB) {
	n.dead.Store(true)
	if err := n.cmd.Process.Kill(); err != nil {
		tb.Errorf("kill %s: %v", n.name, err)
	}
	<-n.exited
}

// controlPost posts a JSON body to the node's control plane and returns the
// status and the decoded body.
func (n *node) controlPost(path string, body any) (int, map[string]any, error) {
	b, _ := json.Marshal(body)
	resp, err := http.Post(n.url+path, "application/json", bytes.NewReader(b))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			return resp.StatusCode, nil, fmt.Errorf("decode %s: %v: %s", path, err, raw)
		}
	}
	return resp.StatusCode, out, nil
}

// listUsers lists every user of the account, paging with MaxResults 7 and
// sending each page's request to the next node of nodes in turn, so that
// tokens minted by one node are redeemed by another.
func listUsers(ctx context.Context, nodes []*node, accountID string) ([]types.User, error) {
	var all []types.User
	var token *string
	for i := 0; ; i++ {
		out, err := nodes[i%len(nodes)].client.ListUsers(ctx, &awschime.ListUsersInput{
			AccountId: aws.String(accountID), MaxResults: aws.Int32(7), NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("%s: ListUsers page %d: %w", nodes[i%len(nodes)].name, i+1, err)
		}
		all = append(all, out.Users...)
		if out.NextToken == nil {
			return all, nil
		}
		token = out.NextToken
	}
}

// TestMultiNode runs three openchime nodes over one PostgreSQL database,
// drives them in parallel with the AWS SDK, kills one with SIGKILL mid-run,
// and checks that the final state is the one a serial order of the
// acknowledged requests produces, on every surviving node.
func TestMultiNode(t *testing.T) {
	dbURL := MustCreateDatabase(t)
	bin := MustBuildServer(t)
	ctx := context.Background()

	// All three start at once on an empty database: the advisory lock makes
	// exactly one of them migrate.
	nodes := make([]*node, 3)
	startErrs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nodes[i], startErrs[i] = startNode(t, bin, dbURL, fmt.Sprintf("node%d", i))
		}()
	}
	wg.Wait()
	if err := errors.Join(startErrs...); err != nil {
		t.Fatal(err)
	}

	status, body, err := nodes[0].controlPost("/_openchime/accounts", map[string]string{"Name": "multi-node", "AccountType": "EnterpriseLWA"})
	if err != nil || status != http.StatusCreated {
		t.Fatalf("create account: status %d, %v, %v", status, body, err)
	}
	accountID, _ := body["Account"].(map[string]any)["AccountId"].(string)

	// Every node creates every user, one request each, in its own random
	// order: for each email exactly one creation must succeed and the
	// others must answer Conflict.
	const numUsers = 24
	created := make([]atomic.Int32, numUsers)
	for _, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, i := range rand.Perm(numUsers) {
				status, body, err := n.controlPost("/_openchime/accounts/"+accountID+"/users",
					map[string]string{"PrimaryEmail": fmt.Sprintf("User%02d@example.com", i)})
				switch {
				case err != nil:
					t.Errorf("%s: create user %d: %v", n.name, i, err)
				case status == http.StatusCreated:
					created[i].Add(1)
				case status != http.StatusConflict:
					t.Errorf("%s: create user %d: status %d %v, want 201 or 409", n.name, i, status, body)
				}
			}
		}()
	}
	wg.Wait()
	for i := range created {
		if c := created[i].Load(); c != 1 {
			t.Errorf("user %d was created %d times, want once", i, c)
		}
	}
	users, err := listUsers(ctx, nodes, accountID)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != numUsers {
		t.Fatalf("%d users listed, want %d", len(users), numUsers)
	}

	// Workers own disjoint users, so the requests on one user are issued
	// sequentially and the last acknowledged one decides its final status.
	// A request that was not acknowledged (the node died, or the store gave
	// up) may or may not have applied: the user's status is uncertain until
	// a later acknowledged request covers it.
	const workers, rounds = 6, 30
	type expect struct {
		status    types.RegistrationStatus // "" = never acknowledged
		uncertain bool
	}
	expected := make(map[string]*expect, numUsers)
	for _, u := range users {
		expected[*u.UserId] = &expect{}
	}
	var done, acked, failed atomic.Int32
	killAt := int32(workers * rounds / 2)
	victim := nodes[2]
	for w := range workers {
		var mine []string
		for i, u := range users {
			if i%workers == w {
				mine = append(mine, *u.UserId)
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				var live []*node
				for _, n := range nodes {
					if !n.dead.Load() {
						live = append(live, n)
					}
				}
				n := live[rand.N(len(live))]
				batch := slices.Clone(mine)
				rand.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
				batch = batch[:1+rand.N(len(batch))]
				suspend := rand.N(2) == 0
				userErrs, err := n.batch(ctx, suspend, accountID, batch)
				if len(userErrs) > 0 {
					t.Errorf("%s: UserErrors %+v", n.name, userErrs)
				}
				for _, id := range batch {
					e := expected[id]
					switch {
					case err != nil:
						e.uncertain = true
					case suspend:
						e.status, e.uncertain = types.RegistrationStatusSuspended, false
					default:
						e.status, e.uncertain = types.RegistrationStatusRegistered, false
					}
				}
				if err != nil {
					failed.Add(1)
					if !n.dead.Load() {
						t.Logf("%s: unacknowledged: %v", n.name, err)
					}
				} else {
					acked.Add(1)
				}
				if done.Add(1) == killAt {
					victim.kill(t)
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d requests acknowledged, %d not (%s killed after %d)", acked.Load(), failed.Load(), victim.name, killAt)
	if acked.Load() < workers*rounds/2 {
		t.Errorf("only %d of %d requests acknowledged", acked.Load(), workers*rounds)
	}

	// Every surviving node answers the same, and that answer is the serial
	// outcome of the acknowledged requests.
	survivors := []*node{nodes[0], nodes[1]}
	var listings [][]types.User
	for i := range survivors {
		// Rotate the order so each node serves first pages and later pages.
		order := append(slices.Clone(survivors[i:]), survivors[:i]...)
		list, err := listUsers(ctx, order, accountID)
		if err != nil {
			t.Fatal(err)
		}
		listings = append(listings, list)
	}
	summary := func(list []types.User) []string {
		var out []string
		for _, u := range list {
			out = append(out, *u.UserId+" "+*u.PrimaryEmail+" "+string(u.UserRegistrationStatus))
		}
		return out
	}
	if a, b := summary(listings[0]), summary(listings[1]); !slices.Equal(a, b) {
		t.Errorf("nodes disagree:\n%s\n---\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
	emails := map[string]bool{}
	for _, u := range listings[0] {
		email := strings.ToLower(*u.PrimaryEmail)
		if emails[email] {
			t.Errorf("email %s listed twice", email)
		}
		emails[email] = true
		e := expected[*u.UserId]
		if e == nil {
			t.Errorf("unexpected user %s", *u.UserId)
			continue
		}
		want := e.status
		if want == "" {
			want = types.RegistrationStatusRegistered
		}
		if !e.uncertain && u.UserRegistrationStatus != want {
			t.Errorf("user %s is %s, want %s (its last acknowledged request)", *u.UserId, u.UserRegistrationStatus, want)
		}
	}
	if len(listings[0]) != numUsers {
		t.Errorf("%d users at the end, want %d", len(listings[0]), numUsers)
	}
	for _, u := range listings[0][:3] {
		var got []string
		for _, n := range survivors {
			out, err := n.client.GetUser(ctx, &awschime.GetUserInput{AccountId: &accountID, UserId: u.UserId})
			if err != nil {
				t.Fatalf("%s: GetUser: %v", n.name, err)
			}
			b, _ := json.Marshal(out.User)
			got = append(got, string(b))
		}
		if got[0] != got[1] {
			t.Errorf("GetUser %s differs between nodes:\n%s\n%s", *u.UserId, got[0], got[1])
		}
	}

	// Second round: the surviving nodes run batches on overlapping users at
	// once. The final state must be one that some serial order of the
	// acknowledged requests (plus any subset of the unacknowledged ones)
	// produces: a batch applies to all its users or none, never half.
	before := map[string]types.RegistrationStatus{}
	for _, u := range listings[0] {
		before[*u.UserId] = u.UserRegistrationStatus
	}
	var reqs []batchRequest
	var mu sync.Mutex
	// Few users and many writers make the batches collide often.
	const hot = 6
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 25 {
				n := survivors[rand.N(len(survivors))]
				perm := rand.Perm(hot)
				batch := make([]string, 2+rand.N(hot-1))
				for i := range batch {
					batch[i] = *users[perm[i]].UserId
				}
				r := batchRequest{users: batch, status: types.RegistrationStatusRegistered}
				var err error
				if rand.N(2) == 0 {
					r.status = types.RegistrationStatusSuspended
					_, err = n.client.BatchSuspendUser(ctx, &awschime.BatchSuspendUserInput{AccountId: &accountID, UserIdList: batch})
				} else {
					_, err = n.client.BatchUnsuspendUser(ctx, &awschime.BatchUnsuspendUserInput{AccountId: &accountID, UserIdList: batch})
				}
				r.acked = err == nil
				if err != nil {
					t.Logf("%s: unacknowledged: %v", n.name, err)
				}
				mu.Lock()
				reqs = append(reqs, r)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	after, err := listUsers(ctx, survivors, accountID)
	if err != nil {
		t.Fatal(err)
	}
	final := map[string]types.RegistrationStatus{}
	for _, u := range after {
		final[*u.UserId] = u.UserRegistrationStatus
	}
	if err := serialOrderExists(reqs, before, final); err != nil {
		t.Error(err)
	}

	// The database itself holds one user per email.
	db, err := postgres.OpenDB(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var dups int
	if err := db.QueryRow(`SELECT count(*) FROM (SELECT 1 FROM users GROUP BY account_id, email_norm HAVING count(*) > 1) d`).Scan(&dups); err != nil {
		t.Fatal(err)
	}
	if dups != 0 {
		t.Errorf("%d emails have several users", dups)
	}
	var migrations int
	if err := db.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&migrations); err != nil {
		t.Fatal(err)
	}
	if want := len(MustMigrationFiles(t, "migrations")); migrations != want {
		t.Errorf("schema_migrations has %d rows, want %d", migrations, want)
	}
	if t.Failed() {
		for _, n := range nodes {
			log, _ := os.ReadFile(n.log)
			for _, line := range strings.Split(string(log), "\n") {
				if strings.Contains(line, `"level":"ERROR"`) {
					t.Logf("%s: %s", n.name, line)
				}
			}
		}
	}
}

// batchRequest is a BatchSuspendUser (status Suspended) or
// BatchUnsuspendUser (status Registered) request of a multi-node test.
type batchRequest struct {
	users  []string
	status types.RegistrationStatus // the status the request leaves its users in
	acked  bool
}

// serialOrderExists reports, as an error, when no serial order of the
// acknowledged requests, with any subset of the unacknowledged ones, takes
// the users from before to final. Every request sets each of its users to
// one status (users start Registered or Suspended), so the user's final
// status is that of the last request touching it. The order is built from
// the end: a request may go last when it agrees with the final status of
// every user not yet claimed by a later request. Claiming only relaxes the
// condition, so this greedy search finds an order whenever one exists.
func serialOrderExists(reqs []batchRequest, before, final map[string]types.RegistrationStatus) error {
	claimed := map[string]bool{}
	placed := make([]bool, len(reqs))
	for progress := true; progress; {
		progress = false
		for i, r := range reqs {
			if placed[i] {
				continue
			}
			fits := true
			for _, u := range r.users {
				if !claimed[u] && final[u] != r.status {
					fits = false
					break
				}
			}
			if fits {
				placed[i], progress = true, true
				for _, u := range r.users {
					claimed[u] = true
				}
			}
		}
	}
	for i, r := range reqs {
		if !placed[i] && r.acked {
			return fmt.Errorf("no serial order explains the final state: acknowledged request %v (to %s) disagrees with the final status of a user no later request covers; final %v", r.users, r.status, final)
		}
	}
	for u, st := range final {
		if !claimed[u] && st != before[u] {
			return fmt.Errorf("user %s changed from %s to %s, but no request explains it", u, before[u], st)
		}
	}
	return nil
}
