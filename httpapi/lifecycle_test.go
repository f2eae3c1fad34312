package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awschime "github.com/aws/aws-sdk-go-v2/service/chime"
	"github.com/aws/aws-sdk-go-v2/service/chime/types"
	"github.com/google/go-cmp/cmp"
	openchime "github.com/openchime/openchime"
)

// The account and user lifecycle (issue 3) through the real Go SDK.

const (
	team      = openchime.Team
	directory = openchime.EnterpriseDirectory
	oidc      = openchime.EnterpriseOIDC
	lwa       = openchime.EnterpriseLWA
	active    = openchime.AccountActive
	suspended = openchime.AccountSuspended
)

func TestServer_UpdateAccount(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		e := newLifecycleClient(t)
		id := e.MustCreateAccount(team, active)
		out, err := e.Chime.UpdateAccount(ctx, &awschime.UpdateAccountInput{AccountId: &id, Name: aws.String("Renamed"), DefaultLicense: types.LicenseBasic})
		if err != nil {
			t.Fatal(err)
		}
		if got := out.Account; *got.Name != "Renamed" || got.DefaultLicense != types.LicenseBasic {
			t.Errorf("UpdateAccount = %q/%s, want Renamed/Basic", *got.Name, got.DefaultLicense)
		}
		get, _ := e.Chime.GetAccount(ctx, &awschime.GetAccountInput{AccountId: &id})
		if *get.Account.Name != "Renamed" || get.Account.DefaultLicense != types.LicenseBasic {
			t.Errorf("GetAccount after update = %q/%s", *get.Account.Name, get.Account.DefaultLicense)
		}
	})
	t.Run("OKEmptyBodyChangesNothing", func(t *testing.T) {
		e := newLifecycleClient(t)
		id := e.MustCreateAccount(team, active)
		out, err := e.Chime.UpdateAccount(ctx, &awschime.UpdateAccountInput{AccountId: &id})
		if err != nil {
			t.Fatal(err)
		}
		if *out.Account.Name != "acct-Team" || out.Account.DefaultLicense != types.LicensePro {
			t.Errorf("account = %q/%s, want it unchanged", *out.Account.Name, out.Account.DefaultLicense)
		}
	})
	t.Run("ErrUnsupportedLicense", func(t *testing.T) {
		e := newLifecycleClient(t)
		id := e.MustCreateAccount(team, active)
		for _, l := range []types.License{types.LicensePlus, types.LicenseProTrial} {
			_, err := e.Chime.UpdateAccount(ctx, &awschime.UpdateAccountInput{AccountId: &id, DefaultLicense: l})
			wantException[*types.BadRequestException](t, err, types.ErrorCodeBadRequest, "SupportedLicenses")
		}
		_, err := e.Chime.UpdateAccount(ctx, &awschime.UpdateAccountInput{AccountId: &id, DefaultLicense: "Gold"})
		wantException[*types.BadRequestException](t, err, types.ErrorCodeBadRequest, "enum")
	})
	t.Run("ErrBlankName", func(t *testing.T) {
		e := newLifecycleClient(t)
		id := e.MustCreateAccount(team, active)
		_, err := e.Chime.UpdateAccount(ctx, &awschime.UpdateAccountInput{AccountId: &id, Name: aws.String("   ")})
		wantException[*types.BadRequestException](t, err, types.ErrorCodeBadRequest, "Name")
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		e := newLifecycleClient(t)
		id := e.MustCreateAccount(team, active)
		_, err := e.Chime.UpdateAccount(ctx, &awschime.UpdateAccountInput{AccountId: aws.String("nope"), Name: aws.String("x")})
		wantException[*types.NotFoundException](t, err, types.ErrorCodeNotFound, "nope")
		// Another AWS account's account is as invisible as a missing one.
		_, err = e.clientFor("111122223333").UpdateAccount(ctx, &awschime.UpdateAccountInput{AccountId: &id, Name: aws.String("x")})
		wantException[*types.NotFoundException](t, err, types.ErrorCodeNotFound, "")
	})
}

func TestServer_DeleteAccount(t *testing.T) {
	ctx := context.Background()
	mustGone := func(t *testing.T, e *lifecycleEnv, id string) {
		t.Helper()
		_, err := e.Chime.GetAccount(ctx, &awschime.GetAccountInput{AccountId: &id})
		wantException[*types.NotFoundException](t, err, types.ErrorCodeNotFound, "")
		list, err := e.Chime.ListAccounts(ctx, &awschime.ListAccountsInput{})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range list.Accounts {
			if *a.AccountId == id {
				t.Errorf("ListAccounts still lists deleted account %s", id)
			}
		}
		var cp struct {
			Accounts []struct{ AccountId, DeletedTimestamp string }
		}
		e.control("GET", "/_openchime/accounts", nil, &cp)
		found := false
		for _, a := range cp.Accounts {
			if a.AccountId == id {
				found = true
				if a.DeletedTimestamp != "2030-01-02T03:04:05.000Z" {
					t.Errorf("tombstone DeletedTimestamp=%q, want the clock's time", a.DeletedTimestamp)
				}
			}
		}
		if !found {
			t.Errorf("control plane does not list the tombstone of %s", id)
		}
		_, err = e.Chime.DeleteAccount(ctx, &awschime.DeleteAccountInput{AccountId: &id})
		wantException[*types.NotFoundException](t, err, types.ErrorCodeNotFound, "")
	}
	t.Run("OKTeamWithoutUsers", func(t *testing.T) {
		e := newLifecycleClient(t)
		out, err := e.Chime.CreateAccount(ctx, &awschime.CreateAccountInput{Name: aws.String("doomed")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Chime.DeleteAccount(ctx, &awschime.DeleteAccountInput{AccountId: out.Account.AccountId}); err != nil {
			t.Fatal(err)
		}
		mustGone(t, e, *out.Account.AccountId)
	})
	t.Run("OKTeamAfterRemovingUsers", func(t *testing.T) {
		e := newLifecycleClient(t)
		id := e.MustCreateAccount(team, active)
		u1 := e.MustCreateUser(id, "a@example.com", openchime.Registered)
		u2 := e.MustCreateUser(id, "b@example.com", openchime.Unregistered)
		_, err := e.Chime.DeleteAccount(ctx, &awschime.DeleteAccountInput{AccountId: &id})
		wantException[*types.UnprocessableEntityException](t, err, types.ErrorCodeUnprocessable, "BatchSuspendUser")
		if _, err := e.Chime.BatchSuspendUser(ctx, &awschime.BatchSuspendUserInput{AccountId: &id, UserIdList: []string{u1, u2}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Chime.DeleteAccount(ctx, &awschime.DeleteAccountInput{AccountId: &id}); err != nil {
			t.Fatal(err)
		}
		mustGone(t, e, id)
	})
	t.Run("ErrTeamWithUsers", func(t *testing.T) {
		e := newLifecycleClient(t)
		id := e.MustCreateAccount(team, active)
		e.MustCreateUser(id, "a@example.com", openchime.Unregistered)
		_, err := e.Chime.DeleteAccount(ctx, &awschime.DeleteAccountInput{AccountId: &id})
		wantException[*types.UnprocessableEntityException](t, err, types.ErrorCodeUnprocessable, "still has users")
		if _, err := e.Chime.GetAccount(ctx, &awschime.GetAccountInput{AccountId: &id}); err != nil {
			t.Fatalf("account after refused delete: %v", err)
		}
	})
	t.Run("ErrEnterpriseWithClaimedDomains", func(t *testing.T) {
		for _, typ := range []openchime.AccountType{directory, lwa, oidc} {
			e := newLifecycleClient(t)
			id := e.MustCreateAccount(typ, active, "Example.com")
			_, err := e.Chime.DeleteAccount(ctx, &awschime.DeleteAccountInput{AccountId: &id})
			wantException[*types.NotFoundException](t, err, types.ErrorCodeNotFound, "Unable to find the requested identifier")
			if _, err := e.Chime.GetAccount(ctx, &awschime.GetAccountInput{AccountId: &id}); err != nil {
				t.Fatalf("%s account after refused delete: %v", typ, err)
			}
			// Releasing the domains (console-only on the real service)
			// makes the account deletable.
			if st := e.control("PUT", "/_openchime/accounts/"+id+"/claimed-domains", map[string]any{"ClaimedDomains": []string{}}, nil); st != http.StatusOK {
				t.Fatalf("release domains: status %d", st)
			}
			if _, err := e.Chime.DeleteAccount(ctx, &awschime.DeleteAccountInput{AccountId: &id}); err != nil {
				t.Fatalf("delete %s after release: %v", typ, err)
			}
			mustGone(t, e, id)
		}
	})
	t.Run("OKEnterpriseWithoutClaimedDomains", func(t *testing.T) {
		e := newLifecycleClient(t)
		id := e.MustCreateAccount(directory, active)
		e.MustCreateUser(id, "a@example.com", openchime.Registered)
		if _, err := e.Chime.DeleteAccount(ctx, &awschime.DeleteAccountInput{AccountId: &id}); err != nil {
			t.Fatal(err)
		}
		mustGone(t, e, id)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		e := newLifecycleClient(t)
		id := e.MustCreateAccount(team, active)
		_, err := e.Chime.DeleteAccount(ctx, &awschime.DeleteAccountInput{AccountId: aws.String("nope")})
		wantException[*types.NotFoundException](t, err, types.ErrorCodeNotFound, "")
		_, err = e.clientFor("111122223333").DeleteAccount(ctx, &awschime.DeleteAccountInput{AccountId: &id})
		wantException[*types.NotFoundException](t, err, types.ErrorCodeNotFound, "")
	})
}

func TestControlPlane_ClaimedDomains(t *testing.T) {
	e := newLifecycleClient(t)
	t.Run("ErrTeamCannotClaim", func(t *testing.T) {
		st := e.control("POST", "/_openchime/accounts", map[string]any{"Name": "t", "ClaimedDomains": []string{"example.com"}}, nil)
		if st != http.StatusBadRequest {
			t.Errorf("Team account with a claimed domain: status %d, want 400", st)
		}
	})
	t.Run("ErrNotADomain", func(t *testing.T) {
		st := e.control("POST", "/_openchime/accounts", map[string]any{"Name": "t", "AccountType": "EnterpriseLWA", "ClaimedDomains": []string{"a@example.com"}}, nil)
		if st != http.StatusBadRequest {
			t.Errorf("claimed domain a@example.com: status %d, want 400", st)
		}
	})
	t.Run("ReleaseSuspendsTheDomainsUsers", func(t *testing.T) {
		id := e.MustCreateAccount(lwa, active, "example.com", "example.org")
		inDomain := e.MustCreateUser(id, "a@Example.com", openchime.Registered)
		other := e.MustCreateUser(id, "b@example.org", openchime.Registered)
		var out struct {
			Account struct{ ClaimedDomains []string }
		}
		if st := e.control("PUT", "/_openchime/accounts/"+id+"/claimed-domains", map[string]any{"ClaimedDomains": []string{"example.org"}}, &out); st != http.StatusOK {
			t.Fatalf("status %d", st)
		}
		if !cmp.Equal(out.Account.ClaimedDomains, []string{"example.org"}) {
			t.Errorf("ClaimedDomains=%v, want [example.org]", out.Account.ClaimedDomains)
		}
		if got := e.MustGetUser(id, inDomain).UserRegistrationStatus; got != types.RegistrationStatusSuspended {
			t.Errorf("user of the released domain: %s, want Suspended", got)
		}
		if got := e.MustGetUser(id, other).UserRegistrationStatus; got != types.RegistrationStatusRegistered {
			t.Errorf("user of a claimed domain: %s, want Registered", got)
		}
		if st := e.control("PUT", "/_openchime/accounts/"+id+"/claimed-domains", map[string]any{}, nil); st != http.StatusBadRequest {
			t.Errorf("no ClaimedDomains member: status %d, want 400", st)
		}
		if st := e.control("PUT", "/_openchime/accounts/nope/claimed-domains", map[string]any{"ClaimedDomains": []string{}}, nil); st != http.StatusNotFound {
			t.Errorf("unknown account: status %d, want 404", st)
		}
	})
}

func TestServer_AccountSettings(t *testing.T) {
	ctx := context.Background()
	get := func(t *testing.T, e *lifecycleEnv, id string) (bool, bool) {
		t.Helper()
		out, err := e.Chime.GetAccountSettings(ctx, &awschime.GetAccountSettingsInput{AccountId: &id})
		if err != nil {
			t.Fatal(err)
		}
		return *out.AccountSettings.DisableRemoteControl, *out.AccountSettings.EnableDialOut
	}
	t.Run("OKDefaultsAndPartialUpdates", func(t *testing.T) {
		e := newLifecycleClient(t)
		acct, err := e.Chime.CreateAccount(ctx, &awschime.CreateAccountInput{Name: aws.String("s")})
		if err != nil {
			t.Fatal(err)
		}
		id := *acct.Account.AccountId
		if drc, edo := get(t, e, id); drc || edo {
			t.Errorf("new account settings = %v/%v, want false/false (decision D12)", drc, edo)
		}
		_, err = e.Chime.UpdateAccountSettings(ctx, &awschime.UpdateAccountSettingsInput{AccountId: &id,
			AccountSettings: &types.AccountSettings{DisableRemoteControl: aws.Bool(true)}})
		if err != nil {
			t.Fatal(err)
		}
		if drc, edo := get(t, e, id); !drc || edo {
			t.Errorf("after DisableRemoteControl=true: %v/%v, want true/false", drc, edo)
		}
		_, err = e.Chime.UpdateAccountSettings(ctx, &awschime.UpdateAccountSettingsInput{AccountId: &id,
			AccountSettings: &types.AccountSettings{EnableDialOut: aws.Bool(true)}})
		if err != nil {
			t.Fatal(err)
		}
		if drc, edo := get(t, e, id); !drc || !edo {
			t.Errorf("after EnableDialOut=true: %v/%v, want true/true (unset fields keep their value)", drc, edo)
		}
		_, err = e.Chime.UpdateAccountSettings(ctx, &awschime.UpdateAccountSettingsInput{AccountId: &id,
			AccountSettings: &types.AccountSettings{DisableRemoteControl: aws.Bool(false), EnableDialOut: aws.Bool(false)}})
		if err != nil {
			t.Fatal(err)
		}
		if drc, edo := get(t, e, id); drc || edo {
			t.Errorf("after both false: %v/%v", drc, edo)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		e := newLifecycleClient(t)
		_, err := e.Chime.GetAccountSettings(ctx, &awschime.GetAccountSettingsInput{AccountId: aws.String("nope")})
		wantException[*types.NotFoundException](t, err, types.ErrorCodeNotFound, "")
		_, err = e.Chime.UpdateAccountSettings(ctx, &awschime.UpdateAccountSettingsInput{AccountId: aws.String("nope"), AccountSettings: &types.AccountSettings{}})
		wantException[*types.NotFoundException](t, err, types.ErrorCodeNotFound, "")
	})
}

func groupNames(t *testing.T, e *lifecycleEnv, id string) []string {
	t.Helper()
	out, err := e.Chime.GetAccount(context.Background(), &awschime.GetAccountInput{AccountId: &id})
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, g := range out.Account.SigninDelegateGroups {
		names = append(names, *g.GroupName)
	}
	return names
}

func delegateGroups(names ...string) []types.SigninDelegateGroup {
	out := make([]types.SigninDelegateGroup, len(names))
	for i, n := range names {
		out[i] = types.SigninDelegateGroup{GroupName: aws.String(n)}
	}
	return out
}

func TestServer_SigninDelegateGroups(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		for _, typ := range []openchime.AccountType{directory, oidc} {
			e := newLifecycleClient(t)
			id := e.MustCreateAccount(typ, active)
			_, err := e.Chime.AssociateSigninDelegateGroupsWithAccount(ctx, &awschime.AssociateSigninDelegateGroupsWithAccountInput{
				AccountId: &id, SigninDelegateGroups: delegateGroups("admins", "staff", "admins")})
			if err != nil {
				t.Fatalf("%s: %v", typ, err)
			}
			// Associating again is idempotent.
			_, err = e.Chime.AssociateSigninDelegateGroupsWithAccount(ctx, &awschime.AssociateSigninDelegateGroupsWithAccountInput{
				AccountId: &id, SigninDelegateGroups: delegateGroups("staff", "guests")})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := groupNames(t, e, id), []string{"admins", "staff", "guests"}; !cmp.Equal(got, want) {
				t.Errorf("%s groups = %v, want %v", typ, got, want)
			}
			// Names not associated are ignored.
			_, err = e.Chime.DisassociateSigninDelegateGroupsFromAccount(ctx, &awschime.DisassociateSigninDelegateGroupsFromAccountInput{
				AccountId: &id, GroupNames: []string{"staff", "never-there"}})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := groupNames(t, e, id), []string{"admins", "guests"}; !cmp.Equal(got, want) {
				t.Errorf("%s groups after disassociate = %v, want %v", typ, got, want)
			}
			_, err = e.Chime.DisassociateSigninDelegateGroupsFromAccount(ctx, &awschime.DisassociateSigninDelegateGroupsFromAccountInput{
				AccountId: &id, GroupNames: []string{"admins", "guests"}})
			if err != nil {
				t.Fatal(err)
			}
			if got := groupNames(t, e, id); len(got) != 0 {
				t.Errorf("%s groups after removing all = %v, want []", typ, got)
			}
		}
	})
	t.Run("ErrWrongAccountType", func(t *testing.T) {
		for _, typ := range []openchime.AccountType{team, lwa} {
			e := newLifecycleClient(t)
			id := e.MustCreateAccount(typ, active)
			_, err := e.Chime.AssociateSigninDelegateGroupsWithAccount(ctx, &awschime.AssociateSigninDelegateGroupsWithAccountInput{
				AccountId: &id, SigninDelegateGroups: delegateGroups("admins")})
			wantException[*types.ForbiddenException](t, err, types.ErrorCodeForbidden, string(typ))
			_, err = e.Chime.DisassociateSigninDelegateGroupsFromAccount(ctx, &awschime.DisassociateSigninDelegateGroupsFromAccountInput{
				AccountId: &id, GroupNames: []string{"admins"}})
			wantException[*types.ForbiddenException](t, err, types.ErrorCodeForbidden, string(typ))
		}
	})
	t.Run("ErrBadRequest", func(t *testing.T) {
		e := newLifecycleClient(t)
		id := e.MustCreateAccount(directory, active)
		_, err := e.Chime.AssociateSigninDelegateGroupsWithAccount(ctx, &awschime.AssociateSigninDelegateGroupsWithAccountInput{
			AccountId: &id, SigninDelegateGroups: []types.SigninDelegateGroup{{}}})
		wantException[*types.BadRequestException](t, err, types.ErrorCodeBadRequest, "GroupName")
		_, err = e.Chime.DisassociateSigninDelegateGroupsFromAccount(ctx, &awschime.DisassociateSigninDelegateGroupsFromAccountInput{
			AccountId: &id, GroupNames: []string{}})
		wantException[*types.BadRequestException](t, err, types.ErrorCodeBadRequest, "GroupNames")
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		e := newLifecycleClient(t)
		_, err := e.Chime.AssociateSigninDelegateGroupsWithAccount(ctx, &awschime.AssociateSigninDelegateGroupsWithAccountInput{
			AccountId: aws.String("nope"), SigninDelegateGroups: delegateGroups("admins")})
		wantException[*types.NotFoundException](t, err, types.ErrorCodeNotFound, "")
		_, err = e.Chime.DisassociateSigninDelegateGroupsFromAccount(ctx, &awschime.DisassociateSigninDelegateGroupsFromAccountInput{
			AccountId: aws.String("nope"), GroupNames: []string{"admins"}})
		wantException[*types.NotFoundException](t, err, types.ErrorCodeNotFound, "")
	})
}

func TestServer_InviteUsers(t *testing.T) {
	ctx := context.Background()
	invite := func(t *testing.T, e *lifecycleEnv, id string, emails ...string) []types.Invite {
		t.Helper()
		out, err := e.Chime.InviteUsers(ctx, &awschime.InviteUsersInput{AccountId: &id, UserEmailList: emails})
		if err != nil {
			t.Fatal(err)
		}
		return out.Invites
	}
	userByEmail := func(t *testing.T, e *lifecycleEnv, id, email string) *types.User {
		t.Helper()
		out, err := e.Chime.ListUsers(ctx, &awschime.ListUsersInput{AccountId: &id, UserEmail: &email})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Users) != 1 {
			t.Fatalf("ListUsers(%s) = %d users, want 1", email, len(out.Users))
		}
		return e.MustGetUser(id, *out.Users[0].UserId)
	}
	t.Run("OK", func(t *testing.T) {
		e := newLifecycleClient(t)
		id := e.MustCreateAccount(team, active)
		invites := invite(t, e, id, "ana@example.com", "bo@example.com", "ANA@example.com")
		if len(invites) != 2 {
			t.Fatalf("%d invites, want one per distinct address (2)", len(invites))
		}
		if *invites[0].InviteId == *invites[1].InviteId {
			t.Errorf("invites share the id %s", *invites[0].InviteId)
		}
		for i, want := range []string{"ana@example.com", "bo@example.com"} {
			inv := invites[i]
			if *inv.EmailAddress != want || inv.Status != types.InviteStatusPending || inv.EmailStatus != types.EmailStatusSent {
				t.Errorf("invite %d = %s %s/%s, want %s Pending/Sent", i, *inv.EmailAddress, inv.Status, inv.EmailStatus, want)
			}
			u := userByEmail(t, e, id, want)
			if u.UserRegistrationStatus != types.RegistrationStatusUnregistered || u.UserInvitationStatus != types.InviteStatusPending {
				t.Errorf("%s: %s/%s, want Unregistered/Pending", want, u.UserRegistrationStatus, u.UserInvitationStatus)
			}
			if u.InvitedOn == nil || !u.InvitedOn.Equal(e.Clock.Now()) || u.RegisteredOn != nil {
				t.Errorf("%s: InvitedOn=%v RegisteredOn=%v, want now and unset", want, u.InvitedOn, u.RegisteredOn)
			}
			if u.LicenseType != types.LicensePro || u.UserType != types.UserTypePrivateUser {
				t.Errorf("%s: %s/%s, want Pro/PrivateUser", want, u.LicenseType, u.UserType)
			}
		}
	})
	t.Run("OKSharedDevice", func(t *testing.T) {
		e := newLifecycleClient(t)
		id := e.MustCreateAccount(team, active)
		_, err := e.Chime.InviteUsers(ctx, &awschime.InviteUsersInput{AccountId: &id, UserEmailList: []string{"room@example.com"}, UserType: types.UserTypeSharedDevice})
		if err != nil {
			t.Fatal(err)
		}
		if got := userByEmail(t, e, id, "room@example.com").UserType; got != types.UserTypeSharedDevice {
			t.Errorf("UserType=%s, want SharedDevice", got)
		}
	})
	t.Run("AcceptThenReinviteFails", func(t *testing.T) {
		e := newLifecycleClient(t)
		id := e.MustCreateAccount(team, active)
		invite(t, e, id, "ana@example.com")
		u := userByEmail(t, e, id, "ana@example.com")
		e.Clock.Advance(time.Hour)
		var reg struct{ User cpUser }
		if st := e.control("POST", "/_openchime/accounts/"+id+"/users/"+*u.UserId+"/register", nil, &reg); st != http.StatusOK {
			t.Fatalf("register: status %d", st)
		}
		got := e.MustGetUser(id, *u.UserId)
		if got.UserRegistrationStatus != types.RegistrationStatusRegistered || got.UserInvitationStatus != types.InviteStatusAccepted {
			t.Errorf("after register: %s/%s, want Registered/Accepted", got.UserRegistrationStatus, got.UserInvitationStatus)
		}
		if got.RegisteredOn == nil || !got.RegisteredOn.Equal(e.Clock.Now()) {
			t.Errorf("RegisteredOn=%v, want %v", got.RegisteredOn, e.Clock.Now())
		}
		// Registering again is a silent no-op (decision D3).
		if st := e.control("POST", "/_openchime/accounts/"+id+"/users/"+*u.UserId+"/register", nil, nil); st != http.StatusOK {
			t.Errorf("second register: status %d, want 200", st)
		}
		invites := invite(t, e, id, "Ana@Example.com", "new@example.com")
		if invites[0].Status != types.InviteStatusFailed || invites[0].EmailStatus != types.EmailStatusNotSent {
			t.Errorf("invite of a registered member = %s/%s, want Failed/NotSent", invites[0].Status, invites[0].EmailStatus)
		}
		if invites[1].Status != types.InviteStatusPending {
			t.Errorf("invite of a new address in the same request = %s, want Pending", invites[1].Status)
		}
		list, _ := e.Chime.ListUsers(ctx, &awschime.ListUsersInput{AccountId: &id})
		if len(list.Users) != 2 {
			t.Errorf("%d users, want 2 (no duplicate of the member)", len(list.Users))
		}
		if got := e.MustGetUser(id, *u.UserId); got.UserRegistrationStatus != types.RegistrationStatusRegistered {
			t.Errorf("member after failed invite: %s, want Registered", got.UserRegistrationStatus)
		}
	})
	t.Run("ReinvitePendingResends", func(t *testing.T) {
		e := newLifecycleClient(t)
		id := e.MustCreateAccount(team, active)
		invite(t, e, id, "ana@example.com")
		first := userByEmail(t, e, id, "ana@example.com")
		e.Clock.Advance(time.Minute)
		invites := invite(t, e, id, "ana@example.com")
		if invites[0].Status != types.InviteStatusPending || invites[0].EmailStatus != types.EmailStatusSent {
			t.Errorf("re-invite of a pending address = %s/%s, want Pending/Sent", invites[0].Status, invites[0].EmailStatus)
		}
		again := userByEmail(t, e, id, "ana@example.com")
		if *again.UserId != *first.UserId || !again.InvitedOn.Equal(e.Clock.Now()) {
			t.Errorf("re-invite: user %s InvitedOn %v, want user %s InvitedOn %v", *again.UserId, again.InvitedOn, *first.UserId, e.Clock.Now())
		}
	})
	t.Run("RestoresRemovedUser", func(t *testing.T) {
		e := newLifecycleClient(t)
		id := e.MustCreateAccount(team, active)
		uid := e.MustCreateUser(id, "ana@example.com", openchime.Registered)
		if _, err := e.Chime.UpdateUser(ctx, &awschime.UpdateUserInput{AccountId: &id, UserId: &uid, LicenseType: types.LicenseBasic}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Chime.BatchSuspendUser(ctx, &awschime.BatchSuspendUserInput{AccountId: &id, UserIdList: []string{uid}}); err != nil {
			t.Fatal(err)
		}
		if cp := e.MustAdminUser(id, uid); cp.RemovedTimestamp == "" {
			t.Fatalf("removed user has no RemovedTimestamp")
		}
		invites := invite(t, e, id, "ANA@example.com")
		if invites[0].Status != types.InviteStatusPending {
			t.Errorf("invite of a removed user = %s, want Pending", invites[0].Status)
		}
		got := e.MustGetUser(id, uid)
		if got.UserRegistrationStatus != types.RegistrationStatusUnregistered || got.UserInvitationStatus != types.InviteStatusPending || got.RegisteredOn != nil {
			t.Errorf("restored user = %s/%s RegisteredOn %v, want Unregistered/Pending with no RegisteredOn", got.UserRegistrationStatus, got.UserInvitationStatus, got.RegisteredOn)
		}
		if got.LicenseType != types.LicensePro {
			t.Errorf("restored user licence = %s, want the account default Pro", got.LicenseType)
		}
		if cp := e.MustAdminUser(id, uid); cp.RemovedTimestamp != "" {
			t.Errorf("restored user still has RemovedTimestamp %s", cp.RemovedTimestamp)
		}
	})
	t.Run("ErrNotTeam", func(t *testing.T) {
		for _, typ := range []openchime.AccountType{directory, lwa, oidc} {
			e := newLifecycleClient(t)
			id := e.MustCreateAccount(typ, active)
			_, err := e.Chime.InviteUsers(ctx, &awschime.InviteUsersInput{AccountId: &id, UserEmailList: []string{"a@example.com"}})
			wantException[*types.ForbiddenException](t, err, types.ErrorCodeForbidden, string(typ))
		}
	})
	t.Run("ErrBadRequest", func(t *testing.T) {
		e := newLifecycleClient(t)
		id := e.MustCreateAccount(team, active)
		cases := map[string][]string{
			"empty":       {},
			"not email":   {"not-an-email"},
			"over 50":     make([]string, 51),
			"blank email": {" @example.com"},
		}
		for i := range cases["over 50"] {
			cases["over 50"][i] = fmt.Sprintf("u%d@example.com", i)
		}
		for name, list := range cases {
			_, err := e.Chime.InviteUsers(ctx, &awschime.InviteUsersInput{AccountId: &id, UserEmailList: list})
			if name == "blank email" {
				// " @example.com" matches the model's pattern; trimmed it
				// is not an address.
				wantException[*types.BadRequestException](t, err, types.ErrorCodeBadRequest, "not an email")
				continue
			}
			wantException[*types.BadRequestException](t, err, types.ErrorCodeBadRequest, "UserEmailList")
		}
		list, _ := e.Chime.ListUsers(ctx, &awschime.ListUsersInput{AccountId: &id})
		if len(list.Users) != 0 {
			t.Errorf("refused invites left %d users", len(list.Users))
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		e := newLifecycleClient(t)
		_, err := e.Chime.InviteUsers(ctx, &awschime.InviteUsersInput{AccountId: aws.String("nope"), UserEmailList: []string{"a@example.com"}})
		wantException[*types.NotFoundException](t, err, types.ErrorCodeNotFound, "")
	})
}

func TestControlPlane_RegisterUser(t *testing.T) {
	e := newLifecycleClient(t)
	id := e.MustCreateAccount(directory, active)
	uid := e.MustCreateUser(id, "a@example.com", openchime.Unregistered)
	var out struct{ User cpUser }
	if st := e.control("POST", "/_openchime/accounts/"+id+"/users/"+uid+"/register", nil, &out); st != http.StatusOK {
		t.Fatalf("status %d", st)
	}
	if out.User.UserRegistrationStatus != "Registered" || out.User.UserInvitationStatus != "" {
		t.Errorf("enterprise user after register = %s/%q, want Registered with no invitation", out.User.UserRegistrationStatus, out.User.UserInvitationStatus)
	}
	susp := e.MustCreateUser(id, "s@example.com", openchime.Suspended)
	e.control("POST", "/_openchime/accounts/"+id+"/users/"+susp+"/register", nil, &out)
	if out.User.UserRegistrationStatus != "Suspended" {
		t.Errorf("suspended user after register = %s, want Suspended (no transition)", out.User.UserRegistrationStatus)
	}
	if st := e.control("POST", "/_openchime/accounts/"+id+"/users/nope/register", nil, nil); st != http.StatusNotFound {
		t.Errorf("unknown user: status %d, want 404", st)
	}
	if st := e.control("GET", "/_openchime/accounts/"+id+"/users/nope", nil, nil); st != http.StatusNotFound {
		t.Errorf("GET unknown user: status %d, want 404", st)
	}
}

func TestServer_CreateUser(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		for _, typ := range []openchime.AccountType{directory, oidc} {
			e := newLifecycleClient(t)
			id := e.MustCreateAccount(typ, active)
			out, err := e.Chime.CreateUser(ctx, &awschime.CreateUserInput{AccountId: &id, Email: aws.String("room@example.com"),
				Username: aws.String("Room Device"), UserType: types.UserTypeSharedDevice})
			if err != nil {
				t.Fatalf("%s: %v", typ, err)
			}
			u := out.User
			if u.UserRegistrationStatus != types.RegistrationStatusRegistered || u.RegisteredOn == nil || *u.DisplayName != "Room Device" ||
				u.UserType != types.UserTypeSharedDevice || u.LicenseType != types.LicensePro || *u.PrimaryEmail != "room@example.com" {
				t.Errorf("%s CreateUser = %+v", typ, u)
			}
			if u.UserInvitationStatus != "" {
				t.Errorf("%s user has invitation status %s, want none", typ, u.UserInvitationStatus)
			}
			if got := e.MustGetUser(id, *u.UserId); *got.PrimaryEmail != "room@example.com" {
				t.Errorf("GetUser after create = %s", *got.PrimaryEmail)
			}
			plain, err := e.Chime.CreateUser(ctx, &awschime.CreateUserInput{AccountId: &id, Email: aws.String("p@example.com")})
			if err != nil {
				t.Fatal(err)
			}
			if plain.User.UserType != types.UserTypePrivateUser {
				t.Errorf("default UserType = %s, want PrivateUser", plain.User.UserType)
			}
		}
	})
	t.Run("ErrConflict", func(t *testing.T) {
		e := newLifecycleClient(t)
		id := e.MustCreateAccount(directory, active)
		if _, err := e.Chime.CreateUser(ctx, &awschime.CreateUserInput{AccountId: &id, Email: aws.String("a@example.com")}); err != nil {
			t.Fatal(err)
		}
		_, err := e.Chime.CreateUser(ctx, &awschime.CreateUserInput{AccountId: &id, Email: aws.String("A@Example.COM")})
		wantException[*types.ConflictException](t, err, types.ErrorCodeConflict, "already exists")
	})
	t.Run("ErrWrongAccountType", func(t *testing.T) {
		for _, typ := range []openchime.AccountType{team, lwa} {
			e := newLifecycleClient(t)
			id := e.MustCreateAccount(typ, active)
			_, err := e.Chime.CreateUser(ctx, &awschime.CreateUserInput{AccountId: &id, Email: aws.String("a@example.com")})
			wantException[*types.BadRequestException](t, err, types.ErrorCodeBadRequest, "Service received a bad request")
		}
	})
	t.Run("ErrBadRequest", func(t *testing.T) {
		e := newLifecycleClient(t)
		id := e.MustCreateAccount(directory, active)
		_, err := e.Chime.CreateUser(ctx, &awschime.CreateUserInput{AccountId: &id})
		wantException[*types.BadRequestException](t, err, types.ErrorCodeBadRequest, "Email is required")
		_, err = e.Chime.CreateUser(ctx, &awschime.CreateUserInput{AccountId: &id, Email: aws.String("nope")})
		wantException[*types.BadRequestException](t, err, types.ErrorCodeBadRequest, "Email")
		_, err = e.Chime.CreateUser(ctx, &awschime.CreateUserInput{AccountId: &id, Email: aws.String("a@example.com"), UserType: "Robot"})
		wantException[*types.BadRequestException](t, err, types.ErrorCodeBadRequest, "UserType")
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		e := newLifecycleClient(t)
		_, err := e.Chime.CreateUser(ctx, &awschime.CreateUserInput{AccountId: aws.String("nope"), Email: aws.String("a@example.com")})
		wantException[*types.NotFoundException](t, err, types.ErrorCodeNotFound, "")
	})
}

func TestServer_UpdateUser(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		e := newLifecycleClient(t)
		id := e.MustCreateAccount(team, active)
		uid := e.MustCreateUser(id, "a@example.com", openchime.Registered)
		out, err := e.Chime.UpdateUser(ctx, &awschime.UpdateUserInput{AccountId: &id, UserId: &uid, LicenseType: types.LicenseBasic,
			UserType:                 types.UserTypeSharedDevice,
			AlexaForBusinessMetadata: &types.AlexaForBusinessMetadata{IsAlexaForBusinessEnabled: aws.Bool(true), AlexaForBusinessRoomArn: aws.String("arn:aws:a4b:room/1")}})
		if err != nil {
			t.Fatal(err)
		}
		u := out.User
		if u.LicenseType != types.LicenseBasic || u.UserType != types.UserTypeSharedDevice || !*u.AlexaForBusinessMetadata.IsAlexaForBusinessEnabled ||
			*u.AlexaForBusinessMetadata.AlexaForBusinessRoomArn != "arn:aws:a4b:room/1" || *u.PrimaryEmail != "a@example.com" {
			t.Errorf("UpdateUser = %+v", u)
		}
		if got := e.MustGetUser(id, uid); got.LicenseType != types.LicenseBasic {
			t.Errorf("GetUser licence = %s, want Basic", got.LicenseType)
		}
		// An empty update changes nothing.
		out, err = e.Chime.UpdateUser(ctx, &awschime.UpdateUserInput{AccountId: &id, UserId: &uid})
		if err != nil || out.User.LicenseType != types.LicenseBasic {
			t.Errorf("empty UpdateUser = %v, %v", out, err)
		}
	})
	t.Run("ErrUnsupportedLicense", func(t *testing.T) {
		e := newLifecycleClient(t)
		id := e.MustCreateAccount(team, active)
		uid := e.MustCreateUser(id, "a@example.com", openchime.Registered)
		_, err := e.Chime.UpdateUser(ctx, &awschime.UpdateUserInput{AccountId: &id, UserId: &uid, LicenseType: types.LicensePlus, UserType: types.UserTypeSharedDevice})
		wantException[*types.BadRequestException](t, err, types.ErrorCodeBadRequest, "SupportedLicenses")
		if got := e.MustGetUser(id, uid); got.LicenseType != types.LicensePro || got.UserType != types.UserTypePrivateUser {
			t.Errorf("refused update changed the user: %s/%s", got.LicenseType, got.UserType)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		e := newLifecycleClient(t)
		id := e.MustCreateAccount(team, active)
		_, err := e.Chime.UpdateUser(ctx, &awschime.UpdateUserInput{AccountId: &id, UserId: aws.String("nope"), LicenseType: types.LicenseBasic})
		wantException[*types.NotFoundException](t, err, types.ErrorCodeNotFound, "nope")
		uid := e.MustCreateUser(id, "a@example.com", openchime.Registered)
		e.Chime.BatchSuspendUser(ctx, &awschime.BatchSuspendUserInput{AccountId: &id, UserIdList: []string{uid}})
		_, err = e.Chime.UpdateUser(ctx, &awschime.UpdateUserInput{AccountId: &id, UserId: &uid, LicenseType: types.LicenseBasic})
		wantException[*types.NotFoundException](t, err, types.ErrorCodeNotFound, "")
	})
}

func TestServer_BatchUpdateUser(t *testing.T) {
	ctx := context.Background()
	item := func(id string, l types.License) types.UpdateUserRequestItem {
		return types.UpdateUserRequestItem{UserId: aws.String(id), LicenseType: l}
	}
	t.Run("OK", func(t *testing.T) {
		e := newLifecycleClient(t)
		id := e.MustCreateAccount(team, active)
		u1 := e.MustCreateUser(id, "a@example.com", openchime.Registered)
		u2 := e.MustCreateUser(id, "b@example.com", openchime.Registered)
		out, err := e.Chime.BatchUpdateUser(ctx, &awschime.BatchUpdateUserInput{AccountId: &id,
			UpdateUserRequestItems: []types.UpdateUserRequestItem{item(u1, types.LicenseBasic), item(u2, types.LicenseBasic), item(u2, types.LicensePro)}})
		if err != nil {
			t.Fatal(err)
		}
		if out.UserErrors == nil || len(out.UserErrors) != 0 {
			t.Errorf("UserErrors=%v, want []", out.UserErrors)
		}
		if got := e.MustGetUser(id, u1).LicenseType; got != types.LicenseBasic {
			t.Errorf("u1 licence = %s, want Basic", got)
		}
		if got := e.MustGetUser(id, u2).LicenseType; got != types.LicensePro {
			t.Errorf("u2 licence = %s, want Pro (the last item wins)", got)
		}
	})
	t.Run("PerItemErrors", func(t *testing.T) {
		e := newLifecycleClient(t)
		id := e.MustCreateAccount(team, active)
		good := e.MustCreateUser(id, "a@example.com", openchime.Registered)
		bad := e.MustCreateUser(id, "b@example.com", openchime.Registered)
		bi := item(bad, types.LicensePlus)
		bi.UserType = types.UserTypeSharedDevice
		out, err := e.Chime.BatchUpdateUser(ctx, &awschime.BatchUpdateUserInput{AccountId: &id,
			UpdateUserRequestItems: []types.UpdateUserRequestItem{item("ghost", types.LicenseBasic), bi, item(good, types.LicenseBasic)}})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]types.ErrorCode{}
		for _, ue := range out.UserErrors {
			got[*ue.UserId] = ue.ErrorCode
			if ue.ErrorMessage == nil || *ue.ErrorMessage == "" {
				t.Errorf("UserError for %s has no message", *ue.UserId)
			}
		}
		if want := map[string]types.ErrorCode{"ghost": types.ErrorCodeNotFound, bad: types.ErrorCodeBadRequest}; !cmp.Equal(got, want) {
			t.Errorf("UserErrors = %v, want %v", got, want)
		}
		if u := e.MustGetUser(id, bad); u.LicenseType != types.LicensePro || u.UserType != types.UserTypePrivateUser {
			t.Errorf("failed item partly applied: %s/%s, want Pro/PrivateUser", u.LicenseType, u.UserType)
		}
		if u := e.MustGetUser(id, good); u.LicenseType != types.LicenseBasic {
			t.Errorf("good item not applied: %s", u.LicenseType)
		}
	})
	t.Run("ErrBadRequest", func(t *testing.T) {
		e := newLifecycleClient(t)
		id := e.MustCreateAccount(team, active)
		uid := e.MustCreateUser(id, "a@example.com", openchime.Registered)
		many := make([]types.UpdateUserRequestItem, 21)
		for i := range many {
			many[i] = item(uid, types.LicenseBasic)
		}
		_, err := e.Chime.BatchUpdateUser(ctx, &awschime.BatchUpdateUserInput{AccountId: &id, UpdateUserRequestItems: many})
		wantException[*types.BadRequestException](t, err, types.ErrorCodeBadRequest, "UpdateUserRequestItems")
		_, err = e.Chime.BatchUpdateUser(ctx, &awschime.BatchUpdateUserInput{AccountId: &id, UpdateUserRequestItems: []types.UpdateUserRequestItem{}})
		wantException[*types.BadRequestException](t, err, types.ErrorCodeBadRequest, "UpdateUserRequestItems")
		if got := e.MustGetUser(id, uid).LicenseType; got != types.LicensePro {
			t.Errorf("refused batch changed the user: %s", got)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		e := newLifecycleClient(t)
		_, err := e.Chime.BatchUpdateUser(ctx, &awschime.BatchUpdateUserInput{AccountId: aws.String("nope"),
			UpdateUserRequestItems: []types.UpdateUserRequestItem{item("u", types.LicenseBasic)}})
		wantException[*types.NotFoundException](t, err, types.ErrorCodeNotFound, "")
	})
}

func TestServer_LogoutUser(t *testing.T) {
	ctx := context.Background()
	e := newLifecycleClient(t)
	id := e.MustCreateAccount(lwa, active)
	uid := e.MustCreateUser(id, "a@example.com", openchime.Registered)
	t.Run("OK", func(t *testing.T) {
		if cp := e.MustAdminUser(id, uid); cp.LastLogoutTimestamp != "" {
			t.Fatalf("LastLogoutTimestamp before logout = %s", cp.LastLogoutTimestamp)
		}
		e.Clock.Advance(time.Minute)
		if _, err := e.Chime.LogoutUser(ctx, &awschime.LogoutUserInput{AccountId: &id, UserId: &uid}); err != nil {
			t.Fatal(err)
		}
		if cp := e.MustAdminUser(id, uid); cp.LastLogoutTimestamp != "2030-01-02T03:05:05.000Z" {
			t.Errorf("LastLogoutTimestamp = %q, want the clock's time", cp.LastLogoutTimestamp)
		}
		if got := e.MustGetUser(id, uid); got.UserRegistrationStatus != types.RegistrationStatusRegistered {
			t.Errorf("logout changed the status to %s", got.UserRegistrationStatus)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := e.Chime.LogoutUser(ctx, &awschime.LogoutUserInput{AccountId: &id, UserId: aws.String("nope")})
		wantException[*types.NotFoundException](t, err, types.ErrorCodeNotFound, "nope")
		_, err = e.Chime.LogoutUser(ctx, &awschime.LogoutUserInput{AccountId: aws.String("nope"), UserId: &uid})
		wantException[*types.NotFoundException](t, err, types.ErrorCodeNotFound, "")
	})
}

// repeatingIDs hands out the same digits a few times before real ones, to
// show that ResetPersonalPIN never returns the old PIN.
type repeatingIDs struct {
	openchime.IDGen
	same  string
	times int
}

func (r *repeatingIDs) Digits(n int) string {
	if r.times > 0 {
		r.times--
		return r.same
	}
	return r.IDGen.Digits(n)
}

func TestServer_ResetPersonalPIN(t *testing.T) {
	ctx := context.Background()
	tenDigits := regexp.MustCompile(`^\d{10}$`)
	t.Run("OK", func(t *testing.T) {
		e := newLifecycleClient(t)
		id := e.MustCreateAccount(team, active)
		uid := e.MustCreateUser(id, "a@example.com", openchime.Registered)
		old := *e.MustGetUser(id, uid).PersonalPIN
		e.Svc.IDs = &repeatingIDs{IDGen: e.Svc.IDs, same: old, times: 3}
		out, err := e.Chime.ResetPersonalPIN(ctx, &awschime.ResetPersonalPINInput{AccountId: &id, UserId: &uid})
		if err != nil {
			t.Fatal(err)
		}
		pin := *out.User.PersonalPIN
		if !tenDigits.MatchString(pin) || pin == old {
			t.Errorf("new PIN %q, want 10 digits other than %q", pin, old)
		}
		if got := *e.MustGetUser(id, uid).PersonalPIN; got != pin {
			t.Errorf("GetUser PIN = %s, want %s", got, pin)
		}
	})
	t.Run("Reproducible", func(t *testing.T) {
		pins := make([]string, 2)
		for i := range pins {
			e := newLifecycleClient(t) // the same seed each time
			id := e.MustCreateAccount(team, active)
			uid := e.MustCreateUser(id, "a@example.com", openchime.Registered)
			out, err := e.Chime.ResetPersonalPIN(ctx, &awschime.ResetPersonalPINInput{AccountId: &id, UserId: &uid})
			if err != nil {
				t.Fatal(err)
			}
			pins[i] = *out.User.PersonalPIN
		}
		if pins[0] != pins[1] {
			t.Errorf("PINs with the same seed differ: %v", pins)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		e := newLifecycleClient(t)
		id := e.MustCreateAccount(team, active)
		_, err := e.Chime.ResetPersonalPIN(ctx, &awschime.ResetPersonalPINInput{AccountId: &id, UserId: aws.String("nope")})
		wantException[*types.NotFoundException](t, err, types.ErrorCodeNotFound, "nope")
	})
}

func TestServer_UserSettings(t *testing.T) {
	ctx := context.Background()
	e := newLifecycleClient(t)
	id := e.MustCreateAccount(team, active)
	uid := e.MustCreateUser(id, "a@example.com", openchime.Registered)
	get := func(t *testing.T) types.TelephonySettings {
		t.Helper()
		out, err := e.Chime.GetUserSettings(ctx, &awschime.GetUserSettingsInput{AccountId: &id, UserId: &uid})
		if err != nil {
			t.Fatal(err)
		}
		return *out.UserSettings.Telephony
	}
	t.Run("OK", func(t *testing.T) {
		if got := get(t); !*got.InboundCalling || !*got.OutboundCalling || !*got.SMS {
			t.Errorf("default telephony = %v/%v/%v, want true/true/true", *got.InboundCalling, *got.OutboundCalling, *got.SMS)
		}
		_, err := e.Chime.UpdateUserSettings(ctx, &awschime.UpdateUserSettingsInput{AccountId: &id, UserId: &uid,
			UserSettings: &types.UserSettings{Telephony: &types.TelephonySettings{InboundCalling: aws.Bool(false), OutboundCalling: aws.Bool(true), SMS: aws.Bool(false)}}})
		if err != nil {
			t.Fatal(err)
		}
		if got := get(t); *got.InboundCalling || !*got.OutboundCalling || *got.SMS {
			t.Errorf("telephony = %v/%v/%v, want false/true/false", *got.InboundCalling, *got.OutboundCalling, *got.SMS)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := e.Chime.GetUserSettings(ctx, &awschime.GetUserSettingsInput{AccountId: &id, UserId: aws.String("nope")})
		wantException[*types.NotFoundException](t, err, types.ErrorCodeNotFound, "nope")
		_, err = e.Chime.UpdateUserSettings(ctx, &awschime.UpdateUserSettingsInput{AccountId: &id, UserId: aws.String("nope"),
			UserSettings: &types.UserSettings{Telephony: &types.TelephonySettings{InboundCalling: aws.Bool(true), OutboundCalling: aws.Bool(true), SMS: aws.Bool(true)}}})
		wantException[*types.NotFoundException](t, err, types.ErrorCodeNotFound, "nope")
		_, err = e.Chime.GetUserSettings(ctx, &awschime.GetUserSettingsInput{AccountId: aws.String("nope"), UserId: &uid})
		wantException[*types.NotFoundException](t, err, types.ErrorCodeNotFound, "")
	})
}

// TestServer_SuspendedAccount pins decision D11: a suspended account answers
// every lifecycle write with ForbiddenException and still serves reads.
func TestServer_SuspendedAccount(t *testing.T) {
	ctx := context.Background()
	e := newLifecycleClient(t)
	teamID := e.MustCreateAccount(team, suspended)
	dirID := e.MustCreateAccount(directory, suspended)
	uid := e.MustCreateUser(teamID, "a@example.com", openchime.Registered)
	telephony := &types.UserSettings{Telephony: &types.TelephonySettings{InboundCalling: aws.Bool(false), OutboundCalling: aws.Bool(false), SMS: aws.Bool(false)}}
	writes := map[string]func() error{
		"UpdateAccount": func() error {
			_, err := e.Chime.UpdateAccount(ctx, &awschime.UpdateAccountInput{AccountId: &teamID, Name: aws.String("x")})
			return err
		},
		"DeleteAccount": func() error {
			_, err := e.Chime.DeleteAccount(ctx, &awschime.DeleteAccountInput{AccountId: &dirID})
			return err
		},
		"UpdateAccountSettings": func() error {
			_, err := e.Chime.UpdateAccountSettings(ctx, &awschime.UpdateAccountSettingsInput{AccountId: &teamID, AccountSettings: &types.AccountSettings{EnableDialOut: aws.Bool(true)}})
			return err
		},
		"AssociateSigninDelegateGroupsWithAccount": func() error {
			_, err := e.Chime.AssociateSigninDelegateGroupsWithAccount(ctx, &awschime.AssociateSigninDelegateGroupsWithAccountInput{AccountId: &dirID, SigninDelegateGroups: delegateGroups("g")})
			return err
		},
		"DisassociateSigninDelegateGroupsFromAccount": func() error {
			_, err := e.Chime.DisassociateSigninDelegateGroupsFromAccount(ctx, &awschime.DisassociateSigninDelegateGroupsFromAccountInput{AccountId: &dirID, GroupNames: []string{"g"}})
			return err
		},
		"InviteUsers": func() error {
			_, err := e.Chime.InviteUsers(ctx, &awschime.InviteUsersInput{AccountId: &teamID, UserEmailList: []string{"n@example.com"}})
			return err
		},
		"CreateUser": func() error {
			_, err := e.Chime.CreateUser(ctx, &awschime.CreateUserInput{AccountId: &dirID, Email: aws.String("n@example.com")})
			return err
		},
		"UpdateUser": func() error {
			_, err := e.Chime.UpdateUser(ctx, &awschime.UpdateUserInput{AccountId: &teamID, UserId: &uid, LicenseType: types.LicenseBasic})
			return err
		},
		"BatchUpdateUser": func() error {
			_, err := e.Chime.BatchUpdateUser(ctx, &awschime.BatchUpdateUserInput{AccountId: &teamID,
				UpdateUserRequestItems: []types.UpdateUserRequestItem{{UserId: &uid, LicenseType: types.LicenseBasic}}})
			return err
		},
		"LogoutUser": func() error {
			_, err := e.Chime.LogoutUser(ctx, &awschime.LogoutUserInput{AccountId: &teamID, UserId: &uid})
			return err
		},
		"ResetPersonalPIN": func() error {
			_, err := e.Chime.ResetPersonalPIN(ctx, &awschime.ResetPersonalPINInput{AccountId: &teamID, UserId: &uid})
			return err
		},
		"UpdateUserSettings": func() error {
			_, err := e.Chime.UpdateUserSettings(ctx, &awschime.UpdateUserSettingsInput{AccountId: &teamID, UserId: &uid, UserSettings: telephony})
			return err
		},
	}
	before := e.MustAdminUser(teamID, uid)
	for name, call := range writes {
		t.Run(name, func(t *testing.T) {
			wantException[*types.ForbiddenException](t, call(), types.ErrorCodeForbidden, "suspended")
		})
	}
	if after := e.MustAdminUser(teamID, uid); after != before {
		t.Errorf("refused writes changed the user: %+v, was %+v", after, before)
	}
	t.Run("ReadsWork", func(t *testing.T) {
		if _, err := e.Chime.GetAccountSettings(ctx, &awschime.GetAccountSettingsInput{AccountId: &teamID}); err != nil {
			t.Error(err)
		}
		if _, err := e.Chime.GetUserSettings(ctx, &awschime.GetUserSettingsInput{AccountId: &teamID, UserId: &uid}); err != nil {
			t.Error(err)
		}
		e.MustGetUser(teamID, uid)
	})
}
