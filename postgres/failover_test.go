package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	awschime "github.com/aws/aws-sdk-go-v2/service/chime"
	"github.com/aws/aws-sdk-go-v2/service/chime/types"
	"github.com/aws/smithy-go"
)

// answer is one API request of the failover test, as the client saw it.
type answer struct {
	node       int
	start, end time.Time
	status     int    // HTTP status; 0 when no response came
	code, msg  string // the error's code and message, if any
}

// possible is the set of values a user's field may hold: one value once a
// request that set it was acknowledged, more while later requests that were
// not acknowledged may or may not have applied.
type possible map[string]bool

func (p possible) String() string {
	var vs []string
	for v := range p {
		vs = append(vs, v)
	}
	sort.Strings(vs)
	return strings.Join(vs, "|")
}

// TestFailover runs three openchime nodes on the multi-host URL of a
// primary and its synchronous standby, drives writes through them, kills the
// primary's postmaster with SIGKILL mid-load, promotes the standby, and
// checks, without restarting any node, that:
//   - every answer is 200 or 503 ServiceUnavailableException, never 500;
//   - every node serves 200s again within 5 s of the promotion;
//   - every acknowledged write is on the new primary.
//
// .ci/postgres-ha.sh builds the clusters and sets the environment.
func TestFailover(t *testing.T) {
	dbURL := os.Getenv("OPENCHIME_TEST_POSTGRES_HA_URL")
	primaryData := os.Getenv("OPENCHIME_TEST_POSTGRES_HA_PRIMARY_DATA")
	promoteCmd := os.Getenv("OPENCHIME_TEST_POSTGRES_HA_PROMOTE")
	if dbURL == "" || primaryData == "" || promoteCmd == "" {
		t.Skip("OPENCHIME_TEST_POSTGRES_HA_URL, _PRIMARY_DATA and _PROMOTE are not set: run bash .ci/postgres-ha.sh, which builds a primary and a synchronous standby")
	}
	bin := MustBuildServer(t)
	ctx := context.Background()

	nodes := make([]*node, 3)
	for i := range nodes {
		n, err := startNode(t, bin, dbURL, fmt.Sprintf("node%d", i))
		if err != nil {
			t.Fatal(err)
		}
		nodes[i] = n
	}
	defer func() {
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
	}()

	status, body, err := nodes[0].controlPost("/_openchime/accounts", map[string]string{"Name": "failover", "AccountType": "EnterpriseLWA"})
	if err != nil || status != http.StatusCreated {
		t.Fatalf("create account: status %d, %v, %v", status, body, err)
	}
	accountID, _ := body["Account"].(map[string]any)["AccountId"].(string)
	const numUsers, workers = 40, 8
	for i := range numUsers {
		status, body, err := nodes[i%len(nodes)].controlPost("/_openchime/accounts/"+accountID+"/users",
			map[string]string{"PrimaryEmail": fmt.Sprintf("user%02d@example.com", i)})
		if err != nil || status != http.StatusCreated {
			t.Fatalf("create user %d: status %d, %v, %v", i, status, body, err)
		}
	}
	users, err := listUsers(ctx, nodes, accountID)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != numUsers {
		t.Fatalf("%d users listed, want %d", len(users), numUsers)
	}

	// Each user belongs to one worker, whose requests run one after the
	// other: the last acknowledged request on a user decides each of its
	// fields, and a request that was not acknowledged adds its value to the
	// possible ones until a later acknowledged request settles the field.
	// The maps are filled here and only read after: a worker changes the
	// sets of its own users, in place.
	// Once the primary is killed, half of each worker's users (the frozen
	// ones) are written no more: their final state is their last write
	// acknowledged by the old primary, which the new one must have. The
	// others are written through the failover.
	statusOf := map[string]*possible{}
	typeOf := map[string]*possible{}
	lastAck := map[string]*time.Time{} // per field ("status "+id, "type "+id)
	for _, u := range users {
		statusOf[*u.UserId] = &possible{string(u.UserRegistrationStatus): true}
		typeOf[*u.UserId] = &possible{string(u.UserType): true}
		lastAck["status "+*u.UserId], lastAck["type "+*u.UserId] = new(time.Time), new(time.Time)
	}
	frozen := map[string]bool{}
	var killing atomic.Bool
	var (
		mu      sync.Mutex
		answers []answer
		stop    atomic.Bool
		wg      sync.WaitGroup
	)
	record := func(a answer, err error) {
		a.end = time.Now()
		a.status = http.StatusOK
		if err != nil {
			a.status = 0
			var re interface{ HTTPStatusCode() int }
			if errors.As(err, &re) {
				a.status = re.HTTPStatusCode()
			}
			var ae smithy.APIError
			if errors.As(err, &ae) {
				a.code, a.msg = ae.ErrorCode(), ae.ErrorMessage()
			} else {
				a.msg = err.Error()
			}
		}
		mu.Lock()
		answers = append(answers, a)
		mu.Unlock()
	}
	// set applies what a write to value told about a field.
	set := func(p *possible, at *time.Time, value string, acked bool) {
		if acked {
			*p = possible{value: true}
			*at = time.Now()
		} else {
			(*p)[value] = true
		}
	}
	for w := range workers {
		var all []string
		for i, u := range users {
			if i%workers == w {
				all = append(all, *u.UserId)
			}
		}
		live := all[:len(all)/2]
		for _, id := range all[len(all)/2:] {
			frozen[id] = true
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				mine := all
				if killing.Load() {
					mine = live
				}
				i := rand.N(len(nodes))
				n := nodes[i]
				a := answer{node: i, start: time.Now()}
				rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
				switch op := rand.N(10); {
				case op < 6: // a batch on some of the worker's users
					batch := slices.Clone(mine)
					rand.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
					batch = batch[:1+rand.N(len(batch))]
					suspend, to := rand.N(2) == 0, types.RegistrationStatusRegistered
					if suspend {
						to = types.RegistrationStatusSuspended
					}
					userErrs, err := n.batch(rctx, suspend, accountID, batch)
					record(a, err)
					if len(userErrs) > 0 {
						t.Errorf("%s: UserErrors %+v", n.name, userErrs)
					}
					for _, id := range batch {
						set(statusOf[id], lastAck["status "+id], string(to), err == nil)
					}
				case op < 9: // one user's type
					id := mine[rand.N(len(mine))]
					to := types.UserTypePrivateUser
					if rand.N(2) == 0 {
						to = types.UserTypeSharedDevice
					}
					_, err := n.client.UpdateUser(rctx, &awschime.UpdateUserInput{AccountId: &accountID, UserId: &id, UserType: to})
					record(a, err)
					set(typeOf[id], lastAck["type "+id], string(to), err == nil)
				default: // a read, which must show a possible state
					id := mine[rand.N(len(mine))]
					out, err := n.client.GetUser(rctx, &awschime.GetUserInput{AccountId: &accountID, UserId: &id})
					record(a, err)
					if err == nil {
						if st, ty := string(out.User.UserRegistrationStatus), string(out.User.UserType); !(*statusOf[id])[st] || !(*typeOf[id])[ty] {
							t.Errorf("%s: GetUser %s read %s %s, want status %v and type %v", n.name, id, st, ty, *statusOf[id], *typeOf[id])
						}
					}
				}
				cancel()
			}
		}()
	}

	time.Sleep(1500 * time.Millisecond)
	pidLine, err := os.ReadFile(filepath.Join(primaryData, "postmaster.pid"))
	if err != nil {
		stop.Store(true)
		wg.Wait()
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(pidLine), "\n", 2)[0]))
	if err != nil {
		t.Fatalf("postmaster.pid: %v", err)
	}
	killing.Store(true)
	killed := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 %d: %v", pid, err)
	}
	t.Logf("killed the primary's postmaster (pid %d)", pid)
	// The outage lasts while a failover tool would decide; requests retry
	// inside the nodes meanwhile.
	time.Sleep(time.Second)
	args := strings.Fields(promoteCmd)
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Errorf("promote: %v\n%s", err, out)
	}
	promoted := time.Now()
	t.Logf("standby promoted %v after the kill", promoted.Sub(killed).Round(time.Millisecond))
	time.Sleep(6 * time.Second)
	stop.Store(true)
	wg.Wait()

	// Every answer is 200 or 503; each node answers 200 again soon after
	// the promotion, and from 5 s after it only 200s.
	var ok, unavailable, other int
	msgs := map[string]int{}
	firstOK := make([]time.Time, len(nodes))
	for _, a := range answers {
		switch a.status {
		case http.StatusOK:
			ok++
			if a.end.After(promoted) && (firstOK[a.node].IsZero() || a.end.Before(firstOK[a.node])) {
				firstOK[a.node] = a.end
			}
		case http.StatusServiceUnavailable:
			unavailable++
			msgs[a.code+": "+a.msg]++
			if a.start.After(promoted.Add(5 * time.Second)) {
				t.Errorf("%s: 503 for a request sent %v after the promotion: %s", nodes[a.node].name, a.start.Sub(promoted), a.msg)
			}
		default:
			other++
			t.Errorf("%s: status %d (%s: %s) at %v after the kill, want 200 or 503", nodes[a.node].name, a.status, a.code, a.msg, a.end.Sub(killed))
		}
	}
	var acked, outage, outageOK int
	for _, a := range answers {
		if a.status == http.StatusOK && a.end.Before(killed) {
			acked++
		}
		if a.end.After(killed) && a.end.Before(promoted) {
			outage++
			if a.status == http.StatusOK {
				outageOK++ // the standby takes writes a little before pg_ctl promote returns
			}
		}
	}
	t.Logf("%d answers: %d 200 (%d before the kill), %d 503, %d other; %d answered between the kill and the promotion, %d of them 200",
		len(answers), ok, acked, unavailable, other, outage, outageOK)
	for m, c := range msgs {
		t.Logf("  %d× 503 %s", c, m)
	}
	for i, at := range firstOK {
		if at.IsZero() {
			t.Errorf("%s never answered 200 after the promotion", nodes[i].name)
			continue
		}
		t.Logf("%s served a 200 %v after the promotion", nodes[i].name, at.Sub(promoted).Round(time.Millisecond))
		if d := at.Sub(promoted); d > 5*time.Second {
			t.Errorf("%s took %v after the promotion to answer 200, want at most 5s", nodes[i].name, d)
		}
	}

	// Every acknowledged write is on the new primary: each user's fields
	// hold their last acknowledged value, or the value of a later request
	// that was not acknowledged.
	final, err := listUsers(ctx, nodes, accountID)
	if err != nil {
		t.Fatal(err)
	}
	if len(final) != numUsers {
		t.Errorf("%d users after the failover, want %d", len(final), numUsers)
	}
	var exact, either, frozenExact, recent int
	for _, u := range final {
		id := *u.UserId
		for _, f := range []struct {
			name string
			p    possible
			got  string
		}{
			{"status", *statusOf[id], string(u.UserRegistrationStatus)},
			{"type", *typeOf[id], string(u.UserType)},
		} {
			if len(f.p) == 1 {
				exact++
				if frozen[id] {
					frozenExact++
					if at := *lastAck[f.name+" "+id]; killed.Sub(at) < time.Second {
						recent++
					}
				}
			} else {
				either++
			}
			if !f.p[f.got] {
				t.Errorf("user %s (frozen %v): %s %s, want %v: an acknowledged write was lost", id, frozen[id], f.name, f.got, f.p)
			}
		}
	}
	t.Logf("%d fields checked exactly against their last acknowledged write (%d of them last written before the kill, %d within its last second), %d against an acknowledged write or a later unacknowledged one",
		exact, frozenExact, recent, either)
}
