package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awschime "github.com/aws/aws-sdk-go-v2/service/chime"
	"github.com/aws/aws-sdk-go-v2/service/chime/types"
	"github.com/aws/smithy-go"
	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/httpapi"
)

// testServer is an OpenChime server on httptest with a real Chime client.
type testServer struct {
	*httptest.Server
	Client *awschime.Client
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	store := newTestStore(t)
	api := httpapi.NewServer(openchime.NewService(store))
	api.Logger = discardLogger()
	ts := httptest.NewServer(api)
	t.Cleanup(ts.Close)
	return &testServer{Server: ts, Client: newClient(ts.URL, "123456789012")}
}

func newClient(url, accessKey string) *awschime.Client {
	return awschime.New(awschime.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider(accessKey, "secret", ""),
		RetryMaxAttempts: 1,
	})
}

// controlPlane posts JSON to a control-plane path and decodes the answer.
func (ts *testServer) controlPlane(t *testing.T, method, path string, in, out any) int {
	t.Helper()
	body, _ := json.Marshal(in)
	req, _ := http.NewRequest(method, ts.URL+path, bytes.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode
}

// MustCreateAccount creates an account of any type through the control plane.
func (ts *testServer) MustCreateAccount(t *testing.T, typ openchime.AccountType, name string) string {
	t.Helper()
	var out struct{ Account struct{ AccountId string } }
	if st := ts.controlPlane(t, "POST", "/_openchime/accounts", map[string]string{"Name": name, "AccountType": string(typ)}, &out); st != 201 {
		t.Fatalf("create account: status %d", st)
	}
	return out.Account.AccountId
}

// MustCreateUsers adds users in the given status through the control plane.
func (ts *testServer) MustCreateUsers(t *testing.T, accountID string, status openchime.RegistrationStatus, emails ...string) []string {
	t.Helper()
	type user struct{ PrimaryEmail, UserRegistrationStatus string }
	var in struct{ Users []user }
	for _, e := range emails {
		in.Users = append(in.Users, user{e, string(status)})
	}
	var out struct{ Users []struct{ UserId string } }
	if st := ts.controlPlane(t, "POST", "/_openchime/accounts/"+accountID+"/users", in, &out); st != 201 {
		t.Fatalf("create users: status %d", st)
	}
	ids := make([]string, len(out.Users))
	for i, u := range out.Users {
		ids[i] = u.UserId
	}
	return ids
}

func (ts *testServer) status(t *testing.T, accountID, userID string) types.RegistrationStatus {
	t.Helper()
	out, err := ts.Client.GetUser(context.Background(), &awschime.GetUserInput{AccountId: &accountID, UserId: &userID})
	if err != nil {
		t.Fatalf("GetUser(%s): %v", userID, err)
	}
	return out.User.UserRegistrationStatus
}

// wantAPIError checks err is the typed exception T with the body code.
func wantAPIError[T interface {
	error
	ErrorCode() string
}](t *testing.T, err error, code string) T {
	t.Helper()
	var typed T
	if !errors.As(err, &typed) {
		t.Fatalf("err = %v (%T), want %T", err, err, typed)
	}
	var got string
	switch e := any(typed).(type) {
	case *types.BadRequestException:
		got = string(e.Code)
	case *types.NotFoundException:
		got = string(e.Code)
	case *types.ForbiddenException:
		got = string(e.Code)
	case *types.ConflictException:
		got = string(e.Code)
	case *types.UnprocessableEntityException:
		got = string(e.Code)
	default:
		return typed
	}
	if got != code {
		t.Fatalf("%T Code = %q, want %q", typed, got, code)
	}
	return typed
}

func userErrors(errs []types.UserError) map[string]types.ErrorCode {
	m := map[string]types.ErrorCode{}
	for _, e := range errs {
		m[*e.UserId] = e.ErrorCode
	}
	return m
}

func TestBatchUnsuspendUser(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	acct := ts.MustCreateAccount(t, openchime.EnterpriseLWA, "lwa")
	suspended := ts.MustCreateUsers(t, acct, openchime.Suspended, "s1@example.com", "s2@example.com")
	registered := ts.MustCreateUsers(t, acct, openchime.Registered, "r1@example.com")
	unregistered := ts.MustCreateUsers(t, acct, openchime.Unregistered, "u1@example.com")

	t.Run("OK mixed ids", func(t *testing.T) {
		ids := []string{suspended[0], "unknown-1", suspended[0], registered[0], unregistered[0], suspended[1], "unknown-1"}
		out, err := ts.Client.BatchUnsuspendUser(ctx, &awschime.BatchUnsuspendUserInput{AccountId: &acct, UserIdList: ids})
		if err != nil {
			t.Fatal(err)
		}
		if got := userErrors(out.UserErrors); len(out.UserErrors) != 1 || got["unknown-1"] != types.ErrorCodeNotFound {
			t.Fatalf("UserErrors = %v, want one NotFound for unknown-1 (duplicates handled once)", got)
		}
		for _, id := range suspended {
			if st := ts.status(t, acct, id); st != types.RegistrationStatusRegistered {
				t.Errorf("suspended user %s is %s, want Registered", id, st)
			}
		}
		if st := ts.status(t, acct, registered[0]); st != types.RegistrationStatusRegistered {
			t.Errorf("registered user is %s, want Registered", st)
		}
		if st := ts.status(t, acct, unregistered[0]); st != types.RegistrationStatusUnregistered {
			t.Errorf("unregistered user is %s, want it ignored (Unregistered)", st)
		}
	})

	t.Run("OK empty UserErrors is []", func(t *testing.T) {
		resp := rawRequest(t, ts, "POST", "/accounts/"+acct+"/users?operation=unsuspend", `{"UserIdList":[]}`)
		if resp.status != 200 || resp.body != `{"UserErrors":[]}` {
			t.Fatalf("got %d %s, want 200 {\"UserErrors\":[]}", resp.status, resp.body)
		}
	})

	t.Run("ErrNotFound account", func(t *testing.T) {
		_, err := ts.Client.BatchUnsuspendUser(ctx, &awschime.BatchUnsuspendUserInput{AccountId: aws.String("nope"), UserIdList: []string{"u"}})
		wantAPIError[*types.NotFoundException](t, err, "NotFound")
	})

	t.Run("ErrNotFound other AWS account", func(t *testing.T) {
		other := newClient(ts.URL, "210987654321")
		_, err := other.BatchUnsuspendUser(ctx, &awschime.BatchUnsuspendUserInput{AccountId: &acct, UserIdList: []string{suspended[0]}})
		wantAPIError[*types.NotFoundException](t, err, "NotFound")
	})

	t.Run("ErrBadRequest", func(t *testing.T) {
		many := make([]string, 51)
		for i := range many {
			many[i] = fmt.Sprint("u", i)
		}
		for name, body := range map[string]string{
			"missing list": `{}`,
			"51 ids":       `{"UserIdList":["` + strings.Join(many, `","`) + `"]}`,
			"blank id":     `{"UserIdList":["  "]}`,
			"empty id":     `{"UserIdList":["a",""]}`,
			"wrong type":   `{"UserIdList":"abc"}`,
			"wrong item":   `{"UserIdList":[1]}`,
			"bad json":     `{"UserIdList":[`,
			"not object":   `["a"]`,
		} {
			resp := rawRequest(t, ts, "POST", "/accounts/"+acct+"/users?operation=unsuspend", body)
			if resp.status != 400 || resp.errorType != "BadRequestException" || !strings.Contains(resp.body, `"Code":"BadRequest"`) {
				t.Errorf("%s: got %d %s %s, want 400 BadRequestException", name, resp.status, resp.errorType, resp.body)
			}
		}
		_, err := ts.Client.BatchUnsuspendUser(ctx, &awschime.BatchUnsuspendUserInput{AccountId: &acct, UserIdList: many})
		wantAPIError[*types.BadRequestException](t, err, "BadRequest")
	})

	t.Run("Forbidden per user on other account types", func(t *testing.T) {
		for _, typ := range []openchime.AccountType{openchime.Team, openchime.EnterpriseDirectory, openchime.EnterpriseOIDC} {
			other := ts.MustCreateAccount(t, typ, string(typ))
			ids := ts.MustCreateUsers(t, other, openchime.Suspended, "x-"+strings.ToLower(string(typ))+"@example.com") // one account per email
			out, err := ts.Client.BatchUnsuspendUser(ctx, &awschime.BatchUnsuspendUserInput{AccountId: &other, UserIdList: []string{ids[0], "ghost"}})
			if err != nil {
				t.Fatal(err)
			}
			got := userErrors(out.UserErrors)
			if len(got) != 2 || got[ids[0]] != types.ErrorCodeForbidden || got["ghost"] != types.ErrorCodeForbidden {
				t.Errorf("%s: UserErrors = %v, want Forbidden for both", typ, got)
			}
			if !strings.Contains(*out.UserErrors[0].ErrorMessage, string(typ)) {
				t.Errorf("%s: message %q does not name the account type", typ, *out.UserErrors[0].ErrorMessage)
			}
			if st := ts.status(t, other, ids[0]); st != types.RegistrationStatusSuspended {
				t.Errorf("%s: user is %s, want unchanged Suspended", typ, st)
			}
		}
	})
}

func TestBatchSuspendUser(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)

	t.Run("EnterpriseLWA", func(t *testing.T) {
		acct := ts.MustCreateAccount(t, openchime.EnterpriseLWA, "lwa")
		ids := ts.MustCreateUsers(t, acct, openchime.Registered, "a@example.com")
		ids = append(ids, ts.MustCreateUsers(t, acct, openchime.Unregistered, "b@example.com")...)
		ids = append(ids, ts.MustCreateUsers(t, acct, openchime.Suspended, "c@example.com")...)
		out, err := ts.Client.BatchSuspendUser(ctx, &awschime.BatchSuspendUserInput{AccountId: &acct, UserIdList: append(ids, "nobody")})
		if err != nil {
			t.Fatal(err)
		}
		if got := userErrors(out.UserErrors); len(got) != 1 || got["nobody"] != types.ErrorCodeNotFound {
			t.Fatalf("UserErrors = %v, want NotFound for nobody only", got)
		}
		for _, id := range ids {
			if st := ts.status(t, acct, id); st != types.RegistrationStatusSuspended {
				t.Errorf("user %s is %s, want Suspended", id, st)
			}
		}
	})

	t.Run("Team removes", func(t *testing.T) {
		acct := ts.MustCreateAccount(t, openchime.Team, "team")
		ids := ts.MustCreateUsers(t, acct, openchime.Registered, "team-a@example.com", "team-b@example.com")
		out, err := ts.Client.BatchSuspendUser(ctx, &awschime.BatchSuspendUserInput{AccountId: &acct, UserIdList: ids[:1]})
		if err != nil || len(out.UserErrors) != 0 {
			t.Fatalf("BatchSuspendUser: %v %v", err, out)
		}
		_, err = ts.Client.GetUser(ctx, &awschime.GetUserInput{AccountId: &acct, UserId: &ids[0]})
		wantAPIError[*types.NotFoundException](t, err, "NotFound")
		list, err := ts.Client.ListUsers(ctx, &awschime.ListUsersInput{AccountId: &acct})
		if err != nil || len(list.Users) != 1 || *list.Users[0].UserId != ids[1] {
			t.Fatalf("ListUsers after removal = %v, %v; want only %s", list, err, ids[1])
		}
	})

	t.Run("Forbidden on directory accounts", func(t *testing.T) {
		acct := ts.MustCreateAccount(t, openchime.EnterpriseDirectory, "ad")
		ids := ts.MustCreateUsers(t, acct, openchime.Registered, "ad-a@example.com")
		out, err := ts.Client.BatchSuspendUser(ctx, &awschime.BatchSuspendUserInput{AccountId: &acct, UserIdList: ids})
		if err != nil {
			t.Fatal(err)
		}
		if got := userErrors(out.UserErrors); got[ids[0]] != types.ErrorCodeForbidden {
			t.Fatalf("UserErrors = %v, want Forbidden", got)
		}
	})

	t.Run("Suspended account refuses writes", func(t *testing.T) {
		var created struct{ Account struct{ AccountId string } }
		ts.controlPlane(t, "POST", "/_openchime/accounts", map[string]string{"Name": "frozen", "AccountType": "EnterpriseLWA", "AccountStatus": "Suspended"}, &created)
		acct := created.Account.AccountId
		ids := ts.MustCreateUsers(t, acct, openchime.Registered, "frozen-a@example.com")
		_, err := ts.Client.BatchSuspendUser(ctx, &awschime.BatchSuspendUserInput{AccountId: &acct, UserIdList: ids})
		wantAPIError[*types.ForbiddenException](t, err, "Forbidden")
		if st := ts.status(t, acct, ids[0]); st != types.RegistrationStatusRegistered {
			t.Fatalf("user is %s after refused write", st)
		}
	})
}

func TestAccounts(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)

	t.Run("CreateAccount defaults", func(t *testing.T) {
		out, err := ts.Client.CreateAccount(ctx, &awschime.CreateAccountInput{Name: aws.String("My Team")})
		if err != nil {
			t.Fatal(err)
		}
		a := out.Account
		if *a.AwsAccountId != "123456789012" || a.AccountType != types.AccountTypeTeam || a.AccountStatus != types.AccountStatusActive ||
			a.DefaultLicense != types.LicensePro || fmt.Sprint(a.SupportedLicenses) != "[Basic Pro]" || a.SigninDelegateGroups == nil || a.CreatedTimestamp == nil {
			t.Fatalf("account = %+v, want Team/Active/Pro/[Basic Pro]/[] defaults (decision D12)", a)
		}
		got, err := ts.Client.GetAccount(ctx, &awschime.GetAccountInput{AccountId: a.AccountId})
		if err != nil || *got.Account.Name != "My Team" || !got.Account.CreatedTimestamp.Equal(*a.CreatedTimestamp) {
			t.Fatalf("GetAccount = %+v, %v", got, err)
		}
	})

	t.Run("CreateAccount validation", func(t *testing.T) {
		for _, name := range []string{"   ", strings.Repeat("x", 101)} {
			_, err := ts.Client.CreateAccount(ctx, &awschime.CreateAccountInput{Name: aws.String(name)})
			wantAPIError[*types.BadRequestException](t, err, "BadRequest")
		}
		resp := rawRequest(t, ts, "POST", "/accounts", `{}`)
		if resp.status != 400 || !strings.Contains(resp.body, "Name") {
			t.Fatalf("missing Name: %d %s", resp.status, resp.body)
		}
	})

	t.Run("ListAccounts filters and pages", func(t *testing.T) {
		ts := newTestServer(t)
		var want []string
		for i := 0; i < 7; i++ {
			out, err := ts.Client.CreateAccount(ctx, &awschime.CreateAccountInput{Name: aws.String(fmt.Sprintf("Acme %d", i))})
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, *out.Account.AccountId)
		}
		ts.Client.CreateAccount(ctx, &awschime.CreateAccountInput{Name: aws.String("acme lower")})
		// Accounts created in the same millisecond sort by id (decision D6):
		// the paged walk must give the unpaged order.
		all, err := ts.Client.ListAccounts(ctx, &awschime.ListAccountsInput{Name: aws.String("Acme")})
		if err != nil || len(all.Accounts) != len(want) || all.NextToken != nil {
			t.Fatalf("unpaged ListAccounts = %v, %v", all, err)
		}
		want = want[:0]
		for _, a := range all.Accounts {
			want = append(want, *a.AccountId)
		}
		var got []string
		p := awschime.NewListAccountsPaginator(ts.Client, &awschime.ListAccountsInput{Name: aws.String("Acme"), MaxResults: aws.Int32(3)})
		pages := 0
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, a := range page.Accounts {
				got = append(got, *a.AccountId)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) || pages != 3 {
			t.Fatalf("paged accounts = %v in %d pages, want %v in 3", got, pages, want)
		}
		other := newClient(ts.URL, "210987654321")
		list, err := other.ListAccounts(ctx, &awschime.ListAccountsInput{})
		if err != nil || len(list.Accounts) != 0 {
			t.Fatalf("other AWS account sees %v, %v", list, err)
		}
		_, err = ts.Client.ListAccounts(ctx, &awschime.ListAccountsInput{NextToken: aws.String("garbage")})
		wantAPIError[*types.BadRequestException](t, err, "BadRequest")
		_, err = ts.Client.ListAccounts(ctx, &awschime.ListAccountsInput{MaxResults: aws.Int32(0)})
		wantAPIError[*types.BadRequestException](t, err, "BadRequest")
	})

	t.Run("ListAccounts by user email", func(t *testing.T) {
		ts := newTestServer(t)
		a := ts.MustCreateAccount(t, openchime.EnterpriseLWA, "one")
		ts.MustCreateAccount(t, openchime.EnterpriseLWA, "two")
		ts.MustCreateUsers(t, a, openchime.Registered, "Pat@Example.com")
		list, err := ts.Client.ListAccounts(ctx, &awschime.ListAccountsInput{UserEmail: aws.String("pat@example.COM")})
		if err != nil || len(list.Accounts) != 1 || *list.Accounts[0].AccountId != a {
			t.Fatalf("ListAccounts(user-email) = %v, %v", list, err)
		}
	})
}

func TestListUsers_PaginationToTheEnd(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	acct := ts.MustCreateAccount(t, openchime.EnterpriseLWA, "lwa")
	var emails []string
	for i := 0; i < 250; i++ {
		emails = append(emails, fmt.Sprintf("user%03d@example.com", i))
	}
	want := ts.MustCreateUsers(t, acct, openchime.Registered, emails...)
	seen := map[string]int{}
	p := awschime.NewListUsersPaginator(ts.Client, &awschime.ListUsersInput{AccountId: &acct, MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range page.Users {
			seen[*u.UserId]++
			if u.PersonalPIN != nil {
				t.Fatalf("ListUsers shows a PersonalPIN")
			}
		}
	}
	if len(seen) != len(want) {
		t.Fatalf("saw %d users, want %d", len(seen), len(want))
	}
	for _, id := range want {
		if seen[id] != 1 {
			t.Fatalf("user %s seen %d times, want once", id, seen[id])
		}
	}
	// Filters.
	out, err := ts.Client.ListUsers(ctx, &awschime.ListUsersInput{AccountId: &acct, UserEmail: aws.String("USER007@example.com")})
	if err != nil || len(out.Users) != 1 || *out.Users[0].PrimaryEmail != "user007@example.com" {
		t.Fatalf("ListUsers(user-email) = %v, %v", out, err)
	}
	out, err = ts.Client.ListUsers(ctx, &awschime.ListUsersInput{AccountId: &acct, UserType: types.UserTypeSharedDevice})
	if err != nil || len(out.Users) != 0 {
		t.Fatalf("ListUsers(user-type=SharedDevice) = %v, %v", out, err)
	}
	resp := rawRequest(t, ts, "GET", "/accounts/"+acct+"/users?user-type=Robot", "")
	if resp.status != 400 {
		t.Fatalf("bad user-type: %d %s", resp.status, resp.body)
	}
	// A token of one listing is refused by another.
	first, _ := ts.Client.ListUsers(ctx, &awschime.ListUsersInput{AccountId: &acct, MaxResults: aws.Int32(1)})
	_, err = ts.Client.ListAccounts(ctx, &awschime.ListAccountsInput{NextToken: first.NextToken})
	wantAPIError[*types.BadRequestException](t, err, "BadRequest")
}

func TestGetUser(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	acct := ts.MustCreateAccount(t, openchime.EnterpriseLWA, "lwa")
	ids := ts.MustCreateUsers(t, acct, openchime.Registered, "a@example.com")
	out, err := ts.Client.GetUser(ctx, &awschime.GetUserInput{AccountId: &acct, UserId: &ids[0]})
	if err != nil {
		t.Fatal(err)
	}
	u := out.User
	if *u.PrimaryEmail != "a@example.com" || u.LicenseType != types.LicensePro || u.UserType != types.UserTypePrivateUser ||
		len(*u.PersonalPIN) != 10 || u.RegisteredOn == nil || u.AlexaForBusinessMetadata == nil {
		t.Fatalf("user = %+v", u)
	}
	_, err = ts.Client.GetUser(ctx, &awschime.GetUserInput{AccountId: &acct, UserId: aws.String("nope")})
	wantAPIError[*types.NotFoundException](t, err, "NotFound")
	other := ts.MustCreateAccount(t, openchime.EnterpriseLWA, "other")
	_, err = ts.Client.GetUser(ctx, &awschime.GetUserInput{AccountId: &other, UserId: &ids[0]})
	wantAPIError[*types.NotFoundException](t, err, "NotFound")
}

type rawResponse struct {
	status    int
	errorType string
	requestID string
	body      string
	header    http.Header
}

func rawRequest(t *testing.T, ts *testServer, method, path, body string) rawResponse {
	t.Helper()
	req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return rawResponse{resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), resp.Header.Get("x-amzn-RequestId"), string(raw), resp.Header}
}

func TestWire(t *testing.T) {
	ts := newTestServer(t)
	acct := ts.MustCreateAccount(t, openchime.EnterpriseLWA, "lwa")

	t.Run("every response has a request id and JSON errors", func(t *testing.T) {
		for _, c := range []struct{ method, path, body, errType string }{
			{"GET", "/nowhere", "", "UnknownOperationException"},
			{"DELETE", "/accounts", "", "UnknownOperationException"},
			{"POST", "/accounts/" + acct + "/users?operation=explode", "{}", "UnknownOperationException"},
			{"GET", "/search", "", "UnknownOperationException"},
			{"POST", "/accounts", strings.Repeat("x", httpapi.DefaultMaxBodyBytes+1), "BadRequestException"},
		} {
			resp := rawRequest(t, ts, c.method, c.path, c.body)
			if resp.errorType != c.errType || resp.requestID == "" || !strings.HasPrefix(resp.body, `{"Code":`) || resp.header.Get("Content-Type") != "application/json" {
				t.Errorf("%s %s: %d %q %q %.80s", c.method, c.path, resp.status, resp.errorType, resp.requestID, resp.body)
			}
		}
	})

	t.Run("legacy /console prefix", func(t *testing.T) {
		resp := rawRequest(t, ts, "GET", "/console/accounts/"+acct, "")
		if resp.status != 200 || !strings.Contains(resp.body, acct) {
			t.Fatalf("GET /console/accounts/%s: %d %s", acct, resp.status, resp.body)
		}
	})

	t.Run("timestamps in milliseconds UTC", func(t *testing.T) {
		resp := rawRequest(t, ts, "GET", "/accounts/"+acct, "")
		var out struct {
			Account struct{ CreatedTimestamp string }
		}
		json.Unmarshal([]byte(resp.body), &out)
		if len(out.Account.CreatedTimestamp) != len("2006-01-02T15:04:05.000Z") || !strings.HasSuffix(out.Account.CreatedTimestamp, "Z") {
			t.Fatalf("CreatedTimestamp = %q", out.Account.CreatedTimestamp)
		}
	})

	t.Run("escaped labels", func(t *testing.T) {
		resp := rawRequest(t, ts, "GET", "/accounts/a%2Fb", "")
		if resp.status != 404 || resp.errorType != "NotFoundException" || !strings.Contains(resp.body, "a/b") {
			t.Fatalf("GET /accounts/a%%2Fb: %d %s %s", resp.status, resp.errorType, resp.body)
		}
	})
}

// TestOperations_AllRoute checks that every operation of the model resolves
// to its own handler and answers JSON, never a 404 page or a 500. (Every
// operation has a handler: one without would not compile.)
func TestOperations_AllRoute(t *testing.T) {
	ts := newTestServer(t)
	ops := httpapi.Operations()
	if len(ops) != 62 {
		t.Fatalf("%d operations in the table, want 62", len(ops))
	}
	names := map[string]bool{}
	for _, op := range ops {
		names[op.Name] = true
		path := op.Path
		for _, label := range []string{"accountId", "userId", "botId", "roomId", "memberId", "phoneNumberId", "phoneNumberOrderId", "meetingId", "conversationId", "messageId"} {
			path = strings.ReplaceAll(path, "{"+label+"}", "x-"+label)
		}
		if op.QueryKey != "" {
			path += "?" + op.QueryKey + "=" + op.QueryValue
		}
		resp := rawRequest(t, ts, op.Method, path, "{}")
		if resp.status >= 500 && resp.status != 501 {
			t.Errorf("%s %s: status %d %s", op.Method, path, resp.status, resp.body)
		}
		if resp.errorType == "UnknownOperationException" {
			t.Errorf("%s (%s %s) does not route", op.Name, op.Method, path)
		}
		if resp.status == 501 && (resp.errorType != "NotImplementedException" || !strings.Contains(resp.body, op.Name)) {
			t.Errorf("%s: 501 without naming the operation: %s", op.Name, resp.body)
		}
		if resp.header.Get("x-amzn-RequestId") == "" {
			t.Errorf("%s: no request id", op.Name)
		}
	}
	if len(names) != 62 {
		t.Fatalf("%d distinct operation names", len(names))
	}
	var list []string
	for n := range names {
		list = append(list, n)
	}
	sort.Strings(list)
	_ = list
}

// TestErrors_SDKReadsCodeAndMessage pins the error envelope of decision D1
// as the Go SDK reads it.
func TestErrors_SDKReadsCodeAndMessage(t *testing.T) {
	ts := newTestServer(t)
	_, err := ts.Client.GetAccount(context.Background(), &awschime.GetAccountInput{AccountId: aws.String("missing")})
	nf := wantAPIError[*types.NotFoundException](t, err, "NotFound")
	if !strings.Contains(nf.ErrorMessage(), "missing") {
		t.Fatalf("message %q does not name the id", nf.ErrorMessage())
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "NotFoundException" {
		t.Fatalf("ErrorCode() = %v", apiErr)
	}
}
