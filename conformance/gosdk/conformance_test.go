// Package gosdk runs the OpenChime conformance scenarios (conformance/SCENARIOS.md)
// through the AWS SDK for Go v2 against a running server.
//
// It talks to the server named by OPENCHIME_ENDPOINT and skips when that is
// unset, so a plain `go test ./...` passes; .ci/conformance.sh starts a server
// and sets it. With OPENCHIME_RESULTS set, one JSON line per scenario is
// appended to that file for the cross-client table.
package gosdk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awschime "github.com/aws/aws-sdk-go-v2/service/chime"
	"github.com/aws/aws-sdk-go-v2/service/chime/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

const (
	clientName = "gosdk"
	// awsAccountID is both the access key and the tenancy with --auth none:
	// OpenChime takes the caller's AWS account from a 12-digit access key id.
	// With --auth sigv4 the server's credentials file maps
	// OPENCHIME_ACCESS_KEY_ID to it.
	awsAccountID = "123456789012"
	unknownID    = "00000000-0000-4000-8000-000000000000"
	// areaCode is this client's own: the five clients run side by side
	// against one server, and a number is held by one AWS account only.
	areaCode    = "206"
	callingName = "Conformance"
)

// sigv4Scenarios are the scenarios the SigV4 pass (OPENCHIME_PASS=sigv4)
// repeats, signed for real and reported as sigv4.<name>, plus
// sigv4.wrong_secret. The list is the same in every client.
var sigv4Scenarios = []string{"lwa.seed", "lwa.suspend", "lwa.unsuspend_mixed", "lwa.list_paginated", "error.not_found",
	"phone.search", "phone.order"}

// suite holds the state the scenarios hand to one another, in order.
type suite struct {
	ctx      context.Context
	endpoint string
	c        *awschime.Client
	tag      string

	teamID          string
	aliceID, bobID  string
	aliceEmail, bob string
	lwaID           string
	lwaUsers        []string

	accessKey, secret, adminToken string
	found                         []string // the numbers phone.search offered
	number                        string   // the number phone.order acquired
	phoneAccount, phoneUser       string
	collab                        collab // the collab.* scenarios (collab_test.go)
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// newClient is a Chime client signing with the access key and secret.
func newClient(endpoint, accessKey, secret string) *awschime.Client {
	return awschime.New(awschime.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(endpoint),
		Credentials:      credentials.NewStaticCredentialsProvider(accessKey, secret, ""),
		RetryMaxAttempts: 1,
	})
}

func TestConformance_Scenarios(t *testing.T) {
	endpoint := os.Getenv("OPENCHIME_ENDPOINT")
	if endpoint == "" {
		t.Skip("OPENCHIME_ENDPOINT is unset: these scenarios need a running server; .ci/conformance.sh starts one and sets it")
	}
	// The first line of output names the client, for the CI log.
	fmt.Println("gosdk: aws-sdk-go-v2 service/chime, API", awschime.ServiceAPIVersion)
	var results *os.File
	if p := os.Getenv("OPENCHIME_RESULTS"); p != "" {
		f, err := os.OpenFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		results = f
	}
	s := &suite{
		ctx:        context.Background(),
		endpoint:   strings.TrimRight(endpoint, "/"),
		tag:        fmt.Sprintf("%s%d", clientName, time.Now().UnixNano()%1e9),
		accessKey:  envOr("OPENCHIME_ACCESS_KEY_ID", awsAccountID),
		secret:     envOr("OPENCHIME_SECRET_ACCESS_KEY", "conformance-secret"),
		adminToken: os.Getenv("OPENCHIME_ADMIN_TOKEN"),
	}
	s.c = newClient(endpoint, s.accessKey, s.secret)
	s.aliceEmail = "alice." + s.tag + "@example.com"
	s.bob = "bob." + s.tag + "@example.com"

	type scenario struct {
		name string
		fn   func() error
	}
	all := []scenario{
		{"team.create", s.teamCreate},
		{"team.invite", s.teamInvite},
		{"team.invited_user", s.teamInvitedUser},
		{"team.register", s.teamRegister},
		{"team.update_user", s.teamUpdateUser},
		{"team.update_account", s.teamUpdateAccount},
		{"team.update_account_bad_license", s.teamUpdateAccountBadLicense},
		{"team.invite_active_failed", s.teamInviteActiveFailed},
		{"team.delete_unprocessable", s.teamDeleteUnprocessable},
		{"team.remove", s.teamRemove},
		{"team.reinvite", s.teamReinvite},
		{"team.delete", s.teamDelete},
		{"lwa.seed", s.lwaSeed},
		{"lwa.suspend", s.lwaSuspend},
		{"lwa.unsuspend_mixed", s.lwaUnsuspendMixed},
		{"lwa.list_paginated", s.lwaListPaginated},
		{"lwa.user_errors_partial", s.lwaUserErrorsPartial},
		{"lwa.invite_forbidden", s.lwaInviteForbidden},
		{"error.not_found", s.errNotFound},
		{"error.bad_request", s.errBadRequest},
		{"error.conflict", s.errConflict},
		{"error.forbidden_suspended", s.errForbiddenSuspended},
		{"phone.search", s.phoneSearch},
		{"phone.order", s.phoneOrder},
		{"phone.order_toll_free", s.phoneOrderTollFree},
		{"phone.assign", s.phoneAssign},
		{"phone.delete_assigned", s.phoneDeleteAssigned},
		{"phone.calling_name", s.phoneCallingName},
		{"phone.unassign", s.phoneUnassign},
		{"phone.delete", s.phoneDelete},
		{"phone.restore", s.phoneRestore},
		{"collab.bot", s.collabBot},
		{"collab.room", s.collabRoom},
		{"collab.membership", s.collabMembership},
		{"collab.batch_partial", s.collabBatchPartial},
		{"collab.retention", s.collabRetention},
		{"collab.redaction", s.collabRedaction},
		{"collab.team_forbidden", s.collabTeamForbidden},
		{"collab.cleanup", s.collabCleanup},
	}
	run := all
	if os.Getenv("OPENCHIME_PASS") == "sigv4" {
		run = nil
		for _, name := range sigv4Scenarios {
			i := slices.IndexFunc(all, func(sc scenario) bool { return sc.name == name })
			if i < 0 {
				t.Fatalf("sigv4Scenarios names %s, which is not a scenario", name)
			}
			run = append(run, scenario{"sigv4." + name, all[i].fn})
		}
		run = append(run, scenario{"sigv4.wrong_secret", s.sigv4WrongSecret})
	}
	for _, sc := range run {
		var failure error
		t.Run(sc.name, func(t *testing.T) {
			if failure = sc.fn(); failure != nil {
				t.Error(failure)
			}
		})
		if results != nil {
			line := map[string]any{"client": clientName, "scenario": sc.name, "ok": failure == nil}
			if failure != nil {
				line["detail"] = failure.Error()
			}
			b, _ := json.Marshal(line)
			results.Write(append(b, '\n'))
		}
	}
}

// apiError reads a failed call the way a Go caller would: the typed
// exception, its Code member and its message.
func apiError(err error) (shape, code, msg string) {
	var (
		nf  *types.NotFoundException
		br  *types.BadRequestException
		fb  *types.ForbiddenException
		ue  *types.UnprocessableEntityException
		cf  *types.ConflictException
		uc  *types.UnauthorizedClientException
		api smithy.APIError
	)
	switch {
	case errors.As(err, &nf):
		return "NotFoundException", string(nf.Code), nf.ErrorMessage()
	case errors.As(err, &br):
		return "BadRequestException", string(br.Code), br.ErrorMessage()
	case errors.As(err, &fb):
		return "ForbiddenException", string(fb.Code), fb.ErrorMessage()
	case errors.As(err, &ue):
		return "UnprocessableEntityException", string(ue.Code), ue.ErrorMessage()
	case errors.As(err, &cf):
		return "ConflictException", string(cf.Code), cf.ErrorMessage()
	case errors.As(err, &uc):
		return "UnauthorizedClientException", string(uc.Code), uc.ErrorMessage()
	case errors.As(err, &api):
		return "untyped " + api.ErrorCode(), "", api.ErrorMessage()
	}
	return "non-API error", "", err.Error()
}

// wantError checks that err is the typed exception shape with body Code code
// and a message a person can read.
func wantError(err error, shape, code string) error {
	if err == nil {
		return fmt.Errorf("call succeeded, want %s", shape)
	}
	gotShape, gotCode, msg := apiError(err)
	if gotShape != shape || gotCode != code || msg == "" {
		return fmt.Errorf("got %s Code=%q Message=%q, want %s Code=%q and a message (%v)", gotShape, gotCode, msg, shape, code, err)
	}
	return nil
}

// controlAccount creates an account in the test's AWS account through the
// control plane, named conf-<tag>-<name> so that runs side by side never
// collide, with any extra fields of the request (AccountStatus, ...), and
// returns its id.
func (s *suite) controlAccount(name, accountType string, extra map[string]any) (string, error) {
	body := map[string]any{"Name": "conf-" + s.tag + "-" + name, "AccountType": accountType, "AwsAccountId": awsAccountID}
	maps.Copy(body, extra)
	var acc struct{ Account struct{ AccountId string } }
	if err := s.control("/_openchime/accounts", body, &acc); err != nil {
		return "", err
	}
	return acc.Account.AccountId, nil
}

// control calls the OpenChime control plane (plain JSON over HTTP).
func (s *suite) control(path string, body any, out any) error {
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, s.endpoint+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if s.adminToken != "" {
		req.Header.Set("Authorization", "Bearer "+s.adminToken)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		var e struct{ Code, Message string }
		json.NewDecoder(resp.Body).Decode(&e)
		return fmt.Errorf("control plane %s: HTTP %d %s: %s", path, resp.StatusCode, e.Code, e.Message)
	}
	if out != nil {
		return json.NewDecoder(resp.Body).Decode(out)
	}
	return nil
}

func (s *suite) need(ids ...string) error {
	for _, id := range ids {
		if id == "" {
			return errors.New("skipped: an earlier scenario did not produce the state this one needs")
		}
	}
	return nil
}

func (s *suite) teamCreate() error {
	out, err := s.c.CreateAccount(s.ctx, &awschime.CreateAccountInput{Name: aws.String("conf-" + s.tag + "-team")})
	if err != nil {
		return err
	}
	a := out.Account
	if a == nil || aws.ToString(a.AccountId) == "" {
		return errors.New("CreateAccount returned no AccountId")
	}
	if a.AccountType != types.AccountTypeTeam || a.AccountStatus != types.AccountStatusActive || a.DefaultLicense != types.LicensePro ||
		!slices.Equal(a.SupportedLicenses, []types.License{types.LicenseBasic, types.LicensePro}) ||
		aws.ToString(a.AwsAccountId) != awsAccountID || a.CreatedTimestamp == nil {
		return fmt.Errorf("new Team account = %+v, want Team/Active/Pro/[Basic Pro], AwsAccountId %s, CreatedTimestamp", *a, awsAccountID)
	}
	got, err := s.c.GetAccount(s.ctx, &awschime.GetAccountInput{AccountId: a.AccountId})
	if err != nil {
		return err
	}
	if aws.ToString(got.Account.Name) != aws.ToString(a.Name) {
		return fmt.Errorf("GetAccount Name = %q, want %q", aws.ToString(got.Account.Name), aws.ToString(a.Name))
	}
	s.teamID = aws.ToString(a.AccountId)
	return nil
}

func (s *suite) teamInvite() error {
	if err := s.need(s.teamID); err != nil {
		return err
	}
	out, err := s.c.InviteUsers(s.ctx, &awschime.InviteUsersInput{
		AccountId: &s.teamID, UserEmailList: []string{s.aliceEmail, s.bob, s.aliceEmail},
	})
	if err != nil {
		return err
	}
	if len(out.Invites) != 2 {
		return fmt.Errorf("got %d invites for 2 distinct addresses (one listed twice), want 2", len(out.Invites))
	}
	var emails []string
	for _, inv := range out.Invites {
		emails = append(emails, aws.ToString(inv.EmailAddress))
		if inv.Status != types.InviteStatusPending || inv.EmailStatus != types.EmailStatusSent || aws.ToString(inv.InviteId) == "" {
			return fmt.Errorf("invite for %s = %s/%s/%q, want Pending/Sent/an InviteId",
				aws.ToString(inv.EmailAddress), inv.Status, inv.EmailStatus, aws.ToString(inv.InviteId))
		}
	}
	want := []string{s.aliceEmail, s.bob}
	slices.Sort(emails)
	slices.Sort(want)
	if !slices.Equal(emails, want) {
		return fmt.Errorf("invites for %v, want one each for %v", emails, want)
	}
	return nil
}

// userByEmail finds the one visible user of account with the address.
func (s *suite) userByEmail(account, email string) (*types.User, error) {
	out, err := s.c.ListUsers(s.ctx, &awschime.ListUsersInput{AccountId: &account, UserEmail: &email})
	if err != nil {
		return nil, err
	}
	if len(out.Users) != 1 {
		return nil, fmt.Errorf("ListUsers user-email=%s returned %d users, want 1", email, len(out.Users))
	}
	return &out.Users[0], nil
}

func (s *suite) teamInvitedUser() error {
	if err := s.need(s.teamID); err != nil {
		return err
	}
	for _, email := range []string{s.aliceEmail, s.bob} {
		u, err := s.userByEmail(s.teamID, email)
		if err != nil {
			return err
		}
		if u.UserRegistrationStatus != types.RegistrationStatusUnregistered || u.UserInvitationStatus != types.InviteStatusPending {
			return fmt.Errorf("invited user %s is %s/%s, want Unregistered/Pending", email, u.UserRegistrationStatus, u.UserInvitationStatus)
		}
		if email == s.aliceEmail {
			s.aliceID = aws.ToString(u.UserId)
		} else {
			s.bobID = aws.ToString(u.UserId)
		}
	}
	return nil
}

func (s *suite) teamRegister() error {
	if err := s.need(s.teamID, s.aliceID); err != nil {
		return err
	}
	if err := s.control("/_openchime/accounts/"+s.teamID+"/users/"+s.aliceID+"/register", struct{}{}, nil); err != nil {
		return err
	}
	out, err := s.c.GetUser(s.ctx, &awschime.GetUserInput{AccountId: &s.teamID, UserId: &s.aliceID})
	if err != nil {
		return err
	}
	u := out.User
	if u.UserRegistrationStatus != types.RegistrationStatusRegistered || u.UserInvitationStatus != types.InviteStatusAccepted || u.RegisteredOn == nil {
		return fmt.Errorf("registered user is %s/%s RegisteredOn=%v, want Registered/Accepted with RegisteredOn", u.UserRegistrationStatus, u.UserInvitationStatus, u.RegisteredOn)
	}
	return nil
}

func (s *suite) teamUpdateUser() error {
	if err := s.need(s.teamID, s.aliceID); err != nil {
		return err
	}
	out, err := s.c.UpdateUser(s.ctx, &awschime.UpdateUserInput{AccountId: &s.teamID, UserId: &s.aliceID, LicenseType: types.LicenseBasic})
	if err != nil {
		return err
	}
	if out.User == nil || out.User.LicenseType != types.LicenseBasic {
		return fmt.Errorf("UpdateUser returned %+v, want LicenseType Basic", out.User)
	}
	got, err := s.c.GetUser(s.ctx, &awschime.GetUserInput{AccountId: &s.teamID, UserId: &s.aliceID})
	if err != nil {
		return err
	}
	if got.User.LicenseType != types.LicenseBasic {
		return fmt.Errorf("GetUser after UpdateUser: LicenseType %s, want Basic", got.User.LicenseType)
	}
	return nil
}

func (s *suite) teamUpdateAccount() error {
	if err := s.need(s.teamID); err != nil {
		return err
	}
	name := "conf-" + s.tag + "-renamed"
	out, err := s.c.UpdateAccount(s.ctx, &awschime.UpdateAccountInput{AccountId: &s.teamID, Name: &name, DefaultLicense: types.LicenseBasic})
	if err != nil {
		return err
	}
	if out.Account == nil || aws.ToString(out.Account.Name) != name || out.Account.DefaultLicense != types.LicenseBasic {
		return fmt.Errorf("UpdateAccount returned %+v, want Name %s and DefaultLicense Basic", out.Account, name)
	}
	got, err := s.c.GetAccount(s.ctx, &awschime.GetAccountInput{AccountId: &s.teamID})
	if err != nil {
		return err
	}
	if aws.ToString(got.Account.Name) != name {
		return fmt.Errorf("GetAccount after UpdateAccount: Name %q, want %q", aws.ToString(got.Account.Name), name)
	}
	return nil
}

func (s *suite) teamUpdateAccountBadLicense() error {
	if err := s.need(s.teamID); err != nil {
		return err
	}
	_, err := s.c.UpdateAccount(s.ctx, &awschime.UpdateAccountInput{AccountId: &s.teamID, DefaultLicense: types.LicensePlus})
	return wantError(err, "BadRequestException", "BadRequest")
}

func (s *suite) teamInviteActiveFailed() error {
	if err := s.need(s.teamID); err != nil {
		return err
	}
	out, err := s.c.InviteUsers(s.ctx, &awschime.InviteUsersInput{AccountId: &s.teamID, UserEmailList: []string{s.aliceEmail}})
	if err != nil {
		return err
	}
	if len(out.Invites) != 1 || out.Invites[0].Status != types.InviteStatusFailed {
		return fmt.Errorf("inviting an active user gave %+v, want one Invite with Status Failed", out.Invites)
	}
	return nil
}

func (s *suite) teamDeleteUnprocessable() error {
	if err := s.need(s.teamID); err != nil {
		return err
	}
	_, err := s.c.DeleteAccount(s.ctx, &awschime.DeleteAccountInput{AccountId: &s.teamID})
	if err := wantError(err, "UnprocessableEntityException", "Unprocessable"); err != nil {
		return err
	}
	_, err = s.c.GetAccount(s.ctx, &awschime.GetAccountInput{AccountId: &s.teamID})
	return err
}

func (s *suite) teamRemove() error {
	if err := s.need(s.teamID, s.aliceID); err != nil {
		return err
	}
	out, err := s.c.BatchSuspendUser(s.ctx, &awschime.BatchSuspendUserInput{AccountId: &s.teamID, UserIdList: []string{s.aliceID}})
	if err != nil {
		return err
	}
	if out.UserErrors == nil || len(out.UserErrors) != 0 {
		return fmt.Errorf("UserErrors = %+v, want []", out.UserErrors)
	}
	_, err = s.c.GetUser(s.ctx, &awschime.GetUserInput{AccountId: &s.teamID, UserId: &s.aliceID})
	if err := wantError(err, "NotFoundException", "NotFound"); err != nil {
		return fmt.Errorf("GetUser of a removed Team user: %w", err)
	}
	list, err := s.c.ListUsers(s.ctx, &awschime.ListUsersInput{AccountId: &s.teamID})
	if err != nil {
		return err
	}
	for _, u := range list.Users {
		if aws.ToString(u.UserId) == s.aliceID {
			return errors.New("ListUsers still lists the removed user")
		}
	}
	return nil
}

func (s *suite) teamReinvite() error {
	if err := s.need(s.teamID, s.aliceID); err != nil {
		return err
	}
	out, err := s.c.InviteUsers(s.ctx, &awschime.InviteUsersInput{AccountId: &s.teamID, UserEmailList: []string{s.aliceEmail}})
	if err != nil {
		return err
	}
	if len(out.Invites) != 1 || out.Invites[0].Status != types.InviteStatusPending {
		return fmt.Errorf("re-invite gave %+v, want one Pending invite", out.Invites)
	}
	u, err := s.userByEmail(s.teamID, s.aliceEmail)
	if err != nil {
		return err
	}
	if aws.ToString(u.UserId) != s.aliceID || u.UserRegistrationStatus != types.RegistrationStatusUnregistered || u.UserInvitationStatus != types.InviteStatusPending {
		return fmt.Errorf("re-invited user is %s %s/%s, want the same id %s Unregistered/Pending",
			aws.ToString(u.UserId), u.UserRegistrationStatus, u.UserInvitationStatus, s.aliceID)
	}
	return nil
}

func (s *suite) teamDelete() error {
	if err := s.need(s.teamID); err != nil {
		return err
	}
	list, err := s.c.ListUsers(s.ctx, &awschime.ListUsersInput{AccountId: &s.teamID})
	if err != nil {
		return err
	}
	var ids []string
	for _, u := range list.Users {
		ids = append(ids, aws.ToString(u.UserId))
	}
	if len(ids) > 0 {
		out, err := s.c.BatchSuspendUser(s.ctx, &awschime.BatchSuspendUserInput{AccountId: &s.teamID, UserIdList: ids})
		if err != nil {
			return err
		}
		if len(out.UserErrors) != 0 {
			return fmt.Errorf("removing the remaining users: UserErrors %+v", out.UserErrors)
		}
	}
	if _, err := s.c.DeleteAccount(s.ctx, &awschime.DeleteAccountInput{AccountId: &s.teamID}); err != nil {
		return fmt.Errorf("DeleteAccount after removing every user: %w", err)
	}
	_, err = s.c.GetAccount(s.ctx, &awschime.GetAccountInput{AccountId: &s.teamID})
	if err := wantError(err, "NotFoundException", "NotFound"); err != nil {
		return fmt.Errorf("GetAccount of a deleted account: %w", err)
	}
	return nil
}

func (s *suite) lwaSeed() error {
	accountID, err := s.controlAccount("lwa", "EnterpriseLWA", nil)
	if err != nil {
		return err
	}
	var users []map[string]string
	for i := range 5 {
		users = append(users, map[string]string{
			"PrimaryEmail": fmt.Sprintf("u%d.%s@example.com", i, s.tag), "UserRegistrationStatus": "Registered",
		})
	}
	var seeded struct{ Users []struct{ UserId string } }
	if err := s.control("/_openchime/accounts/"+accountID+"/users", map[string]any{"Users": users}, &seeded); err != nil {
		return err
	}
	got, err := s.c.GetAccount(s.ctx, &awschime.GetAccountInput{AccountId: &accountID})
	if err != nil {
		return err
	}
	if got.Account.AccountType != types.AccountTypeEnterpriseLWA {
		return fmt.Errorf("seeded account type %s, want EnterpriseLWA", got.Account.AccountType)
	}
	if len(seeded.Users) != 5 {
		return fmt.Errorf("control plane seeded %d users, want 5", len(seeded.Users))
	}
	s.lwaID = accountID
	for _, u := range seeded.Users {
		s.lwaUsers = append(s.lwaUsers, u.UserId)
	}
	return nil
}

func (s *suite) status(account, user string) (types.RegistrationStatus, error) {
	out, err := s.c.GetUser(s.ctx, &awschime.GetUserInput{AccountId: &account, UserId: &user})
	if err != nil {
		return "", err
	}
	return out.User.UserRegistrationStatus, nil
}

func (s *suite) wantStatuses(account string, want map[string]types.RegistrationStatus) error {
	for id, w := range want {
		got, err := s.status(account, id)
		if err != nil {
			return err
		}
		if got != w {
			return fmt.Errorf("user %s is %s, want %s", id, got, w)
		}
	}
	return nil
}

func (s *suite) lwaSuspend() error {
	if err := s.need(s.lwaID); err != nil {
		return err
	}
	u := s.lwaUsers
	out, err := s.c.BatchSuspendUser(s.ctx, &awschime.BatchSuspendUserInput{AccountId: &s.lwaID, UserIdList: []string{u[0], u[1]}})
	if err != nil {
		return err
	}
	if out.UserErrors == nil || len(out.UserErrors) != 0 {
		return fmt.Errorf("UserErrors = %+v, want []", out.UserErrors)
	}
	return s.wantStatuses(s.lwaID, map[string]types.RegistrationStatus{u[0]: "Suspended", u[1]: "Suspended", u[2]: "Registered"})
}

func (s *suite) lwaUnsuspendMixed() error {
	if err := s.need(s.lwaID); err != nil {
		return err
	}
	u := s.lwaUsers
	out, err := s.c.BatchUnsuspendUser(s.ctx, &awschime.BatchUnsuspendUserInput{
		AccountId: &s.lwaID, UserIdList: []string{u[0], unknownID, u[0], u[2]},
	})
	if err != nil {
		return err
	}
	if len(out.UserErrors) != 1 || aws.ToString(out.UserErrors[0].UserId) != unknownID ||
		out.UserErrors[0].ErrorCode != types.ErrorCodeNotFound || aws.ToString(out.UserErrors[0].ErrorMessage) == "" {
		return fmt.Errorf("UserErrors = %+v, want exactly one NotFound for %s with a message", out.UserErrors, unknownID)
	}
	return s.wantStatuses(s.lwaID, map[string]types.RegistrationStatus{u[0]: "Registered", u[1]: "Suspended", u[2]: "Registered"})
}

func (s *suite) lwaListPaginated() error {
	if err := s.need(s.lwaID); err != nil {
		return err
	}
	var ids []string
	pages := 0
	p := awschime.NewListUsersPaginator(s.c, &awschime.ListUsersInput{AccountId: &s.lwaID, MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(s.ctx)
		if err != nil {
			return err
		}
		pages++
		if len(out.Users) > 2 {
			return fmt.Errorf("page %d holds %d users, MaxResults is 2", pages, len(out.Users))
		}
		for _, u := range out.Users {
			ids = append(ids, aws.ToString(u.UserId))
		}
	}
	// Users seeded in one call share a creation time, so they are listed by
	// id (decision D6): compare as sets, and check no id repeats.
	got, want := slices.Clone(ids), slices.Clone(s.lwaUsers)
	slices.Sort(got)
	slices.Sort(want)
	if pages != 3 || !slices.Equal(got, want) || len(slices.Compact(got)) != len(ids) {
		return fmt.Errorf("paginated listing: %d pages, ids %v; want 3 pages with %v", pages, ids, s.lwaUsers)
	}
	return nil
}

func (s *suite) lwaUserErrorsPartial() error {
	if err := s.need(s.lwaID); err != nil {
		return err
	}
	u := s.lwaUsers
	out, err := s.c.BatchSuspendUser(s.ctx, &awschime.BatchSuspendUserInput{AccountId: &s.lwaID, UserIdList: []string{u[3], unknownID}})
	if err != nil {
		return err
	}
	if len(out.UserErrors) != 1 || aws.ToString(out.UserErrors[0].UserId) != unknownID ||
		out.UserErrors[0].ErrorCode != types.ErrorCodeNotFound || aws.ToString(out.UserErrors[0].ErrorMessage) == "" {
		return fmt.Errorf("UserErrors = %+v, want exactly one NotFound for %s with a message", out.UserErrors, unknownID)
	}
	return s.wantStatuses(s.lwaID, map[string]types.RegistrationStatus{u[3]: "Suspended", u[4]: "Registered"})
}

func (s *suite) lwaInviteForbidden() error {
	if err := s.need(s.lwaID); err != nil {
		return err
	}
	_, err := s.c.InviteUsers(s.ctx, &awschime.InviteUsersInput{AccountId: &s.lwaID, UserEmailList: []string{"x." + s.tag + "@example.com"}})
	return wantError(err, "ForbiddenException", "Forbidden")
}

func (s *suite) errNotFound() error {
	_, err := s.c.GetAccount(s.ctx, &awschime.GetAccountInput{AccountId: aws.String(unknownID)})
	return wantError(err, "NotFoundException", "NotFound")
}

func (s *suite) errBadRequest() error {
	_, err := s.c.CreateAccount(s.ctx, &awschime.CreateAccountInput{Name: aws.String(strings.Repeat("n", 101))})
	return wantError(err, "BadRequestException", "BadRequest")
}

func (s *suite) errConflict() error {
	accountID, err := s.controlAccount("directory", "EnterpriseDirectory", nil)
	if err != nil {
		return err
	}
	email := "taken." + s.tag + "@example.com"
	if err := s.control("/_openchime/accounts/"+accountID+"/users", map[string]string{
		"PrimaryEmail": email, "UserRegistrationStatus": "Registered",
	}, nil); err != nil {
		return err
	}
	_, err = s.c.CreateUser(s.ctx, &awschime.CreateUserInput{AccountId: &accountID, Email: &email, UserType: types.UserTypePrivateUser})
	return wantError(err, "ConflictException", "Conflict")
}

func (s *suite) errForbiddenSuspended() error {
	accountID, err := s.controlAccount("suspended", "EnterpriseLWA", map[string]any{"AccountStatus": "Suspended"})
	if err != nil {
		return err
	}
	_, err = s.c.BatchSuspendUser(s.ctx, &awschime.BatchSuspendUserInput{AccountId: &accountID, UserIdList: []string{unknownID}})
	return wantError(err, "ForbiddenException", "Forbidden")
}

// httpStatus is the status code of the response a call's output came from.
func httpStatus(md middleware.Metadata) int {
	if r, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok {
		return r.StatusCode
	}
	return 0
}

func (s *suite) getNumber() (*types.PhoneNumber, error) {
	out, err := s.c.GetPhoneNumber(s.ctx, &awschime.GetPhoneNumberInput{PhoneNumberId: &s.number})
	if err != nil {
		return nil, err
	}
	return out.PhoneNumber, nil
}

func (s *suite) phoneSearch() error {
	out, err := s.c.SearchAvailablePhoneNumbers(s.ctx, &awschime.SearchAvailablePhoneNumbersInput{AreaCode: aws.String(areaCode), MaxResults: aws.Int32(5)})
	if err != nil {
		return err
	}
	prefix := "+1" + areaCode + "55501"
	nums := out.E164PhoneNumbers
	ok := len(nums) == 5 && slices.IsSorted(nums)
	for _, n := range nums {
		ok = ok && strings.HasPrefix(n, prefix) && len(n) == 12
	}
	if !ok {
		return fmt.Errorf("search area code %s gave %v, want 5 sorted numbers %sXX", areaCode, nums, prefix)
	}
	s.found = nums
	return nil
}

func (s *suite) phoneOrder() error {
	if len(s.found) == 0 {
		return s.need("")
	}
	number := s.found[0]
	out, err := s.c.CreatePhoneNumberOrder(s.ctx, &awschime.CreatePhoneNumberOrderInput{
		ProductType: types.PhoneNumberProductTypeBusinessCalling, E164PhoneNumbers: []string{number},
	})
	if err != nil {
		return err
	}
	if st := httpStatus(out.ResultMetadata); st != 201 {
		return fmt.Errorf("CreatePhoneNumberOrder: HTTP %d, want 201", st)
	}
	o := out.PhoneNumberOrder
	if o == nil || o.Status != types.PhoneNumberOrderStatusProcessing || o.ProductType != types.PhoneNumberProductTypeBusinessCalling ||
		len(o.OrderedPhoneNumbers) != 1 || aws.ToString(o.OrderedPhoneNumbers[0].E164PhoneNumber) != number ||
		o.OrderedPhoneNumbers[0].Status != types.OrderedPhoneNumberStatusProcessing || aws.ToString(o.PhoneNumberOrderId) == "" {
		return fmt.Errorf("new order = %+v, want Processing BusinessCalling with %s Processing and an id", o, number)
	}
	// Poll as a caller would; the order completes PhoneNumberOrderDelay
	// after it was placed (0 by default: the first read shows it done).
	var g *types.PhoneNumberOrder
	for range 40 {
		got, err := s.c.GetPhoneNumberOrder(s.ctx, &awschime.GetPhoneNumberOrderInput{PhoneNumberOrderId: o.PhoneNumberOrderId})
		if err != nil {
			return err
		}
		if g = got.PhoneNumberOrder; g.Status != types.PhoneNumberOrderStatusProcessing {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if g.Status != types.PhoneNumberOrderStatusSuccessful || len(g.OrderedPhoneNumbers) != 1 ||
		g.OrderedPhoneNumbers[0].Status != types.OrderedPhoneNumberStatusAcquired {
		return fmt.Errorf("order after polling = %+v, want Successful with %s Acquired", g, number)
	}
	s.number = number
	p, err := s.getNumber()
	if err != nil {
		return err
	}
	if aws.ToString(p.PhoneNumberId) != "%2B"+number[1:] || aws.ToString(p.E164PhoneNumber) != number || p.Status != types.PhoneNumberStatusUnassigned ||
		p.ProductType != types.PhoneNumberProductTypeBusinessCalling || p.Type != types.PhoneNumberTypeLocal {
		return fmt.Errorf("ordered number = %+v, want id %%2B%s, Unassigned, BusinessCalling, Local", p, number[1:])
	}
	return nil
}

func (s *suite) phoneOrderTollFree() error {
	// Nobody holds toll-free numbers in this suite, so the only reason to
	// refuse is the product type.
	_, err := s.c.CreatePhoneNumberOrder(s.ctx, &awschime.CreatePhoneNumberOrderInput{
		ProductType: types.PhoneNumberProductTypeBusinessCalling, E164PhoneNumbers: []string{"+18335550100"},
	})
	return wantError(err, "BadRequestException", "BadRequest")
}

func (s *suite) phoneAssign() error {
	if err := s.need(s.number); err != nil {
		return err
	}
	accountID, err := s.controlAccount("phone", "EnterpriseLWA", nil)
	if err != nil {
		return err
	}
	var seeded struct{ Users []struct{ UserId string } }
	if err := s.control("/_openchime/accounts/"+accountID+"/users", map[string]any{"Users": []map[string]string{{
		"PrimaryEmail": "caller." + s.tag + "@example.com", "UserRegistrationStatus": "Registered",
	}}}, &seeded); err != nil {
		return err
	}
	if len(seeded.Users) != 1 {
		return fmt.Errorf("control plane seeded %d users, want 1", len(seeded.Users))
	}
	s.phoneAccount, s.phoneUser = accountID, seeded.Users[0].UserId
	if _, err := s.c.AssociatePhoneNumberWithUser(s.ctx, &awschime.AssociatePhoneNumberWithUserInput{
		AccountId: &s.phoneAccount, UserId: &s.phoneUser, E164PhoneNumber: &s.number,
	}); err != nil {
		return err
	}
	u, err := s.c.GetUser(s.ctx, &awschime.GetUserInput{AccountId: &s.phoneAccount, UserId: &s.phoneUser})
	if err != nil {
		return err
	}
	if got := aws.ToString(u.User.PrimaryProvisionedNumber); got != s.number {
		return fmt.Errorf("GetUser PrimaryProvisionedNumber = %q, want %s", got, s.number)
	}
	p, err := s.getNumber()
	if err != nil {
		return err
	}
	if p.Status != types.PhoneNumberStatusAssigned || !slices.ContainsFunc(p.Associations, func(a types.PhoneNumberAssociation) bool {
		return a.Name == types.PhoneNumberAssociationNameUserId && aws.ToString(a.Value) == s.phoneUser
	}) {
		return fmt.Errorf("assigned number = %+v, want Assigned with a UserId association", p)
	}
	return nil
}

func (s *suite) phoneDeleteAssigned() error {
	if err := s.need(s.number, s.phoneUser); err != nil {
		return err
	}
	_, err := s.c.DeletePhoneNumber(s.ctx, &awschime.DeletePhoneNumberInput{PhoneNumberId: &s.number})
	if err := wantError(err, "BadRequestException", "PhoneNumberAssociationsExist"); err != nil {
		return err
	}
	p, err := s.getNumber()
	if err != nil {
		return err
	}
	if p.Status != types.PhoneNumberStatusAssigned {
		return fmt.Errorf("the refused delete changed the number to %s", p.Status)
	}
	return nil
}

func (s *suite) phoneCallingName() error {
	if err := s.need(s.number); err != nil {
		return err
	}
	out, err := s.c.UpdatePhoneNumber(s.ctx, &awschime.UpdatePhoneNumberInput{PhoneNumberId: &s.number, CallingName: aws.String(callingName)})
	if err != nil {
		return err
	}
	if p := out.PhoneNumber; aws.ToString(p.CallingName) != callingName || p.CallingNameStatus != types.CallingNameStatusUpdateInProgress {
		return fmt.Errorf("UpdatePhoneNumber returned %q %s, want %s UpdateInProgress", aws.ToString(p.CallingName), p.CallingNameStatus, callingName)
	}
	// The name settles 72 h later on the server clock: move the clock rather
	// than wait. Other clients only ever move it forward too.
	if err := s.control("/_openchime/clock", map[string]string{"Advance": "72h"}, nil); err != nil {
		return err
	}
	p, err := s.getNumber()
	if err != nil {
		return err
	}
	if aws.ToString(p.CallingName) != callingName || p.CallingNameStatus != types.CallingNameStatusUpdateSucceeded {
		return fmt.Errorf("72h later the calling name is %q %s, want %s UpdateSucceeded", aws.ToString(p.CallingName), p.CallingNameStatus, callingName)
	}
	return nil
}

func (s *suite) phoneUnassign() error {
	if err := s.need(s.number, s.phoneUser); err != nil {
		return err
	}
	if _, err := s.c.DisassociatePhoneNumberFromUser(s.ctx, &awschime.DisassociatePhoneNumberFromUserInput{
		AccountId: &s.phoneAccount, UserId: &s.phoneUser,
	}); err != nil {
		return err
	}
	u, err := s.c.GetUser(s.ctx, &awschime.GetUserInput{AccountId: &s.phoneAccount, UserId: &s.phoneUser})
	if err != nil {
		return err
	}
	if got := aws.ToString(u.User.PrimaryProvisionedNumber); got != "" {
		return fmt.Errorf("GetUser after disassociating: PrimaryProvisionedNumber %q", got)
	}
	p, err := s.getNumber()
	if err != nil {
		return err
	}
	if p.Status != types.PhoneNumberStatusUnassigned || len(p.Associations) != 0 {
		return fmt.Errorf("disassociated number = %s with %d associations, want Unassigned with none", p.Status, len(p.Associations))
	}
	return nil
}

func (s *suite) phoneDelete() error {
	if err := s.need(s.number); err != nil {
		return err
	}
	out, err := s.c.DeletePhoneNumber(s.ctx, &awschime.DeletePhoneNumberInput{PhoneNumberId: &s.number})
	if err != nil {
		return err
	}
	if st := httpStatus(out.ResultMetadata); st != 204 {
		return fmt.Errorf("DeletePhoneNumber: HTTP %d, want 204", st)
	}
	p, err := s.getNumber()
	if err != nil {
		return err
	}
	if p.Status != types.PhoneNumberStatusDeleteInProgress || p.DeletionTimestamp == nil {
		return fmt.Errorf("deleted number = %s DeletionTimestamp=%v, want DeleteInProgress with a DeletionTimestamp", p.Status, p.DeletionTimestamp)
	}
	return nil
}

func (s *suite) phoneRestore() error {
	if err := s.need(s.number); err != nil {
		return err
	}
	out, err := s.c.RestorePhoneNumber(s.ctx, &awschime.RestorePhoneNumberInput{PhoneNumberId: &s.number})
	if err != nil {
		return err
	}
	if p := out.PhoneNumber; p.Status != types.PhoneNumberStatusUnassigned || p.DeletionTimestamp != nil || aws.ToString(p.CallingName) != callingName {
		return fmt.Errorf("restored number = %s DeletionTimestamp=%v CallingName=%q, want Unassigned, none, %s",
			p.Status, p.DeletionTimestamp, aws.ToString(p.CallingName), callingName)
	}
	return nil
}

// sigv4WrongSecret signs with the right key and a wrong secret: the server
// must refuse with InvalidSignatureException, which the Chime model does not
// define, so the SDK surfaces it as a generic API error.
func (s *suite) sigv4WrongSecret() error {
	bad := newClient(s.endpoint, s.accessKey, "not-the-"+s.secret)
	_, err := bad.GetAccount(s.ctx, &awschime.GetAccountInput{AccountId: aws.String(unknownID)})
	if err == nil {
		return errors.New("a request signed with the wrong secret succeeded")
	}
	var re *smithyhttp.ResponseError
	shape, _, msg := apiError(err)
	if shape != "untyped InvalidSignatureException" || msg == "" || !errors.As(err, &re) || re.HTTPStatusCode() != 403 {
		return fmt.Errorf("got %s %q (%v), want a 403 InvalidSignatureException with a message", shape, msg, err)
	}
	return nil
}
