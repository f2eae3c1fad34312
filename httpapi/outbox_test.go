package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	awschime "github.com/aws/aws-sdk-go-v2/service/chime"
	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/outbox"
)

// runDeliverer delivers e's outbox until the test ends.
func runDeliverer(t *testing.T, e *lifecycleEnv, senders map[string]outbox.Sender) {
	ctx, cancel := context.WithCancel(context.Background())
	d := &outbox.Deliverer{Service: e.Svc, Senders: senders, Poll: 10 * time.Millisecond, BaseBackoff: 10 * time.Millisecond}
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func TestControlPlane_Webhooks(t *testing.T) {
	e := newLifecycleClient(t)
	var mu sync.Mutex
	var bodies [][]byte
	var sigs []string
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies, sigs = append(bodies, b), append(sigs, r.Header.Get("X-OpenChime-Signature"))
		mu.Unlock()
	}))
	defer sink.Close()

	for _, bad := range []map[string]any{{"Url": "ftp://x"}, {"Url": "/relative"}, {"Url": sink.URL, "Events": []string{"no such"}}, {"Url": sink.URL, "Events": []string{"BatchSuspendUsers"}}, {"Url": sink.URL, "AwsAccountId": "12"}} {
		if st := e.control("POST", "/_openchime/webhooks", bad, nil); st != http.StatusBadRequest {
			t.Fatalf("POST %v = %d, want 400", bad, st)
		}
	}
	var created struct {
		Webhook struct {
			WebhookId, Url string
			HasSecret      bool
		}
	}
	if st := e.control("POST", "/_openchime/webhooks", map[string]any{"Url": sink.URL, "Secret": "k", "Events": []string{"BatchSuspendUser"}}, &created); st != http.StatusCreated {
		t.Fatalf("POST = %d, want 201", st)
	}
	id := created.Webhook.WebhookId
	if id == "" || created.Webhook.Url != sink.URL || !created.Webhook.HasSecret {
		t.Fatalf("created %+v", created)
	}
	var list struct{ Webhooks []struct{ WebhookId string } }
	if e.control("GET", "/_openchime/webhooks", nil, &list); len(list.Webhooks) != 1 || list.Webhooks[0].WebhookId != id {
		t.Fatalf("list %+v", list)
	}
	runDeliverer(t, e, map[string]outbox.Sender{openchime.WebhookTarget: &outbox.Webhook{}})

	acct := e.MustCreateAccount(openchime.EnterpriseLWA, openchime.AccountActive)
	user := e.MustCreateUser(acct, "w@example.com", openchime.Registered)
	out, err := e.Chime.BatchSuspendUser(context.Background(), &awschime.BatchSuspendUserInput{AccountId: &acct, UserIdList: []string{user}})
	if err != nil || len(out.UserErrors) > 0 {
		t.Fatal(err, out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(bodies)
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no delivery")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	mu.Lock()
	if len(bodies) != 1 { // only BatchSuspendUser: the creations were filtered out
		t.Fatalf("deliveries %d, want 1: %s", len(bodies), bodies)
	}
	var env outbox.Envelope
	if err := json.Unmarshal(bodies[0], &env); err != nil || env.Detail.EventName != "BatchSuspendUser" || sigs[0] != outbox.Sign("k", bodies[0]) {
		t.Fatalf("delivery %s, signature %q, err %v", bodies[0], sigs[0], err)
	}
	mu.Unlock()
	var ds struct {
		Deliveries []struct {
			Status, Operation string
			Attempts          int
		}
	}
	// The outcome is recorded just after the send.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		st := e.control("GET", "/_openchime/webhooks/"+id+"/deliveries", nil, &ds)
		if st == 200 && len(ds.Deliveries) == 1 && ds.Deliveries[0].Status == "Delivered" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries %d %+v", st, ds)
		}
	}
	if d := ds.Deliveries[0]; d.Operation != "BatchSuspendUser" || d.Attempts != 1 {
		t.Fatalf("delivery %+v", d)
	}
	var after struct {
		Webhooks []struct{ Pending, Delivered, Failed int }
	}
	if e.control("GET", "/_openchime/webhooks", nil, &after); len(after.Webhooks) != 1 || after.Webhooks[0].Delivered != 1 || after.Webhooks[0].Pending != 0 {
		t.Fatalf("list after delivery %+v", after)
	}
	if st := e.control("DELETE", "/_openchime/webhooks/"+id, nil, nil); st != http.StatusNoContent {
		t.Fatalf("DELETE = %d, want 204", st)
	}
	req, _ := http.NewRequest("DELETE", e.URL+"/_openchime/webhooks/"+id, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || resp.Header.Get("x-amzn-ErrorType") != "NotFoundException" || !strings.Contains(string(body), id) {
		t.Fatalf("second DELETE = %d %q %s", resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), body)
	}
	if st := e.control("GET", "/_openchime/webhooks/"+id+"/deliveries", nil, nil); st != 404 {
		t.Fatalf("deliveries of a deleted webhook = %d, want 404", st)
	}
}

// BenchmarkServer_BatchSuspendUser_Webhook is BatchSuspendUser of the same
// 50 users with no target ("off") and with a webhook configured and nothing
// delivering ("on"): the difference is what the outbox row costs on the hot
// path.
func BenchmarkServer_BatchSuspendUser_Webhook(b *testing.B) {
	for _, name := range []string{"nostore", "logstore-nosync"} {
		for _, on := range []bool{false, true} {
			b.Run(name+map[bool]string{false: "/off", true: "/on"}[on], func(b *testing.B) {
				srv, acct, ids := benchServer(b, stores(b)[name]())
				if on {
					if _, err := srv.Service.CreateWebhook(context.Background(), openchime.WebhookConfig{URL: "http://127.0.0.1:1/"}); err != nil {
						b.Fatal(err)
					}
				}
				body := []byte(`{"UserIdList":["` + strings.Join(ids[:50], `","`) + `"]}`)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					op := "suspend"
					if i%2 == 1 {
						op = "unsuspend"
					}
					serve(b, srv, "POST", "/accounts/"+acct+"/users?operation="+op, body)
				}
			})
		}
	}
}

func TestControlPlane_SCIM(t *testing.T) {
	e := newLifecycleClient(t)
	acct := e.MustCreateAccount(openchime.EnterpriseLWA, openchime.AccountActive)
	path := "/_openchime/accounts/" + acct + "/scim"
	if st := e.control("GET", path, nil, nil); st != 404 {
		t.Fatalf("GET before PUT = %d, want 404", st)
	}
	for _, bad := range []map[string]any{{"Endpoint": "nope", "BearerToken": "t"}, {"Endpoint": "http://x/scim/v2", "OnRemove": "explode"}} {
		if st := e.control("PUT", path, bad, nil); st != 400 {
			t.Fatalf("PUT %v = %d, want 400", bad, st)
		}
	}
	if st := e.control("PUT", "/_openchime/accounts/no-such/scim", map[string]any{"Endpoint": "http://x/scim/v2"}, nil); st != 404 {
		t.Fatalf("PUT of an unknown account = %d, want 404", st)
	}
	var got map[string]map[string]any
	if st := e.control("PUT", path, map[string]any{"Endpoint": "http://127.0.0.1:1/scim/v2", "BearerToken": "secret-token"}, &got); st != 200 {
		t.Fatalf("PUT = %d, want 200", st)
	}
	sc := got["Scim"]
	if sc["OnRemove"] != "deactivate" || sc["Endpoint"] != "http://127.0.0.1:1/scim/v2" || sc["Pending"] == nil {
		t.Fatalf("PUT answered %v", got)
	}
	if st := e.control("GET", path, nil, &got); st != 200 {
		t.Fatalf("GET = %d", st)
	}
	raw, _ := json.Marshal(got)
	if strings.Contains(string(raw), "secret-token") {
		t.Fatalf("GET shows the token: %s", raw)
	}
	if st := e.control("POST", path+"/reconcile", nil, nil); st != http.StatusNotImplemented {
		t.Fatalf("reconcile without a reconciler = %d, want 501", st)
	}
	if st := e.control("DELETE", path, nil, nil); st != 204 {
		t.Fatalf("DELETE = %d, want 204", st)
	}
	if st := e.control("GET", path, nil, nil); st != 404 {
		t.Fatalf("GET after DELETE = %d, want 404", st)
	}
	// A SCIM target is not a webhook.
	if _, err := e.Svc.PutSCIM(context.Background(), openchime.SCIMConfig{AccountID: acct, Endpoint: "http://x/"}); err != nil {
		t.Fatal(err)
	}
	if st := e.control("DELETE", "/_openchime/webhooks/"+openchime.SCIMTargetID(acct), nil, nil); st != 404 {
		t.Fatalf("DELETE of a SCIM target as a webhook = %d, want 404", st)
	}
}
