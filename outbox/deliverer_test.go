package outbox_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/outbox"
	"github.com/openchime/openchime/sqlite"
)

// sink is a webhook receiver that records what it was sent; fail decides
// the status of each request (0: 200).
type sink struct {
	mu       sync.Mutex
	got      []received
	attempts int
	fail     func(n int) (status int, retryAfter string)
}

type received struct {
	header http.Header
	body   []byte
	env    outbox.Envelope
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts++
	if s.fail != nil {
		if status, ra := s.fail(s.attempts); status != 0 {
			if ra != "" {
				w.Header().Set("Retry-After", ra)
			}
			w.WriteHeader(status)
			return
		}
	}
	var env outbox.Envelope
	_ = json.Unmarshal(body, &env)
	s.got = append(s.got, received{r.Header.Clone(), body, env})
}

func (s *sink) received() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

type fixture struct {
	svc     *openchime.Service
	account *openchime.Account
	user    *openchime.User
	sink    *sink
	hook    *openchime.Target
	d       *outbox.Deliverer
}

func newFixture(t *testing.T, secret string, fail func(int) (int, string)) *fixture {
	t.Helper()
	st, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{svc: openchime.NewService(st), sink: &sink{fail: fail}}
	ctx := context.Background()
	srv := httptest.NewServer(f.sink)
	t.Cleanup(srv.Close)
	if f.account, err = f.svc.AdminCreateAccount(ctx, openchime.NewAccount{Name: "a", Type: openchime.EnterpriseLWA}); err != nil {
		t.Fatal(err)
	}
	if f.user, err = f.svc.AdminCreateUser(ctx, f.account.ID, openchime.NewUser{PrimaryEmail: "u@example.com", RegistrationStatus: openchime.Registered}); err != nil {
		t.Fatal(err)
	}
	if f.hook, err = f.svc.CreateWebhook(ctx, openchime.WebhookConfig{URL: srv.URL, Secret: secret}); err != nil {
		t.Fatal(err)
	}
	f.d = &outbox.Deliverer{
		Service: f.svc, Senders: map[string]outbox.Sender{openchime.WebhookTarget: &outbox.Webhook{}},
		Poll: 10 * time.Millisecond, BaseBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, MaxAttempts: 4,
	}
	return f
}

func (f *fixture) run(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.d.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// flip suspends and unsuspends the user n times: 2n changes.
func (f *fixture) flip(t *testing.T, n int) []string {
	var ops []string
	for range n {
		for _, op := range []func(context.Context, string, []string) ([]openchime.UserError, error){f.svc.BatchSuspendUser, f.svc.BatchUnsuspendUser} {
			if errs, err := op(context.Background(), f.account.ID, []string{f.user.ID}); err != nil || len(errs) > 0 {
				t.Fatal(err, errs)
			}
		}
		ops = append(ops, "BatchSuspendUser", "BatchUnsuspendUser")
	}
	return ops
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestDeliverer_Webhook(t *testing.T) {
	f := newFixture(t, "s3cret", nil)
	f.run(t)
	want := f.flip(t, 3)
	waitFor(t, "deliveries", func() bool { return len(f.sink.received()) >= len(want) })
	got := f.sink.received()
	if len(got) != len(want) {
		t.Fatalf("deliveries = %d, want %d", len(got), len(want))
	}
	for i, r := range got {
		if r.env.Detail.EventName != want[i] {
			t.Fatalf("delivery %d is %s, want %s (in order)", i, r.env.Detail.EventName, want[i])
		}
		if sig := r.header.Get(outbox.SignatureHeader); sig != outbox.Sign("s3cret", r.body) {
			t.Fatalf("signature %q, want the HMAC of the body", sig)
		}
		if id := r.header.Get(outbox.EventIDHeader); id == "" || id != r.env.ID || id != r.env.Detail.EventID {
			t.Fatalf("event id header %q, envelope id %q, detail eventID %q", id, r.env.ID, r.env.Detail.EventID)
		}
		e := r.env
		if e.Version != "0" || e.Source != "aws.chime" || e.DetailType != "AWS API Call via CloudTrail" || e.Region != "us-east-1" ||
			e.Account != openchime.DefaultAwsAccountID || e.Resources == nil || e.Detail.EventSource != "chime.amazonaws.com" ||
			e.Detail.EventType != "AwsApiCall" || !e.Detail.ManagementEvent || e.Detail.RecipientAccountID != e.Account ||
			e.Detail.RequestParameters["accountId"] != f.account.ID || e.Detail.RequestParameters["userId"] != f.user.ID {
			t.Fatalf("envelope %s", r.body)
		}
	}
	// The outcomes are recorded a batch at a time, after the sends.
	var ds []*openchime.Delivery
	waitFor(t, "the deliveries recorded", func() bool {
		ds, _ = f.svc.Deliveries(context.Background(), f.hook.ID)
		return len(ds) == len(want) && ds[0].Status == openchime.DeliveryDelivered
	})
	for _, d := range ds {
		if d.Status != openchime.DeliveryDelivered || d.Attempts != 1 || d.LastError != "" {
			t.Fatalf("delivery %s: %s after %d attempts (%s)", d.Key, d.Status, d.Attempts, d.LastError)
		}
	}
}

func TestDeliverer_NoSecretNoSignature(t *testing.T) {
	f := newFixture(t, "", nil)
	f.run(t)
	f.flip(t, 1)
	waitFor(t, "deliveries", func() bool { return len(f.sink.received()) == 2 })
	if sig := f.sink.received()[0].header.Get(outbox.SignatureHeader); sig != "" {
		t.Fatalf("signature %q without a secret", sig)
	}
}

// A target that answers 503 for a while gets everything, in order, once it
// recovers.
func TestDeliverer_RetriesUntilRecovered(t *testing.T) {
	f := newFixture(t, "", func(n int) (int, string) {
		if n <= 3 {
			return http.StatusServiceUnavailable, ""
		}
		return 0, ""
	})
	want := f.flip(t, 2)
	f.run(t)
	waitFor(t, "deliveries", func() bool { return len(f.sink.received()) == len(want) })
	for i, r := range f.sink.received() {
		if r.env.Detail.EventName != want[i] {
			t.Fatalf("delivery %d is %s, want %s", i, r.env.Detail.EventName, want[i])
		}
	}
}

// After MaxAttempts failures a delivery is dead-lettered and the next one
// goes.
func TestDeliverer_DeadLetter(t *testing.T) {
	f := newFixture(t, "", func(n int) (int, string) {
		if n <= 4 {
			return http.StatusInternalServerError, ""
		}
		return 0, ""
	})
	f.flip(t, 1)
	f.run(t)
	waitFor(t, "the second delivery", func() bool { return len(f.sink.received()) == 1 })
	if got := f.sink.received()[0].env.Detail.EventName; got != "BatchUnsuspendUser" {
		t.Fatalf("delivered %s, want BatchUnsuspendUser after the first was dead-lettered", got)
	}
	var ds []*openchime.Delivery
	waitFor(t, "history", func() bool {
		ds, _ = f.svc.Deliveries(context.Background(), f.hook.ID)
		return len(ds) == 2 && ds[0].Status != openchime.DeliveryPending && ds[1].Status != openchime.DeliveryPending
	})
	dead := ds[1] // newest first: the dead one is older
	if dead.Status != openchime.DeliveryDead || dead.Attempts != 4 || dead.LastError == "" {
		t.Fatalf("dead letter %+v", dead)
	}
}

// A Retry-After longer than the backoff sets the next attempt.
func TestDeliverer_RetryAfter(t *testing.T) {
	f := newFixture(t, "", func(n int) (int, string) { return http.StatusTooManyRequests, "120" })
	f.flip(t, 1)
	f.run(t)
	var ds []*openchime.Delivery
	waitFor(t, "an attempt", func() bool {
		ds, _ = f.svc.Deliveries(context.Background(), f.hook.ID)
		return len(ds) > 0 && ds[0].Attempts == 1
	})
	if wait := ds[0].NextAttempt.Sub(ds[0].LastAttempt); wait < 119*time.Second {
		t.Fatalf("next attempt in %s, want the 120s Retry-After", wait)
	}
	if ds[0].LastError == "" || ds[0].Status != openchime.DeliveryPending {
		t.Fatalf("delivery %+v", ds[0])
	}
}
