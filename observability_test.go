package openchime_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/sqlite"
)

// MustObsService returns a Service over an in-memory SQLite store.
func MustObsService(tb testing.TB, wrap func(openchime.Store) openchime.Store) *openchime.Service {
	tb.Helper()
	store, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	var s openchime.Store = store
	if wrap != nil {
		s = wrap(s)
	}
	svc := openchime.NewService(s)
	svc.IDs = openchime.NewSeededIDs(7)
	return svc
}

func TestStreamAudit(t *testing.T) {
	var buf bytes.Buffer
	svc := MustObsService(t, func(s openchime.Store) openchime.Store { return openchime.StreamAudit(s, &buf, nil) })
	ctx := openchime.NewContextWithCaller(context.Background(), openchime.Caller{AwsAccountID: "111122223333", AccessKeyID: "AK", RequestID: "req-1"})
	a, err := svc.CreateAccount(ctx, "streamed")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AdminCreateUsers(ctx, a.ID, []openchime.NewUser{{PrimaryEmail: "a@example.com"}, {PrimaryEmail: "A@example.com"}}); err == nil {
		t.Fatal("duplicate emails were accepted")
	}
	var lines []openchime.AuditEvent
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		var e openchime.AuditEvent
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		lines = append(lines, e)
	}
	if len(lines) != 1 || lines[0].Operation != "CreateAccount" || lines[0].RequestID != "req-1" || lines[0].AwsAccountID != "111122223333" {
		t.Fatalf("lines=%+v, want only the committed CreateAccount of req-1", lines)
	}
}

func TestService_ListAudit(t *testing.T) {
	svc := MustObsService(t, nil)
	ctx := context.Background()
	a, _ := svc.AdminCreateAccount(ctx, openchime.NewAccount{Name: "big"})
	news := make([]openchime.NewUser, 150)
	for i := range news {
		news[i] = openchime.NewUser{PrimaryEmail: "u" + time.Duration(i).String() + "@example.com"}
	}
	users, err := svc.AdminCreateUsers(ctx, a.ID, news)
	if err != nil {
		t.Fatal(err)
	}
	list, _, err := svc.ListAudit(ctx, openchime.AuditFilter{UserID: users[149].ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || len(list[0].UserIDs) != 150 || len(list[0].Changes) != 100 || list[0].ChangesOmitted != 50 {
		t.Fatalf("got %d events; want one with 150 user ids, 100 changes, 50 omitted", len(list))
	}
}

// hideCounter hides the UserCounter capability of a ReadTx.
type hideCounter struct{ openchime.ReadTx }

func TestCountUsers(t *testing.T) {
	svc := MustObsService(t, nil)
	ctx := context.Background()
	team, _ := svc.AdminCreateAccount(ctx, openchime.NewAccount{Name: "team"})
	lwa, _ := svc.AdminCreateAccount(ctx, openchime.NewAccount{Name: "lwa", Type: openchime.EnterpriseLWA})
	tu, _ := svc.AdminCreateUsers(ctx, team.ID, []openchime.NewUser{{PrimaryEmail: "a@x.io"}, {PrimaryEmail: "b@x.io"}})
	svc.AdminCreateUsers(ctx, lwa.ID, []openchime.NewUser{{PrimaryEmail: "c@x.io", RegistrationStatus: openchime.Suspended}, {PrimaryEmail: "d@x.io", RegistrationStatus: openchime.Unregistered}})
	svc.BatchSuspendUser(ctx, team.ID, []string{tu[0].ID}) // removes the Team user
	var fast, slow openchime.UserCounts
	err := svc.Store.View(ctx, func(tx openchime.ReadTx) (err error) {
		if _, ok := tx.(openchime.UserCounter); !ok {
			t.Error("the SQLite ReadTx is not a UserCounter")
		}
		if fast, err = openchime.CountUsers(ctx, tx); err != nil {
			return err
		}
		slow, err = openchime.CountUsers(ctx, hideCounter{tx})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[openchime.RegistrationStatus]int{openchime.Registered: 1, openchime.Suspended: 1, openchime.Unregistered: 1}
	for _, c := range []openchime.UserCounts{fast, slow} {
		if c.Removed != 1 || len(c.ByStatus) != 3 || c.ByStatus[openchime.Registered] != 1 || c.ByStatus[openchime.Suspended] != 1 || c.ByStatus[openchime.Unregistered] != 1 {
			t.Errorf("counts=%+v, want %v and 1 removed", c, want)
		}
	}
}

func TestService_PruneAudit(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	clock := &openchime.ControlClock{}
	clock.Freeze()
	clock.Set(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	svc := openchime.NewService(store)
	svc.Clock = clock
	for i := range 3 {
		if _, err := svc.CreateAccount(ctx, fmt.Sprint("old ", i)); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(time.Hour)
	if _, err := svc.CreateAccount(ctx, "new"); err != nil {
		t.Fatal(err)
	}
	n, err := svc.PruneAudit(ctx, clock.Now().Add(-time.Minute))
	if err != nil || n != 3 {
		t.Fatalf("PruneAudit = %d, %v; want the 3 old events", n, err)
	}
	events, _, err := svc.ListAudit(ctx, openchime.AuditFilter{})
	if err != nil || len(events) != 1 || events[0].Operation != "CreateAccount" || !events[0].Time.Equal(clock.Now()) {
		t.Fatalf("events after pruning = %+v, %v; want only the new one", events, err)
	}
	if n, err := svc.PruneAudit(ctx, clock.Now().Add(-time.Minute)); err != nil || n != 0 {
		t.Fatalf("second PruneAudit = %d, %v; want nothing left to delete", n, err)
	}
	// A backlog larger than one pruning transaction goes in several.
	for i := range 1100 {
		if _, err := svc.CreateAccount(ctx, fmt.Sprint("bulk ", i)); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := svc.PruneAudit(ctx, clock.Now().Add(time.Minute)); err != nil || n != 1101 {
		t.Fatalf("PruneAudit of a backlog = %d, %v; want 1101", n, err)
	}
}

// TestService_WithoutFaults checks that a Service with no FaultInjector
// (what NewService makes; httpapi.NewServer adds one) runs batch operations
// and resets without consulting one.
func TestService_WithoutFaults(t *testing.T) {
	ctx := context.Background()
	svc := MustObsService(t, nil)
	if svc.Faults != nil {
		t.Fatalf("NewService Faults=%v, want none", svc.Faults)
	}
	a, err := svc.AdminCreateAccount(ctx, openchime.NewAccount{Name: "A", Type: openchime.EnterpriseLWA})
	if err != nil {
		t.Fatal(err)
	}
	u, err := svc.AdminCreateUser(ctx, a.ID, openchime.NewUser{PrimaryEmail: "a@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if errs, err := svc.BatchSuspendUser(ctx, a.ID, []string{u.ID, "nope"}); err != nil || len(errs) != 1 {
		t.Fatalf("BatchSuspendUser = %v, %v; want one NotFound item", errs, err)
	}
	if err := svc.Reset(ctx); err != nil {
		t.Fatal(err)
	}
}
