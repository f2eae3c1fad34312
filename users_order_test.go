package openchime_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/fixture"
	"github.com/openchime/openchime/internal/servicetest"
)

// TestService_BulkCreateListsInGivenOrder checks that the users one request
// creates list in the order the request gave them (D6: they share a
// creation time, and their ids ascend), for the control plane's bulk create,
// fixtures and InviteUsers. With 12 users, random ids would list in the
// given order once in 12! runs: the test fails without ascendingUUIDs.
func TestService_BulkCreateListsInGivenOrder(t *testing.T) {
	ctx := context.Background()
	const n = 12
	emails := make([]string, n)
	for i := range emails {
		emails[i] = fmt.Sprintf("user%02d@example.com", n-i) // not in id or email order
	}
	listed := func(t *testing.T, svc *openchime.Service, accountID string) []string {
		t.Helper()
		var got []string
		page := openchime.Page{MaxResults: 5}
		for {
			users, next, err := svc.ListUsers(ctx, openchime.ListUsersInput{AccountID: accountID, Page: page})
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range users {
				got = append(got, u.PrimaryEmail)
			}
			if next == "" {
				return got
			}
			page.NextToken = next
		}
	}
	for _, c := range []struct {
		name    string
		accType openchime.AccountType
		create  func(svc *openchime.Service, a *openchime.Account) error
	}{
		{"AdminCreateUsers", openchime.EnterpriseLWA, func(svc *openchime.Service, a *openchime.Account) error {
			list := make([]openchime.NewUser, n)
			for i, e := range emails {
				list[i] = openchime.NewUser{PrimaryEmail: e}
			}
			_, err := svc.AdminCreateUsers(ctx, a.ID, list)
			return err
		}},
		{"LoadFixture", openchime.EnterpriseLWA, func(svc *openchime.Service, a *openchime.Account) error {
			fa := fixture.Account{AccountID: a.ID, Name: a.Name, AccountType: a.Type}
			for _, e := range emails {
				fa.Users = append(fa.Users, fixture.User{PrimaryEmail: e})
			}
			_, err := fixture.Load(ctx, svc, &fixture.Fixture{Accounts: []fixture.Account{fa}})
			return err
		}},
		{"InviteUsers", openchime.Team, func(svc *openchime.Service, a *openchime.Account) error {
			_, err := svc.InviteUsers(ctx, a.ID, emails, "")
			return err
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			svc := servicetest.MustService(t)
			svc.IDs = openchime.RandomIDs{}
			a, err := svc.AdminCreateAccount(ctx, openchime.NewAccount{Name: "Order", Type: c.accType})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.create(svc, a); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(emails, listed(t, svc, a.ID)); diff != "" {
				t.Errorf("ListUsers order (-given +listed):\n%s", diff)
			}
		})
	}
}
