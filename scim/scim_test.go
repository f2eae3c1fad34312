package scim_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/outbox"
	"github.com/openchime/openchime/scim"
	"github.com/openchime/openchime/sqlite"
)

// wireServer is a minimal SCIM 2.0 server of our own that records the wire:
// every request's method, path and body, and the users it holds.
type wireServer struct {
	mu    sync.Mutex
	wire  []string
	users map[string]map[string]any
	next  int
	// fail, when set, answers a request with its status instead (0: serve).
	fail func(method, path string) int
	// hide counts the filter lookups that do not find a userName (made
	// "meanwhile" by someone else).
	hide map[string]int
	// ignoreFilter lists every user whatever the filter, as a directory
	// without filtering does.
	ignoreFilter bool
	// noPatch answers PATCH 501, as a directory without PATCH support.
	noPatch bool
	// delay is how long each request takes.
	delay time.Duration
}

func (s *wireServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	time.Sleep(s.delay)
	s.wire = append(s.wire, r.Method+" "+r.URL.RequestURI())
	if r.Header.Get("Authorization") != "Bearer tok" || (len(body) > 0 && r.Header.Get("Content-Type") != scim.ContentType) {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if s.fail != nil {
		if st := s.fail(r.Method, r.URL.Path); st != 0 {
			w.WriteHeader(st)
			return
		}
	}
	w.Header().Set("Content-Type", scim.ContentType)
	id, _ := strings.CutPrefix(r.URL.Path, "/scim/v2/Users/")
	switch {
	case r.Method == "GET" && r.URL.Path == "/scim/v2/Users":
		var res []map[string]any
		for _, u := range s.users {
			name := u["userName"].(string)
			if s.ignoreFilter {
				res = append(res, u)
				continue
			}
			if f := r.URL.Query().Get("filter"); f != "" && s.hide[name] > 0 {
				s.hide[name]--
				continue
			}
			if f := r.URL.Query().Get("filter"); f == "" || f == `userName eq "`+name+`"` {
				res = append(res, u)
			}
		}
		json.NewEncoder(w).Encode(map[string]any{"schemas": []string{scim.ListSchema}, "totalResults": len(res), "Resources": res})
	case r.Method == "POST" && r.URL.Path == "/scim/v2/Users":
		var u map[string]any
		json.Unmarshal(body, &u)
		for _, o := range s.users {
			if o["userName"] == u["userName"] {
				w.WriteHeader(http.StatusConflict)
				return
			}
		}
		s.next++
		u["id"] = "s" + strconv.Itoa(s.next)
		s.users[u["id"].(string)] = u
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(u)
	case r.Method == "PATCH" && s.noPatch:
		w.WriteHeader(http.StatusNotImplemented)
	case r.Method == "PUT":
		if s.users[id] == nil {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		var u map[string]any
		json.Unmarshal(body, &u)
		u["id"] = id
		s.users[id] = u
		json.NewEncoder(w).Encode(u)
	case r.Method == "PATCH":
		u := s.users[id]
		if u == nil {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		var p struct {
			Operations []struct {
				Op, Path string
				Value    any
			}
		}
		json.Unmarshal(body, &p)
		for _, op := range p.Operations {
			if name, ok := strings.CutPrefix(op.Path, scim.ChimeSchema+":"); ok {
				ext, _ := u[scim.ChimeSchema].(map[string]any)
				if ext == nil {
					ext = map[string]any{}
					u[scim.ChimeSchema] = ext
				}
				ext[name] = op.Value
			} else {
				u[op.Path] = op.Value
			}
		}
		json.NewEncoder(w).Encode(u)
	case r.Method == "DELETE":
		if s.users[id] == nil {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		delete(s.users, id)
		w.WriteHeader(http.StatusNoContent)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// byEmail returns copies of the directory's users by userName.
func (s *wireServer) byEmail() map[string]map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]map[string]any{}
	for _, u := range s.users {
		out[u["userName"].(string)] = copyUser(u)
	}
	return out
}

// copyUser copies a user's attributes and its extension's, so a test reads
// them while the server changes the original.
func copyUser(u map[string]any) map[string]any {
	c := make(map[string]any, len(u))
	for k, v := range u {
		if ext, ok := v.(map[string]any); ok {
			e := make(map[string]any, len(ext))
			for k2, v2 := range ext {
				e[k2] = v2
			}
			v = e
		}
		c[k] = v
	}
	return c
}

type env struct {
	svc  *openchime.Service
	acct *openchime.Account
	srv  *wireServer
	url  string
}

func newEnv(t *testing.T, typ openchime.AccountType) *env { return newEnvTimeout(t, typ, 0) }

// newEnvTimeout is newEnv with the deliverer's Timeout (0: its default).
func newEnvTimeout(t *testing.T, typ openchime.AccountType, timeout time.Duration) *env {
	st, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{svc: openchime.NewService(st), srv: &wireServer{users: map[string]map[string]any{}}}
	hs := httptest.NewServer(e.srv)
	t.Cleanup(hs.Close)
	e.url = hs.URL + "/scim/v2"
	if e.acct, err = e.svc.AdminCreateAccount(context.Background(), openchime.NewAccount{Name: "a", Type: typ}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &outbox.Deliverer{Service: e.svc, Senders: map[string]outbox.Sender{openchime.SCIMTarget: &scim.Sender{Service: e.svc}},
		Poll: 10 * time.Millisecond, BaseBackoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, Timeout: timeout}
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return e
}

func (e *env) user(t *testing.T, email string) *openchime.User {
	u, err := e.svc.AdminCreateUser(context.Background(), e.acct.ID, openchime.NewUser{PrimaryEmail: email, RegistrationStatus: openchime.Registered})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSender_Lifecycle(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, openchime.EnterpriseLWA)
	old := e.user(t, "old@example.com") // exists before the target: provisioned first
	// One already in the directory is adopted, not duplicated.
	e.srv.mu.Lock()
	e.srv.users["pre"] = map[string]any{"id": "pre", "userName": "adopt@example.com"}
	e.srv.mu.Unlock()
	adopt := e.user(t, "adopt@example.com")
	if _, err := e.svc.PutSCIM(ctx, openchime.SCIMConfig{AccountID: e.acct.ID, Endpoint: e.url, BearerToken: "tok", OnRemove: "delete"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "provisioning", func() bool {
		d := e.srv.byEmail()
		return d["old@example.com"] != nil && d["adopt@example.com"]["active"] == true
	})
	if n := len(e.srv.byEmail()); n != 2 {
		t.Fatalf("directory holds %d users, want 2 (adopted, not duplicated)", n)
	}
	if got := e.srv.byEmail()["old@example.com"]; got["externalId"] != old.ID {
		t.Fatalf("externalId %v, want %s", got["externalId"], old.ID)
	}
	// A new user, suspended, relicensed.
	nu := e.user(t, "new@example.com")
	eventually(t, "new user", func() bool { return e.srv.byEmail()["new@example.com"] != nil })
	if _, err := e.svc.BatchSuspendUser(ctx, e.acct.ID, []string{nu.ID}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "suspension", func() bool { return e.srv.byEmail()["new@example.com"]["active"] == false })
	if _, err := e.svc.BatchUnsuspendUser(ctx, e.acct.ID, []string{nu.ID}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "unsuspension", func() bool { return e.srv.byEmail()["new@example.com"]["active"] == true })
	basic := openchime.Basic
	if _, err := e.svc.UpdateUser(ctx, e.acct.ID, openchime.UserUpdate{UserID: nu.ID, LicenseType: &basic}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "relicensing", func() bool {
		ext, _ := e.srv.byEmail()["new@example.com"][scim.ChimeSchema].(map[string]any)
		return ext["licenseType"] == "Basic"
	})
	// Deleted in the directory behind our back: the next PATCH's 404 re-creates it.
	e.srv.mu.Lock()
	for id, u := range e.srv.users {
		if u["userName"] == "adopt@example.com" {
			delete(e.srv.users, id)
		}
	}
	e.srv.mu.Unlock()
	if _, err := e.svc.BatchSuspendUser(ctx, e.acct.ID, []string{adopt.ID}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "re-creation", func() bool { u := e.srv.byEmail()["adopt@example.com"]; return u != nil && u["active"] == false })
}

// A Team user removed by BatchSuspendUser is deleted or deactivated per
// OnRemove.
func TestSender_OnRemove(t *testing.T) {
	for _, policy := range []string{"delete", "deactivate"} {
		t.Run(policy, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, openchime.Team)
			if _, err := e.svc.PutSCIM(ctx, openchime.SCIMConfig{AccountID: e.acct.ID, Endpoint: e.url, BearerToken: "tok", OnRemove: policy}); err != nil {
				t.Fatal(err)
			}
			u := e.user(t, "gone@example.com")
			eventually(t, "creation", func() bool { return e.srv.byEmail()["gone@example.com"] != nil })
			if _, err := e.svc.BatchSuspendUser(ctx, e.acct.ID, []string{u.ID}); err != nil {
				t.Fatal(err)
			}
			if policy == "delete" {
				eventually(t, "deletion", func() bool { return e.srv.byEmail()["gone@example.com"] == nil })
			} else {
				eventually(t, "deactivation", func() bool { return e.srv.byEmail()["gone@example.com"]["active"] == false })
			}
		})
	}
}

// 401 stops the target until its configuration changes; 503 is retried.
func TestSender_Errors(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, openchime.EnterpriseLWA)
	var failing = http.StatusServiceUnavailable
	e.srv.fail = func(method, path string) int { return failing }
	e.user(t, "u@example.com")
	cfg := openchime.SCIMConfig{AccountID: e.acct.ID, Endpoint: e.url, BearerToken: "wrong"}
	if _, err := e.svc.PutSCIM(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	id := openchime.SCIMTargetID(e.acct.ID)
	eventually(t, "stopped", func() bool {
		tg, _ := e.svc.Target(ctx, id)
		return tg.Stopped && strings.Contains(tg.LastError, "401")
	})
	cfg.BearerToken = "tok"
	if _, err := e.svc.PutSCIM(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	eventually(t, "retrying on 503", func() bool {
		tg, _ := e.svc.Target(ctx, id)
		return !tg.Stopped && strings.Contains(tg.LastError, "503")
	})
	e.srv.mu.Lock()
	failing = 0
	e.srv.mu.Unlock()
	eventually(t, "delivered once recovered", func() bool { return e.srv.byEmail()["u@example.com"] != nil })
}

// Reconcile repairs drift both ways; DryRun reports it and changes nothing.
func TestSender_Reconcile(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, openchime.EnterpriseLWA)
	a := e.user(t, "a@example.com")
	b := e.user(t, "b@example.com")
	cfg := openchime.SCIMConfig{AccountID: e.acct.ID, Endpoint: e.url, BearerToken: "tok"}
	if _, err := e.svc.PutSCIM(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	eventually(t, "provisioning", func() bool { return len(e.srv.byEmail()) == 2 })
	tid := openchime.SCIMTargetID(e.acct.ID)
	eventually(t, "delivered", func() bool { n, _ := e.svc.DeliveryCounts(ctx, tid); return n[openchime.DeliveryPending] == 0 })
	// Drift: a deleted in the directory, b reactivated there, and an entry
	// we never provisioned.
	e.srv.mu.Lock()
	for id, u := range e.srv.users {
		switch u["userName"] {
		case "a@example.com":
			delete(e.srv.users, id)
		case "b@example.com":
			u["active"] = true
		}
	}
	e.srv.users["x"] = map[string]any{"id": "x", "userName": "stranger@example.com", "active": true}
	e.srv.mu.Unlock()
	// b is suspended in Chime while the target is stopped by a dry run, so
	// only reconciliation can repair it.
	s := &scim.Sender{Service: e.svc}
	if err := e.svc.UpdateTargetState(ctx, tid, func(t *openchime.Target) { t.Stopped = true }); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.BatchSuspendUser(ctx, e.acct.ID, []string{b.ID}); err != nil {
		t.Fatal(err)
	}
	dry := cfg
	dry.DryRun = true
	tgt := &openchime.Target{ID: tid, Type: openchime.SCIMTarget, SCIM: &dry}
	e.srv.mu.Lock()
	before := len(e.srv.wire)
	e.srv.mu.Unlock()
	rep, err := s.Reconcile(ctx, tgt)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Created) != 1 || rep.Created[0] != a.ID || len(rep.Updated) != 1 || rep.Updated[0] != b.ID || !rep.DryRun {
		t.Fatalf("dry-run report %+v", rep)
	}
	e.srv.mu.Lock()
	for _, w := range e.srv.wire[before:] {
		if !strings.HasPrefix(w, "GET ") {
			t.Errorf("dry run sent %s", w)
		}
	}
	e.srv.mu.Unlock()
	tgt.SCIM = &cfg
	if rep, err = s.Reconcile(ctx, tgt); err != nil {
		t.Fatal(err)
	}
	if len(rep.Created) != 1 || len(rep.Updated) != 1 || rep.DryRun {
		t.Fatalf("report %+v", rep)
	}
	d := e.srv.byEmail()
	if d["a@example.com"] == nil || d["b@example.com"]["active"] != false || d["stranger@example.com"]["active"] != true {
		t.Fatalf("directory after reconcile: %v", d)
	}
	// Nothing left to repair.
	if rep, err = s.Reconcile(ctx, tgt); err != nil || len(rep.Created)+len(rep.Updated)+len(rep.Removed)+len(rep.Adopted) != 0 {
		t.Fatalf("second reconcile %+v %v", rep, err)
	}
}

// DeleteAccount removes every user per OnRemove.
func TestSender_DeleteAccount(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, openchime.EnterpriseLWA)
	e.user(t, "a@example.com")
	e.user(t, "b@example.com")
	if _, err := e.svc.PutSCIM(ctx, openchime.SCIMConfig{AccountID: e.acct.ID, Endpoint: e.url, BearerToken: "tok", OnRemove: "deactivate"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "provisioning", func() bool { return len(e.srv.byEmail()) == 2 })
	caller := openchime.NewContextWithCaller(ctx, openchime.Caller{AwsAccountID: e.acct.AwsAccountID})
	if err := e.svc.DeleteAccount(caller, e.acct.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "deactivation", func() bool {
		d := e.srv.byEmail()
		return d["a@example.com"]["active"] == false && d["b@example.com"]["active"] == false
	})
}

// A POST answered 409 (the user was made meanwhile) adopts the user.
func TestSender_ConflictAdopts(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, openchime.EnterpriseLWA)
	e.srv.mu.Lock()
	e.srv.users["theirs"] = map[string]any{"id": "theirs", "userName": "race@example.com", "active": false}
	e.srv.hide = map[string]int{"race@example.com": 1}
	e.srv.mu.Unlock()
	if _, err := e.svc.PutSCIM(ctx, openchime.SCIMConfig{AccountID: e.acct.ID, Endpoint: e.url, BearerToken: "tok"}); err != nil {
		t.Fatal(err)
	}
	u := e.user(t, "race@example.com")
	eventually(t, "adoption", func() bool { return e.srv.byEmail()["race@example.com"]["active"] == true })
	if id, err := e.svc.SCIMUserID(ctx, openchime.SCIMTargetID(e.acct.ID), u.ID); err != nil || id != "theirs" {
		t.Fatalf("SCIM id %q, %v; want the adopted user's", id, err)
	}
	e.srv.mu.Lock()
	defer e.srv.mu.Unlock()
	posts := 0
	for _, w := range e.srv.wire {
		if strings.HasPrefix(w, "POST ") {
			posts++
		}
	}
	if posts != 1 || len(e.srv.users) != 1 {
		t.Fatalf("%d POSTs, %d users: %v", posts, len(e.srv.users), e.srv.wire)
	}
}

// A Team invitee is provisioned once the invitation is accepted.
func TestSender_InviteProvisionedOnAcceptance(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, openchime.Team)
	if _, err := e.svc.PutSCIM(ctx, openchime.SCIMConfig{AccountID: e.acct.ID, Endpoint: e.url, BearerToken: "tok"}); err != nil {
		t.Fatal(err)
	}
	caller := openchime.NewContextWithCaller(ctx, openchime.Caller{AwsAccountID: e.acct.AwsAccountID})
	inv, err := e.svc.InviteUsers(caller, e.acct.ID, []string{"inv@example.com"}, "")
	if err != nil || len(inv) != 1 {
		t.Fatal(err, inv)
	}
	tid := openchime.SCIMTargetID(e.acct.ID)
	eventually(t, "the invitation delivered", func() bool {
		n, _ := e.svc.DeliveryCounts(ctx, tid)
		return n[openchime.DeliveryPending] == 0 && n[openchime.DeliveryDelivered] > 0
	})
	if d := e.srv.byEmail(); d["inv@example.com"] != nil {
		t.Fatal("an invitee not yet accepted is in the directory")
	}
	users, err := e.svc.AdminUsers(ctx, e.acct.ID)
	if err != nil || len(users) != 1 {
		t.Fatal(err, users)
	}
	if _, err := e.svc.AdminRegisterUser(ctx, e.acct.ID, users[0].ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "provisioned on acceptance", func() bool { return e.srv.byEmail()["inv@example.com"] != nil })
}

// A dry run sends no write; leaving it provisions the users it skipped.
func TestSender_DryRunThenLive(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, openchime.EnterpriseLWA)
	e.user(t, "dry@example.com")
	cfg := openchime.SCIMConfig{AccountID: e.acct.ID, Endpoint: e.url, BearerToken: "tok", DryRun: true}
	if _, err := e.svc.PutSCIM(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	tid := openchime.SCIMTargetID(e.acct.ID)
	eventually(t, "the dry run", func() bool {
		n, _ := e.svc.DeliveryCounts(ctx, tid)
		return n[openchime.DeliveryPending] == 0 && n[openchime.DeliveryDelivered] == 1
	})
	e.srv.mu.Lock()
	for _, w := range e.srv.wire {
		if !strings.HasPrefix(w, "GET ") {
			t.Errorf("dry run sent %s", w)
		}
	}
	e.srv.mu.Unlock()
	cfg.DryRun = false
	if _, err := e.svc.PutSCIM(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	eventually(t, "provisioning after the dry run", func() bool { return e.srv.byEmail()["dry@example.com"] != nil })
}

// A directory that ignores the filter lists everyone: nobody is adopted by
// mistake.
func TestSender_FilterIgnored(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, openchime.EnterpriseLWA)
	e.srv.mu.Lock()
	e.srv.ignoreFilter = true
	e.srv.users["other"] = map[string]any{"id": "other", "userName": "someone@example.com", "active": true}
	e.srv.mu.Unlock()
	if _, err := e.svc.PutSCIM(ctx, openchime.SCIMConfig{AccountID: e.acct.ID, Endpoint: e.url, BearerToken: "tok"}); err != nil {
		t.Fatal(err)
	}
	u := e.user(t, "Mine@Example.com")
	var id string
	eventually(t, "creation", func() bool {
		id, _ = e.svc.SCIMUserID(ctx, openchime.SCIMTargetID(e.acct.ID), u.ID)
		return id != ""
	})
	if id == "other" || e.srv.byEmail()["Mine@Example.com"] == nil {
		t.Fatalf("SCIM id %q: adopted the wrong user", id)
	}
	if e.srv.byEmail()["someone@example.com"]["externalId"] != nil {
		t.Fatal("the other user was changed")
	}
}

// A directory without PATCH gets the whole user with PUT.
func TestSender_NoPatchPuts(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, openchime.EnterpriseLWA)
	e.srv.mu.Lock()
	e.srv.noPatch = true
	e.srv.mu.Unlock()
	if _, err := e.svc.PutSCIM(ctx, openchime.SCIMConfig{AccountID: e.acct.ID, Endpoint: e.url, BearerToken: "tok"}); err != nil {
		t.Fatal(err)
	}
	u := e.user(t, "put@example.com")
	eventually(t, "creation", func() bool { return e.srv.byEmail()["put@example.com"] != nil })
	if _, err := e.svc.BatchSuspendUser(ctx, e.acct.ID, []string{u.ID}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "suspension by PUT", func() bool { return e.srv.byEmail()["put@example.com"]["active"] == false })
}

// A delivery of many users to a slow directory is bounded per request, not
// as a whole: it completes although all its requests take longer together
// than the deliverer's Timeout.
func TestSender_SlowDirectory(t *testing.T) {
	ctx := context.Background()
	e := newEnvTimeout(t, openchime.EnterpriseLWA, 200*time.Millisecond)
	for i := range 6 {
		e.user(t, "slow"+strconv.Itoa(i)+"@example.com")
	}
	e.srv.mu.Lock()
	e.srv.delay = 40 * time.Millisecond // 12 requests: 480ms
	e.srv.mu.Unlock()
	if _, err := e.svc.PutSCIM(ctx, openchime.SCIMConfig{AccountID: e.acct.ID, Endpoint: e.url, BearerToken: "tok"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "provisioning", func() bool { return len(e.srv.byEmail()) == 6 })
	tg, _ := e.svc.Target(ctx, openchime.SCIMTargetID(e.acct.ID))
	if tg.LastError != "" {
		t.Fatalf("target error %q", tg.LastError)
	}
}
