package storetest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	openchime "github.com/openchime/openchime"
)

// testOutbox checks what the outbox needs of a store (outbox.go): a change
// writes its outbox row in its own transaction, so a change that fails
// leaves none; rows come back in key order whatever the service clock says;
// fanning out claims them exactly once; a lease has one holder at a time.
func testOutbox(t *testing.T, s openchime.Store) {
	ctx := context.Background()
	svc := openchime.NewService(RetryEveryTx(s))
	svc.Clock = fixedClock{base}
	a, err := svc.AdminCreateAccount(ctx, openchime.NewAccount{Name: "outbox", Type: openchime.EnterpriseLWA})
	if err != nil {
		t.Fatal(err)
	}
	// No target: no row.
	u1, err := svc.AdminCreateUser(ctx, a.ID, openchime.NewUser{PrimaryEmail: "one@example.com", RegistrationStatus: openchime.Registered})
	if err != nil {
		t.Fatal(err)
	}
	if n := countKind(t, s, openchime.OutboxKind); n != 0 {
		t.Fatalf("outbox rows with no target = %d, want 0", n)
	}
	hook, err := svc.CreateWebhook(ctx, openchime.WebhookConfig{URL: "http://127.0.0.1:1/hook"})
	if err != nil {
		t.Fatal(err)
	}
	// A change that fails (the email is taken) writes no row; each one that
	// commits writes one, even though the transaction ran twice.
	if _, err := svc.AdminCreateUser(ctx, a.ID, openchime.NewUser{PrimaryEmail: "one@example.com"}); err == nil {
		t.Fatal("second user with the same email: no error")
	}
	var want []string
	for range 3 {
		if _, err := svc.BatchSuspendUser(ctx, a.ID, []string{u1.ID}); err != nil {
			t.Fatal(err)
		}
		want = append(want, "BatchSuspendUser")
		if _, err := svc.BatchUnsuspendUser(ctx, a.ID, []string{u1.ID}); err != nil {
			t.Fatal(err)
		}
		want = append(want, "BatchUnsuspendUser")
	}
	if n := countKind(t, s, openchime.OutboxKind); n != len(want) {
		t.Fatalf("outbox rows = %d, want %d", n, len(want))
	}
	claimed := 0
	for {
		n, err := svc.FanOut(ctx, 4)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		claimed += n
	}
	if claimed != len(want) || countKind(t, s, openchime.OutboxKind) != 0 {
		t.Fatalf("claimed %d rows, %d left; want %d, 0", claimed, countKind(t, s, openchime.OutboxKind), len(want))
	}
	pending, err := svc.PendingDeliveries(ctx, hook.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range pending {
		var e openchime.AuditEvent
		if err := json.Unmarshal(d.Event, &e); err != nil {
			t.Fatal(err)
		}
		got = append(got, e.Operation)
	}
	if len(got) != len(want) {
		t.Fatalf("deliveries = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("deliveries = %v, want %v (in change order)", got, want)
		}
	}
	// Delivering moves a delivery to the history.
	d := pending[0]
	d.Attempts, d.LastAttempt = 1, base
	if err := svc.FinishDelivery(ctx, d, openchime.DeliveryDelivered); err != nil {
		t.Fatal(err)
	}
	all, err := svc.Deliveries(ctx, hook.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(want) || all[len(all)-1].Status != openchime.DeliveryDelivered || all[0].Status != openchime.DeliveryPending {
		t.Fatalf("deliveries after one delivered: %d, last %+v", len(all), all[len(all)-1])
	}
	counts, err := svc.DeliveryCounts(ctx, hook.ID)
	if err != nil {
		t.Fatal(err)
	}
	if counts[openchime.DeliveryDelivered] != 1 || counts[openchime.DeliveryPending] != len(want)-1 {
		t.Fatalf("counts %v, want 1 delivered, %d pending", counts, len(want)-1)
	}
	// Deleting the target deletes its deliveries and turns the outbox off.
	if err := svc.DeleteTarget(ctx, hook.ID, openchime.WebhookTarget); err != nil {
		t.Fatal(err)
	}
	if n := countKind(t, s, openchime.DeliveryKind) + countKind(t, s, openchime.HistoryKind); n != 0 {
		t.Fatalf("deliveries after DeleteTarget = %d, want 0", n)
	}
	if _, err := svc.BatchSuspendUser(ctx, a.ID, []string{u1.ID}); err != nil {
		t.Fatal(err)
	}
	if n := countKind(t, s, openchime.OutboxKind); n != 0 {
		t.Fatalf("outbox rows after the last target went = %d, want 0", n)
	}

	// One holder at a time; the holder renews; an expired lease is taken.
	now := time.Now()
	for _, c := range []struct {
		holder string
		at     time.Time
		want   bool
	}{{"a", now, true}, {"b", now, false}, {"a", now.Add(time.Second), true}, {"b", now.Add(2 * time.Second), false}, {"b", now.Add(time.Minute), true}, {"a", now.Add(time.Minute), false}} {
		held, err := svc.AcquireLease(ctx, "target", c.holder, c.at, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if held != c.want {
			t.Fatalf("AcquireLease(%s, +%s) = %v, want %v", c.holder, c.at.Sub(now), held, c.want)
		}
	}
}

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

func countKind(t *testing.T, s openchime.Store, kind string) int {
	t.Helper()
	n := 0
	err := s.View(context.Background(), func(tx openchime.ReadTx) error {
		list, err := tx.Resources(context.Background(), openchime.ResourceFilter{Kind: kind})
		n = len(list)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
