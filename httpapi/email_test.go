package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awschime "github.com/aws/aws-sdk-go-v2/service/chime"
	"github.com/aws/aws-sdk-go-v2/service/chime/types"
	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/httpapi"
	"github.com/openchime/openchime/postgres/postgrestest"
)

// TestServer_OneAccountPerEmail checks the rule of service_email.go through
// the SDK: within one AWS account an email belongs to at most one live
// Chime account.
func TestServer_OneAccountPerEmail(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	dirA := ts.MustCreateAccount(t, openchime.EnterpriseDirectory, "dir-a")
	dirB := ts.MustCreateAccount(t, openchime.EnterpriseDirectory, "dir-b")
	team := ts.MustCreateAccount(t, openchime.Team, "team")
	lwa := ts.MustCreateAccount(t, openchime.EnterpriseLWA, "lwa")
	createUser := func(acct, email string) error {
		_, err := ts.Client.CreateUser(ctx, &awschime.CreateUserInput{AccountId: &acct, Email: &email, Username: aws.String("u")})
		return err
	}
	invite := func(acct string, emails ...string) map[string]types.Invite {
		t.Helper()
		out, err := ts.Client.InviteUsers(ctx, &awschime.InviteUsersInput{AccountId: &acct, UserEmailList: emails})
		if err != nil {
			t.Fatalf("InviteUsers %v: %v", emails, err)
		}
		m := map[string]types.Invite{}
		for _, inv := range out.Invites {
			m[*inv.EmailAddress] = inv
		}
		return m
	}
	accountsOf := func(email string) []string {
		t.Helper()
		out, err := ts.Client.ListAccounts(ctx, &awschime.ListAccountsInput{UserEmail: &email})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, a := range out.Accounts {
			ids = append(ids, *a.AccountId)
		}
		return ids
	}
	wantConflict := func(err error, owner string) {
		t.Helper()
		e := wantAPIError[*types.ConflictException](t, err, "Conflict")
		if !strings.Contains(e.ErrorMessage(), owner) {
			t.Errorf("message %q does not name account %s", e.ErrorMessage(), owner)
		}
	}

	t.Run("CreateUser", func(t *testing.T) {
		if err := createUser(dirA, "alice@example.com"); err != nil {
			t.Fatal(err)
		}
		wantConflict(createUser(dirB, "Alice@Example.com"), dirA)
		st := ts.controlPlane(t, "POST", "/_openchime/accounts/"+dirB+"/users", map[string]any{"Users": []map[string]string{{"PrimaryEmail": "alice@example.com"}}}, nil)
		if st != 409 {
			t.Errorf("control-plane create in another account: status %d, want 409", st)
		}
		if got := accountsOf("alice@example.com"); len(got) != 1 || got[0] != dirA {
			t.Errorf("ListAccounts user-email = %v, want [%s]", got, dirA)
		}
	})

	t.Run("InviteUsers", func(t *testing.T) {
		got := invite(team, "alice@example.com", "bob@example.com")
		if inv := got["alice@example.com"]; inv.Status != types.InviteStatusFailed || inv.EmailStatus != types.EmailStatusNotSent {
			t.Errorf("invite of an address of %s: %s/%s, want Failed/NotSent", dirA, inv.Status, inv.EmailStatus)
		}
		if inv := got["bob@example.com"]; inv.Status != types.InviteStatusPending || inv.EmailStatus != types.EmailStatusSent {
			t.Errorf("invite of a new address: %s/%s, want Pending/Sent", inv.Status, inv.EmailStatus)
		}
		// A pending invitation belongs to the Team account.
		wantConflict(createUser(dirA, "bob@example.com"), team)
	})

	t.Run("Suspended still belongs", func(t *testing.T) {
		ts.MustCreateUsers(t, lwa, openchime.Suspended, "sus@example.com")
		wantConflict(createUser(dirA, "sus@example.com"), lwa)
		if got := invite(team, "sus@example.com")["sus@example.com"]; got.Status != types.InviteStatusFailed {
			t.Errorf("invite of a suspended LWA user: %s, want Failed", got.Status)
		}
	})

	t.Run("Removed from a Team account is free", func(t *testing.T) {
		ids := ts.MustCreateUsers(t, team, openchime.Registered, "gone@example.com")
		wantConflict(createUser(dirA, "gone@example.com"), team)
		if out, err := ts.Client.BatchSuspendUser(ctx, &awschime.BatchSuspendUserInput{AccountId: &team, UserIdList: ids}); err != nil || len(out.UserErrors) != 0 {
			t.Fatalf("BatchSuspendUser: %v %v", err, out)
		}
		if err := createUser(dirA, "gone@example.com"); err != nil {
			t.Fatalf("CreateUser of a removed Team user's address: %v", err)
		}
		// Restoring the removed user would make the address live twice.
		if got := invite(team, "gone@example.com")["gone@example.com"]; got.Status != types.InviteStatusFailed || got.EmailStatus != types.EmailStatusNotSent {
			t.Errorf("re-invite while live elsewhere: %s/%s, want Failed/NotSent", got.Status, got.EmailStatus)
		}
		if got := accountsOf("gone@example.com"); len(got) != 1 || got[0] != dirA {
			t.Errorf("ListAccounts user-email = %v, want [%s]", got, dirA)
		}
	})

	t.Run("Many addresses at once", func(t *testing.T) {
		// More than emailOwnerProbe addresses take the per-account path.
		var list []string
		for i := range 12 {
			list = append(list, "many"+string(rune('a'+i))+"@example.com")
		}
		ts.MustCreateUsers(t, lwa, openchime.Registered, list[5])
		got := invite(team, list...)
		for _, e := range list {
			want := types.InviteStatusPending
			if e == list[5] {
				want = types.InviteStatusFailed
			}
			if got[e].Status != want {
				t.Errorf("invite %s: %s, want %s", e, got[e].Status, want)
			}
		}
		type user struct{ PrimaryEmail string }
		var in struct{ Users []user }
		for i := range 10 {
			in.Users = append(in.Users, user{"bulk" + string(rune('a'+i)) + "@example.com"})
		}
		in.Users = append(in.Users, user{list[0]})
		if st := ts.controlPlane(t, "POST", "/_openchime/accounts/"+dirB+"/users", in, nil); st != 409 {
			t.Errorf("control-plane batch with an address of %s: status %d, want 409", team, st)
		}
	})

	t.Run("Other AWS accounts are separate", func(t *testing.T) {
		var created struct{ Account struct{ AccountId string } }
		ts.controlPlane(t, "POST", "/_openchime/accounts", map[string]string{"Name": "else", "AccountType": "EnterpriseDirectory", "AwsAccountId": "210987654321"}, &created)
		other := newClient(ts.URL, "210987654321")
		acct := created.Account.AccountId
		if _, err := other.CreateUser(ctx, &awschime.CreateUserInput{AccountId: &acct, Email: aws.String("alice@example.com")}); err != nil {
			t.Fatalf("CreateUser in another AWS account: %v", err)
		}
	})
}

// TestServer_OneAccountPerEmailConcurrent creates one address in two
// accounts of one AWS account at the same time, on PostgreSQL, where the
// creations run SERIALIZABLE: exactly one may succeed each round.
func TestServer_OneAccountPerEmailConcurrent(t *testing.T) {
	if !postgrestest.Enabled() {
		t.Skip("OPENCHIME_TEST_POSTGRES_URL is not set")
	}
	api := httpapi.NewServer(openchime.NewService(postgrestest.MustOpen(t)))
	api.Logger = discardLogger()
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	ts := &testServer{Server: srv, Client: newClient(srv.URL, "123456789012")}
	a := ts.MustCreateAccount(t, openchime.EnterpriseDirectory, "a")
	b := ts.MustCreateAccount(t, openchime.EnterpriseOIDC, "b")
	team := ts.MustCreateAccount(t, openchime.Team, "team")
	for round := range 20 {
		email := fmt.Sprintf("race%d@example.com", round)
		var wg sync.WaitGroup
		var mu sync.Mutex
		live := 0
		for _, acct := range []string{a, b, team} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok := false
				if acct == team {
					out, err := ts.Client.InviteUsers(context.Background(), &awschime.InviteUsersInput{AccountId: &acct, UserEmailList: []string{email}})
					if err != nil {
						t.Errorf("InviteUsers: %v", err)
						return
					}
					ok = out.Invites[0].Status == types.InviteStatusPending
				} else {
					_, err := ts.Client.CreateUser(context.Background(), &awschime.CreateUserInput{AccountId: &acct, Email: &email})
					var conflict *types.ConflictException
					if err != nil && !errors.As(err, &conflict) {
						t.Errorf("CreateUser: %v", err)
					}
					ok = err == nil
				}
				if ok {
					mu.Lock()
					live++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if live != 1 {
			t.Fatalf("round %d: %s became live in %d accounts, want 1", round, email, live)
		}
	}
}
