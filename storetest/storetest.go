// Package storetest is the conformance suite every openchime.Store passes.
//
// A store's own test calls Run with a constructor that returns a fresh, empty
// store for each subtest (and registers its cleanup on tb).
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	openchime "github.com/openchime/openchime"
)

// Run runs the whole suite against the stores newStore makes.
func Run(t *testing.T, newStore func(tb testing.TB) openchime.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s openchime.Store)
	}{
		{"AccountRoundTrip", testAccountRoundTrip},
		{"AccountNotFound", testAccountNotFound},
		{"AccountFilters", testAccountFilters},
		{"UserRoundTrip", testUserRoundTrip},
		{"UserEmailUnique", testUserEmailUnique},
		{"UserFiltersAndOrder", testUserFiltersAndOrder},
		{"RollbackOnError", testRollback},
		{"Reset", testReset},
		{"ConcurrentUpdates", testConcurrentUpdates},
		{"ConcurrentUniqueEmail", testConcurrentUniqueEmail},
		{"Resources", testResources},
		{"AllResourcesAndDeleteAll", testAllResourcesAndDeleteAll},
		{"AccountLifecycleFields", testAccountLifecycleFields},
		{"UserLifecycleFields", testUserLifecycleFields},
		{"CountUsers", testCountUsers},
		{"ReadsAreCopies", testReadsAreCopies},
		{"UserBatches", testUserBatches},
		{"RowLockedUpdates", testRowLockedUpdates},
		{"ResourceReadYourWrites", testResourceReadYourWrites},
		{"ResourceBatches", testResourceBatches},
		{"RowLockedResources", testRowLockedResources},
		{"PhoneNumberIndexes", testPhoneNumberIndexes},
		{"RoomTokenIndex", testRoomTokenIndex},
		{"MembershipIndexes", testMembershipIndexes},
		{"ConcurrentIndexUnique", testConcurrentIndexUnique},
		{"IndexedDocumentInvalid", testIndexedDocumentInvalid},
		{"LegacyKindsDropped", testLegacyKindsDropped},
		{"WebhookIndex", testWebhookIndex},
		{"Outbox", testOutbox},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newStore(t)) })
	}
}

var base = time.Date(2030, 1, 2, 3, 4, 5, 6_000_000, time.UTC)

// MustPutAccount stores a and fails the test on error.
func MustPutAccount(tb testing.TB, s openchime.Store, a *openchime.Account) {
	tb.Helper()
	if err := s.Update(context.Background(), func(tx openchime.Tx) error { return tx.PutAccount(context.Background(), a) }); err != nil {
		tb.Fatalf("PutAccount(%s): %v", a.ID, err)
	}
}

// MustPutUser stores u and fails the test on error.
func MustPutUser(tb testing.TB, s openchime.Store, u *openchime.User) {
	tb.Helper()
	if err := s.Update(context.Background(), func(tx openchime.Tx) error { return tx.PutUser(context.Background(), u) }); err != nil {
		tb.Fatalf("PutUser(%s): %v", u.ID, err)
	}
}

func account(id, aws, name string, created time.Time) *openchime.Account {
	return &openchime.Account{ID: id, AwsAccountID: aws, Name: name, Type: openchime.EnterpriseLWA,
		Status: openchime.AccountActive, DefaultLicense: openchime.Pro,
		SupportedLicenses: []openchime.License{openchime.Basic, openchime.Pro}, SigninDelegateGroups: []string{},
		CreatedAt: created}
}

func user(accountID, id, email string, created time.Time) *openchime.User {
	return &openchime.User{ID: id, AccountID: accountID, PrimaryEmail: email, LicenseType: openchime.Pro,
		UserType: openchime.PrivateUser, RegistrationStatus: openchime.Registered, RegisteredOn: created,
		PersonalPIN: "0123456789", CreatedAt: created, Settings: openchime.DefaultUserSettings}
}

func getAccount(t *testing.T, s openchime.Store, id string) (*openchime.Account, error) {
	var a *openchime.Account
	err := s.View(context.Background(), func(tx openchime.ReadTx) (err error) {
		a, err = tx.Account(context.Background(), id)
		return err
	})
	return a, err
}

func listAccounts(t *testing.T, s openchime.Store, f openchime.AccountFilter) []string {
	t.Helper()
	var ids []string
	err := s.View(context.Background(), func(tx openchime.ReadTx) error {
		list, err := tx.Accounts(context.Background(), f)
		for _, a := range list {
			ids = append(ids, a.ID)
		}
		return err
	})
	if err != nil {
		t.Fatalf("Accounts(%+v): %v", f, err)
	}
	return ids
}

func listUsers(t *testing.T, s openchime.Store, f openchime.UserFilter) []string {
	t.Helper()
	var ids []string
	err := s.View(context.Background(), func(tx openchime.ReadTx) error {
		list, err := tx.Users(context.Background(), f)
		for _, u := range list {
			ids = append(ids, u.ID)
		}
		return err
	})
	if err != nil {
		t.Fatalf("Users(%+v): %v", f, err)
	}
	return ids
}

// testAccountRoundTrip stores an account whose every field is set (by
// Fill), so it fails when openchime.Account gains a field that a store does
// not keep. DeletedAt starts zero so that the live account can be read.
func testAccountRoundTrip(t *testing.T, s openchime.Store) {
	a := new(openchime.Account)
	Fill(a)
	a.ID, a.AwsAccountID, a.DeletedAt = "a1", "111122223333", time.Time{}
	MustPutAccount(t, s, a)
	got, err := getAccount(t, s, "a1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, got); diff != "" {
		t.Fatalf("account round trip (-want +got):\n%s", diff)
	}
	a.Name, a.DeletedAt = "Renamed", base.Add(time.Hour)
	MustPutAccount(t, s, a)
	got, _ = getAccount(t, s, "a1")
	if diff := cmp.Diff(a, got); diff != "" {
		t.Fatalf("account after update (-want +got):\n%s", diff)
	}
}

func testAccountNotFound(t *testing.T, s openchime.Store) {
	_, err := getAccount(t, s, "nope")
	if !openchime.IsCode(err, openchime.NotFound) {
		t.Fatalf("Account(nope) err=%v, want NotFound", err)
	}
}

func testAccountFilters(t *testing.T, s openchime.Store) {
	MustPutAccount(t, s, account("b", "111111111111", "Alpha one", base))
	MustPutAccount(t, s, account("a", "111111111111", "alpha two", base))
	MustPutAccount(t, s, account("c", "111111111111", "Alpha three", base.Add(time.Millisecond)))
	MustPutAccount(t, s, account("d", "222222222222", "Alpha four", base))
	gone := account("e", "111111111111", "Alpha gone", base.Add(time.Second))
	gone.DeletedAt = base.Add(2 * time.Second)
	MustPutAccount(t, s, gone)
	MustPutUser(t, s, user("c", "u1", "Pat@Example.com", base))

	cases := []struct {
		name string
		f    openchime.AccountFilter
		want []string
	}{
		{"owner, ordered by time then id", openchime.AccountFilter{AwsAccountID: "111111111111"}, []string{"a", "b", "c"}},
		{"deleted included", openchime.AccountFilter{AwsAccountID: "111111111111", IncludeDeleted: true}, []string{"a", "b", "c", "e"}},
		{"case-sensitive prefix", openchime.AccountFilter{AwsAccountID: "111111111111", NamePrefix: "Alpha"}, []string{"b", "c"}},
		{"prefix with wildcard characters", openchime.AccountFilter{NamePrefix: "Alpha%"}, nil},
		{"user email", openchime.AccountFilter{UserEmail: "pat@example.com"}, []string{"c"}},
		{"after cursor", openchime.AccountFilter{AwsAccountID: "111111111111", After: &openchime.Cursor{CreatedAt: base, ID: "a"}}, []string{"b", "c"}},
		{"limit", openchime.AccountFilter{Limit: 2}, []string{"a", "b"}},
	}
	for _, c := range cases {
		if got := listAccounts(t, s, c.f); !cmp.Equal(got, c.want) {
			t.Errorf("%s: Accounts=%v, want %v", c.name, got, c.want)
		}
	}
}

// testUserRoundTrip stores a user whose every field is set (by Fill), so
// it fails when openchime.User gains a field that a store does not keep:
// add a column (a migration) and read it in ScanUser, or add it to the log
// store's codec.
func testUserRoundTrip(t *testing.T, s openchime.Store) {
	MustPutAccount(t, s, account("a", "111111111111", "A", base))
	u := new(openchime.User)
	Fill(u)
	u.ID, u.AccountID, u.PrimaryEmail = "u1", "a", "Pat@Example.com"
	MustPutUser(t, s, u)
	var got, byEmail *openchime.User
	err := s.View(context.Background(), func(tx openchime.ReadTx) (err error) {
		if got, err = tx.User(context.Background(), "a", "u1"); err != nil {
			return err
		}
		byEmail, err = tx.UserByEmail(context.Background(), "a", "pat@example.com")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(u, got); diff != "" {
		t.Fatalf("user round trip (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(u, byEmail); diff != "" {
		t.Fatalf("user by email (-want +got):\n%s", diff)
	}
	err = s.View(context.Background(), func(tx openchime.ReadTx) error {
		_, err := tx.User(context.Background(), "other", "u1")
		return err
	})
	if !openchime.IsCode(err, openchime.NotFound) {
		t.Fatalf("User in another account err=%v, want NotFound", err)
	}
}

func testUserEmailUnique(t *testing.T, s openchime.Store) {
	MustPutAccount(t, s, account("a", "111111111111", "A", base))
	MustPutUser(t, s, user("a", "u1", "pat@example.com", base))
	err := s.Update(context.Background(), func(tx openchime.Tx) error {
		return tx.PutUser(context.Background(), user("a", "u2", "PAT@example.com", base))
	})
	if !openchime.IsCode(err, openchime.Conflict) {
		t.Fatalf("second user with the same email err=%v, want Conflict", err)
	}
}

func testUserFiltersAndOrder(t *testing.T, s openchime.Store) {
	MustPutAccount(t, s, account("a", "111111111111", "A", base))
	MustPutUser(t, s, user("a", "u3", "c@example.com", base))
	MustPutUser(t, s, user("a", "u2", "b@example.com", base))
	dev := user("a", "u1", "a@example.com", base.Add(time.Millisecond))
	dev.UserType = openchime.SharedDevice
	MustPutUser(t, s, dev)
	removed := user("a", "u0", "gone@example.com", base)
	removed.RemovedAt = base
	MustPutUser(t, s, removed)
	MustPutUser(t, s, user("b", "u9", "x@example.com", base))
	cases := []struct {
		name string
		f    openchime.UserFilter
		want []string
	}{
		{"order", openchime.UserFilter{AccountID: "a"}, []string{"u2", "u3", "u1"}},
		{"removed included", openchime.UserFilter{AccountID: "a", IncludeRemoved: true}, []string{"u0", "u2", "u3", "u1"}},
		{"email", openchime.UserFilter{AccountID: "a", Email: "b@example.com"}, []string{"u2"}},
		{"type", openchime.UserFilter{AccountID: "a", UserType: openchime.SharedDevice}, []string{"u1"}},
		{"after", openchime.UserFilter{AccountID: "a", After: &openchime.Cursor{CreatedAt: base, ID: "u2"}}, []string{"u3", "u1"}},
		{"limit", openchime.UserFilter{AccountID: "a", Limit: 1}, []string{"u2"}},
	}
	for _, c := range cases {
		if got := listUsers(t, s, c.f); !cmp.Equal(got, c.want) {
			t.Errorf("%s: Users=%v, want %v", c.name, got, c.want)
		}
	}
}

func testRollback(t *testing.T, s openchime.Store) {
	MustPutAccount(t, s, account("a", "111111111111", "A", base))
	boom := errors.New("boom")
	err := s.Update(context.Background(), func(tx openchime.Tx) error {
		if err := tx.PutUser(context.Background(), user("a", "u1", "a@example.com", base)); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update err=%v, want the callback's error", err)
	}
	if got := listUsers(t, s, openchime.UserFilter{AccountID: "a", IncludeRemoved: true}); len(got) != 0 {
		t.Fatalf("users after rollback = %v, want none", got)
	}
}

func testReset(t *testing.T, s openchime.Store) {
	MustPutAccount(t, s, account("a", "111111111111", "A", base))
	MustPutUser(t, s, user("a", "u1", "a@example.com", base))
	ctx := context.Background()
	r := &openchime.Resource{Kind: "bot", ID: "b1", Scope: "a", CreatedAt: base, Data: []byte(`{}`)}
	if err := s.Update(ctx, func(tx openchime.Tx) error { return tx.PutResource(ctx, r) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if got := listAccounts(t, s, openchime.AccountFilter{IncludeDeleted: true}); len(got) != 0 {
		t.Fatalf("accounts after reset = %v", got)
	}
	var rs []*openchime.Resource
	if err := s.View(ctx, func(tx openchime.ReadTx) (err error) { rs, err = tx.AllResources(ctx); return err }); err != nil || len(rs) != 0 {
		t.Fatalf("resources after reset = %v, %v; want none", rs, err)
	}
}

// testConcurrentUpdates checks that concurrent read-modify-write
// transactions on one record lose no update.
func testConcurrentUpdates(t *testing.T, s openchime.Store) {
	MustPutAccount(t, s, account("a", "111111111111", "0", base))
	const workers, rounds = 4, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				errs <- s.Update(context.Background(), func(tx openchime.Tx) error {
					a, err := tx.Account(context.Background(), "a")
					if err != nil {
						return err
					}
					var n int
					fmt.Sscan(a.Name, &n)
					a.Name = fmt.Sprint(n + 1)
					return tx.PutAccount(context.Background(), a)
				})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent update: %v", err)
		}
	}
	a, _ := getAccount(t, s, "a")
	if a.Name != fmt.Sprint(workers*rounds) {
		t.Fatalf("counter = %s, want %d (lost updates)", a.Name, workers*rounds)
	}
}

// testConcurrentUniqueEmail runs, at once, transactions that each check
// that an email is free and then create a user with it, as the Service does:
// exactly one wins and every other one ends in Conflict, whether the store
// serialises them or the unique index stops the late ones.
func testConcurrentUniqueEmail(t *testing.T, s openchime.Store) {
	ctx := context.Background()
	MustPutAccount(t, s, account("a", "111111111111", "A", base))
	const workers = 6
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func() {
			errs <- s.Update(ctx, func(tx openchime.Tx) error {
				if _, err := tx.UserByEmail(ctx, "a", "pat@example.com"); err == nil {
					return openchime.Errorf(openchime.Conflict, "taken")
				} else if !openchime.IsCode(err, openchime.NotFound) {
					return err
				}
				return tx.PutUser(ctx, user("a", fmt.Sprint("u", w), "Pat@example.com", base))
			})
		}()
	}
	wins := 0
	for w := 0; w < workers; w++ {
		switch err := <-errs; {
		case err == nil:
			wins++
		case !openchime.IsCode(err, openchime.Conflict):
			t.Errorf("concurrent creation err=%v, want nil or Conflict", err)
		}
	}
	if wins != 1 {
		t.Errorf("%d transactions created the user, want exactly 1", wins)
	}
	if got := listUsers(t, s, openchime.UserFilter{AccountID: "a", IncludeRemoved: true}); len(got) != 1 {
		t.Errorf("users = %v, want one", got)
	}
}

func testResources(t *testing.T, s openchime.Store) {
	ctx := context.Background()
	put := func(r *openchime.Resource) {
		t.Helper()
		if err := s.Update(ctx, func(tx openchime.Tx) error { return tx.PutResource(ctx, r) }); err != nil {
			t.Fatalf("PutResource(%s/%s): %v", r.Kind, r.ID, err)
		}
	}
	list := func(f openchime.ResourceFilter) []string {
		t.Helper()
		var ids []string
		err := s.View(ctx, func(tx openchime.ReadTx) error {
			rs, err := tx.Resources(ctx, f)
			for _, r := range rs {
				ids = append(ids, r.ID)
			}
			return err
		})
		if err != nil {
			t.Fatalf("Resources(%+v): %v", f, err)
		}
		return ids
	}
	bot := &openchime.Resource{Kind: "bot", ID: "b2", Scope: "acct1", CreatedAt: base, Data: []byte(`{"Name":"x"}`)}
	put(bot)
	put(&openchime.Resource{Kind: "bot", ID: "b1", Scope: "acct1", CreatedAt: base, Data: []byte(`{}`)})
	put(&openchime.Resource{Kind: "bot", ID: "b0", Scope: "acct2", CreatedAt: base.Add(time.Second), Data: []byte(`{}`)})
	put(&openchime.Resource{Kind: "room", ID: "b1", Scope: "acct1", CreatedAt: base, Data: []byte(`{}`)})

	var got *openchime.Resource
	err := s.View(ctx, func(tx openchime.ReadTx) (err error) { got, err = tx.Resource(ctx, "bot", "b2"); return err })
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(bot, got); diff != "" {
		t.Fatalf("resource round trip (-want +got):\n%s", diff)
	}
	if got := list(openchime.ResourceFilter{Kind: "bot", Scope: "acct1"}); !cmp.Equal(got, []string{"b1", "b2"}) {
		t.Errorf("bots of acct1 = %v", got)
	}
	if got := list(openchime.ResourceFilter{Kind: "bot"}); !cmp.Equal(got, []string{"b1", "b2", "b0"}) {
		t.Errorf("all bots = %v", got)
	}
	if got := list(openchime.ResourceFilter{Kind: "bot", After: &openchime.Cursor{CreatedAt: base, ID: "b1"}, Limit: 1}); !cmp.Equal(got, []string{"b2"}) {
		t.Errorf("bots after b1, limit 1 = %v", got)
	}
	if err := s.Update(ctx, func(tx openchime.Tx) error { return tx.DeleteResource(ctx, "bot", "b2") }); err != nil {
		t.Fatal(err)
	}
	err = s.View(ctx, func(tx openchime.ReadTx) error { _, err := tx.Resource(ctx, "bot", "b2"); return err })
	if !openchime.IsCode(err, openchime.NotFound) {
		t.Fatalf("deleted resource err=%v, want NotFound", err)
	}
}

// testAccountLifecycleFields round-trips what the account lifecycle writes:
// claimed domains (set, then released back to none), settings and the
// deletion tombstone.
func testAccountLifecycleFields(t *testing.T, s openchime.Store) {
	a := account("a1", "111122223333", "Acme", base)
	a.Type = openchime.EnterpriseDirectory
	a.ClaimedDomains = []string{"example.com", "example.org"}
	a.SigninDelegateGroups = []string{"admins"}
	a.Settings = openchime.AccountSettings{DisableRemoteControl: true, EnableDialOut: true}
	MustPutAccount(t, s, a)
	got, err := getAccount(t, s, "a1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, got); diff != "" {
		t.Fatalf("account with claimed domains (-want +got):\n%s", diff)
	}
	a.ClaimedDomains, a.SigninDelegateGroups = nil, []string{}
	a.Settings = openchime.AccountSettings{}
	a.DeletedAt = base.Add(time.Minute)
	MustPutAccount(t, s, a)
	got, _ = getAccount(t, s, "a1")
	if diff := cmp.Diff(a, got); diff != "" {
		t.Fatalf("account after release and delete (-want +got):\n%s", diff)
	}
	if got := listAccounts(t, s, openchime.AccountFilter{AwsAccountID: "111122223333"}); len(got) != 0 {
		t.Errorf("deleted account listed: %v", got)
	}
}

// testUserLifecycleFields round-trips what the user lifecycle writes: a
// logout time, a new PIN, settings turned off, and a removal undone.
func testUserLifecycleFields(t *testing.T, s openchime.Store) {
	MustPutAccount(t, s, account("a", "111111111111", "A", base))
	u := user("a", "u1", "pat@example.com", base)
	u.RemovedAt = base.Add(time.Second)
	MustPutUser(t, s, u)
	u.RemovedAt = time.Time{}
	u.RegistrationStatus, u.InvitationStatus, u.InvitedOn, u.RegisteredOn = openchime.Unregistered, openchime.InvitePending, base.Add(time.Hour), time.Time{}
	u.LastLogoutAt = base.Add(2 * time.Hour)
	u.PersonalPIN = "9876543210"
	u.Settings = openchime.UserSettings{}
	u.LicenseType = openchime.Basic
	MustPutUser(t, s, u)
	var got *openchime.User
	err := s.View(context.Background(), func(tx openchime.ReadTx) (err error) {
		got, err = tx.User(context.Background(), "a", "u1")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(u, got); diff != "" {
		t.Fatalf("user after lifecycle changes (-want +got):\n%s", diff)
	}
	if got := listUsers(t, s, openchime.UserFilter{AccountID: "a"}); !cmp.Equal(got, []string{"u1"}) {
		t.Errorf("restored user listed as %v, want [u1]", got)
	}
}

func testAllResourcesAndDeleteAll(t *testing.T, s openchime.Store) {
	ctx := context.Background()
	rs := []*openchime.Resource{
		{Kind: "room", ID: "r1", Scope: "acct1", CreatedAt: base, Data: []byte(`{"Name":"r"}`)},
		{Kind: "bot", ID: "b2", Scope: "acct1", CreatedAt: base, Data: []byte(`{}`)},
		{Kind: "bot", ID: "b1", Scope: "acct2", CreatedAt: base.Add(time.Second), Data: []byte(`{}`)},
	}
	MustPutAccount(t, s, account("a", "111111111111", "A", base))
	MustPutUser(t, s, user("a", "u1", "a@example.com", base))
	err := s.Update(ctx, func(tx openchime.Tx) error {
		for _, r := range rs {
			if err := tx.PutResource(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []*openchime.Resource
	err = s.View(ctx, func(tx openchime.ReadTx) (err error) { got, err = tx.AllResources(ctx); return err })
	if err != nil {
		t.Fatal(err)
	}
	want := []*openchime.Resource{rs[1], rs[2], rs[0]} // by kind, then (CreatedAt, ID)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("AllResources (-want +got):\n%s", diff)
	}

	// DeleteAll inside a transaction that fails keeps everything.
	boom := errors.New("boom")
	err = s.Update(ctx, func(tx openchime.Tx) error {
		if err := tx.DeleteAll(ctx); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update err=%v, want the callback's error", err)
	}
	if got := listUsers(t, s, openchime.UserFilter{AccountID: "a", IncludeRemoved: true}); len(got) != 1 {
		t.Fatalf("users after rolled-back DeleteAll = %v, want [u1]", got)
	}
	if err := s.Update(ctx, func(tx openchime.Tx) error { return tx.DeleteAll(ctx) }); err != nil {
		t.Fatal(err)
	}
	if got := listAccounts(t, s, openchime.AccountFilter{IncludeDeleted: true}); len(got) != 0 {
		t.Errorf("accounts after DeleteAll = %v", got)
	}
	err = s.View(ctx, func(tx openchime.ReadTx) (err error) { got, err = tx.AllResources(ctx); return err })
	if err != nil || len(got) != 0 {
		t.Errorf("resources after DeleteAll = %v, %v; want none", got, err)
	}
}

// hideCounter hides a ReadTx's UserCounter capability, so that
// openchime.CountUsers takes its generic path of reading every user.
type hideCounter struct{ openchime.ReadTx }

// testCountUsers checks a store's own user count (its UserCounter, when its
// transactions have one) against the count from reading every user.
func testCountUsers(t *testing.T, s openchime.Store) {
	ctx := context.Background()
	MustPutAccount(t, s, account("a", "111111111111", "A", base))
	MustPutAccount(t, s, account("b", "111111111111", "B", base))
	statuses := []openchime.RegistrationStatus{openchime.Registered, openchime.Registered, openchime.Suspended}
	for i, st := range statuses {
		u := user("a", fmt.Sprint("u", i), fmt.Sprintf("u%d@example.com", i), base)
		u.RegistrationStatus = st
		MustPutUser(t, s, u)
	}
	gone := user("b", "gone", "gone@example.com", base)
	gone.RegistrationStatus = openchime.Unregistered // held by no live user: not listed
	gone.RemovedAt = base.Add(time.Minute)
	MustPutUser(t, s, gone)
	var own, generic openchime.UserCounts
	err := s.View(ctx, func(tx openchime.ReadTx) (err error) {
		if own, err = openchime.CountUsers(ctx, tx); err != nil {
			return err
		}
		generic, err = openchime.CountUsers(ctx, hideCounter{tx})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := openchime.UserCounts{Removed: 1, ByStatus: map[openchime.RegistrationStatus]int{
		openchime.Registered: 2, openchime.Suspended: 1}}
	if diff := cmp.Diff(want, generic); diff != "" {
		t.Fatalf("counts from reading every user (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, own); diff != "" {
		t.Fatalf("the store's own counts (-want +got):\n%s", diff)
	}
}

// testReadsAreCopies changes what reads return, lists included, and checks
// that the store's records did not change: a store that hands out what it
// keeps (the log store keeps decoded accounts) must copy them.
func testReadsAreCopies(t *testing.T, s openchime.Store) {
	ctx := context.Background()
	a := account("a1", "111122223333", "Acme", base)
	a.SigninDelegateGroups = []string{"g1"}
	a.ClaimedDomains = []string{"acme.example"}
	MustPutAccount(t, s, a)
	MustPutUser(t, s, user("a1", "u1", "u1@acme.example", base))
	spoil := func() {
		err := s.View(ctx, func(tx openchime.ReadTx) error {
			got, err := tx.Account(ctx, "a1")
			if err != nil {
				return err
			}
			listed, err := tx.Accounts(ctx, openchime.AccountFilter{})
			if err != nil {
				return err
			}
			for _, x := range append(listed, got) {
				x.Name = "spoiled"
				x.SupportedLicenses[0] = openchime.ProTrial
				x.SigninDelegateGroups[0] = "spoiled"
				x.ClaimedDomains[0] = "spoiled.example"
			}
			u, err := tx.User(ctx, "a1", "u1")
			if err != nil {
				return err
			}
			u.DisplayName = "spoiled"
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	spoil()
	got, err := getAccount(t, s, "a1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Acme" || got.SupportedLicenses[0] != openchime.Basic || got.SigninDelegateGroups[0] != "g1" || got.ClaimedDomains[0] != "acme.example" {
		t.Errorf("changing a read account changed the store's: %+v", got)
	}
	err = s.View(ctx, func(tx openchime.ReadTx) error {
		u, err := tx.User(ctx, "a1", "u1")
		if err == nil && u.DisplayName != "" {
			t.Errorf("changing a read user changed the store's: %q", u.DisplayName)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
