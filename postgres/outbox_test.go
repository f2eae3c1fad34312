package postgres_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/outbox"
	"github.com/openchime/openchime/postgres"
	"github.com/openchime/openchime/postgres/postgrestest"
)

// TestOutbox_OneNodeDeliversPerTarget runs three deliverers on one
// database, each over its own store, as three nodes would: while changes
// are made on every node, the webhook never sees two deliveries at once
// (one node holds the target's lease) and gets every change in order; when
// the delivering node stops, another takes over and delivery continues.
func TestOutbox_OneNodeDeliversPerTarget(t *testing.T) {
	dbURL := postgrestest.MustCreateDatabase(t)
	ctx := context.Background()
	var inFlight, overlaps atomic.Int32
	var mu sync.Mutex
	var got []string
	byNode := map[string]int{}
	ops := map[string]string{}
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if inFlight.Add(1) > 1 {
			overlaps.Add(1)
		}
		defer inFlight.Add(-1)
		time.Sleep(2 * time.Millisecond) // widen the window two deliverers would share
		body, _ := io.ReadAll(r.Body)
		var env outbox.Envelope
		_ = json.Unmarshal(body, &env)
		mu.Lock()
		got = append(got, env.ID)
		ops[env.ID] = env.Detail.EventName
		byNode[r.Header.Get("X-Test-Node")]++
		mu.Unlock()
	}))
	defer sink.Close()

	type node struct {
		svc    *openchime.Service
		cancel context.CancelFunc
		done   chan struct{}
	}
	nodes := make([]*node, 3)
	for i := range nodes {
		st, err := postgres.Open(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		n := &node{svc: openchime.NewService(st), done: make(chan struct{})}
		name := string(rune('a' + i))
		client := &http.Client{Transport: nodeHeader{name}}
		d := &outbox.Deliverer{
			Service: n.svc, Node: name, Senders: map[string]outbox.Sender{openchime.WebhookTarget: &outbox.Webhook{Client: client}},
			// A TTL well above an attempt's time, so a node slowed by a busy
			// machine keeps its lease.
			Poll: 10 * time.Millisecond, Timeout: 500 * time.Millisecond, LeaseTTL: 2 * time.Second,
		}
		var dctx context.Context
		dctx, n.cancel = context.WithCancel(ctx)
		go func() { d.Run(dctx); close(n.done) }()
		nodes[i] = n
	}
	t.Cleanup(func() {
		for _, n := range nodes {
			n.cancel()
			<-n.done
		}
	})
	svc := nodes[0].svc
	if _, err := svc.CreateWebhook(ctx, openchime.WebhookConfig{URL: sink.URL}); err != nil {
		t.Fatal(err)
	}
	a, err := svc.AdminCreateAccount(ctx, openchime.NewAccount{Name: "lease", Type: openchime.EnterpriseLWA})
	if err != nil {
		t.Fatal(err)
	}
	u, err := svc.AdminCreateUser(ctx, a.ID, openchime.NewUser{PrimaryEmail: "l@example.com", RegistrationStatus: openchime.Registered})
	if err != nil {
		t.Fatal(err)
	}
	// The other nodes learn of the webhook within a poll.
	time.Sleep(100 * time.Millisecond)
	change := func(n int) {
		for i := range n {
			s := nodes[i%len(nodes)].svc
			op := s.BatchSuspendUser
			if i%2 == 1 {
				op = s.BatchUnsuspendUser
			}
			if errs, err := op(ctx, a.ID, []string{u.ID}); err != nil || len(errs) > 0 {
				t.Fatal(err, errs)
			}
		}
	}
	change(30)
	waitDelivered := func(want int) {
		deadline := time.Now().Add(30 * time.Second)
		for {
			mu.Lock()
			n := len(ops) // distinct events: a node stopped mid-batch may have sent some twice
			mu.Unlock()
			if n >= want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d deliveries, want %d", n, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitDelivered(32) // the account, the user, 30 changes
	// Stop the node that delivers; another takes the lease over.
	mu.Lock()
	holder := ""
	for name, n := range byNode {
		if n > 0 {
			if holder != "" {
				t.Errorf("deliveries came from %s and %s", holder, name)
			}
			holder = name
		}
	}
	mu.Unlock()
	nodes[holder[0]-'a'].cancel()
	<-nodes[holder[0]-'a'].done
	change(30)
	waitDelivered(62)
	if n := overlaps.Load(); n > 0 {
		t.Fatalf("%d deliveries overlapped another: two nodes delivered at once", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(byNode) != 2 {
		t.Fatalf("deliveries by node %v, want the first holder then one other", byNode)
	}
	// Every audited change arrived; in order: the changes alternate
	// suspension and unsuspension of one user.
	events, _, err := svc.ListAudit(ctx, openchime.AuditFilter{Page: openchime.Page{MaxResults: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var order []string
	for _, id := range got {
		if !seen[id] {
			seen[id] = true
			if op := ops[id]; op == "BatchSuspendUser" || op == "BatchUnsuspendUser" {
				order = append(order, op)
			}
		}
	}
	if len(seen) != len(events) || len(order) != 60 {
		t.Fatalf("%d distinct events delivered (%d changes), the audit log holds %d", len(seen), len(order), len(events))
	}
	for i, op := range order {
		if want := []string{"BatchSuspendUser", "BatchUnsuspendUser"}[i%2]; op != want {
			t.Fatalf("change %d delivered is %s, want %s (in change order)", i, op, want)
		}
	}
}

// nodeHeader names the node that sent a delivery.
type nodeHeader struct{ name string }

func (h nodeHeader) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Test-Node", h.name)
	return http.DefaultTransport.RoundTrip(r)
}
