package openchime_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/sqlite"
)

// MustService returns a Service over a fresh in-memory store with seeded ids
// and a clock frozen at 2030-01-02T03:04:05Z.
func MustService(tb testing.TB) *openchime.Service {
	tb.Helper()
	store, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	svc := openchime.NewService(store)
	svc.IDs = openchime.NewSeededIDs(1)
	clock := &openchime.ControlClock{}
	clock.Freeze()
	clock.Set(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	svc.Clock = clock
	return svc
}

// MustLoadFixtureFile parses and loads a fixture file.
func MustLoadFixtureFile(tb testing.TB, svc *openchime.Service, path string) *openchime.FixtureResult {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	f, err := openchime.ParseFixture(data)
	if err != nil {
		tb.Fatal(err)
	}
	res, err := svc.LoadFixture(context.Background(), f)
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

func TestService_LoadFixture(t *testing.T) {
	ctx := context.Background()
	t.Run("Idempotent", func(t *testing.T) {
		svc := MustService(t)
		first := MustLoadFixtureFile(t, svc, "examples/fixture.json")
		if first.Created != 8 || first.Unchanged != 0 {
			t.Fatalf("first load Created=%d Unchanged=%d, want 8, 0", first.Created, first.Unchanged)
		}
		before, err := svc.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		second := MustLoadFixtureFile(t, svc, "examples/fixture.json")
		if second.Created != 0 || second.Unchanged != 8 {
			t.Fatalf("second load Created=%d Unchanged=%d, want 0, 8", second.Created, second.Unchanged)
		}
		after, err := svc.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(before, after); diff != "" {
			t.Fatalf("second load changed the state (-before +after):\n%s", diff)
		}
		if diff := cmp.Diff(first.Accounts, second.Accounts); diff != "" {
			t.Fatalf("second load reports other records (-first +second):\n%s", diff)
		}
	})
	t.Run("States", func(t *testing.T) {
		svc := MustService(t)
		res := MustLoadFixtureFile(t, svc, "examples/fixture.json")
		lwa := res.Accounts[0]
		if lwa.Account.Type != openchime.EnterpriseLWA || lwa.Account.AwsAccountID != "123456789012" {
			t.Fatalf("account = %+v, want EnterpriseLWA of 123456789012", lwa.Account)
		}
		var got []openchime.RegistrationStatus
		for _, u := range lwa.Users {
			got = append(got, u.RegistrationStatus)
		}
		want := []openchime.RegistrationStatus{openchime.Registered, openchime.Suspended, openchime.Suspended, openchime.Unregistered}
		if !cmp.Equal(got, want) {
			t.Fatalf("statuses = %v, want %v", got, want)
		}
		if u := res.Accounts[1].Users[1]; u.InvitationStatus != openchime.InvitePending || u.LicenseType != openchime.Basic {
			t.Fatalf("team user = %+v, want a pending Basic invitee", u)
		}
	})
	t.Run("KeepsExistingState", func(t *testing.T) {
		svc := MustService(t)
		res := MustLoadFixtureFile(t, svc, "examples/fixture.json")
		bob := res.Accounts[0].Users[1]
		cctx := openchime.NewContextWithCaller(ctx, openchime.Caller{AwsAccountID: "123456789012"})
		if _, err := svc.BatchUnsuspendUser(cctx, bob.AccountID, []string{bob.ID}); err != nil {
			t.Fatal(err)
		}
		again := MustLoadFixtureFile(t, svc, "examples/fixture.json")
		if got := again.Accounts[0].Users[1].RegistrationStatus; got != openchime.Registered {
			t.Fatalf("bob after reload = %s, want Registered (a fixture never undoes a test's change)", got)
		}
	})
	t.Run("PinnedIDs", func(t *testing.T) {
		svc := MustService(t)
		f := &openchime.Fixture{Accounts: []openchime.FixtureAccount{{AccountID: "acct-1", Name: "Pinned",
			Users: []openchime.FixtureUser{{UserID: "user-1", PrimaryEmail: "p@example.com"}}}}}
		res, err := svc.LoadFixture(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if a, u := res.Accounts[0].Account, res.Accounts[0].Users[0]; a.ID != "acct-1" || u.ID != "user-1" {
			t.Fatalf("ids = %s, %s, want acct-1, user-1", a.ID, u.ID)
		}
		f.Accounts[0].AccountID = "acct-2"
		if _, err := svc.LoadFixture(ctx, f); !openchime.IsCode(err, openchime.Conflict) {
			t.Fatalf("LoadFixture with another pinned id err=%v, want Conflict", err)
		}
	})
	t.Run("ErrBadRequest", func(t *testing.T) {
		for name, body := range map[string]string{
			"UnknownField": `{"Accounts":[{"Name":"A","Users":[{"PrimaryEmail":"a@x.com","RegistrationStatus":"Suspended"}]}]}`,
			"BadType":      `{"Accounts":[{"Name":"A","AccountType":"Enterprise"}]}`,
			"NoName":       `{"Accounts":[{"Name":" "}]}`,
			"BadEmail":     `{"Accounts":[{"Name":"A","Users":[{"PrimaryEmail":"nope"}]}]}`,
			"DupEmail":     `{"Accounts":[{"Name":"A","Users":[{"PrimaryEmail":"a@x.com"},{"PrimaryEmail":"A@x.com"}]}]}`,
			"BadAws":       `{"Accounts":[{"Name":"A","AwsAccountId":"12"}]}`,
			"Trailing":     `{"Accounts":[]} {}`,
		} {
			t.Run(name, func(t *testing.T) {
				svc := MustService(t)
				f, err := openchime.ParseFixture([]byte(body))
				if err == nil {
					_, err = svc.LoadFixture(ctx, f)
				}
				if !openchime.IsCode(err, openchime.BadRequest) {
					t.Fatalf("err=%v, want BadRequest", err)
				}
				list, _ := svc.AdminAccounts(ctx, openchime.AccountFilter{IncludeDeleted: true})
				if len(list) != 0 {
					t.Fatalf("accounts after a refused fixture = %d, want 0", len(list))
				}
			})
		}
	})
}
