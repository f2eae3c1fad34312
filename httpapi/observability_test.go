package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmw "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awschime "github.com/aws/aws-sdk-go-v2/service/chime"
	"github.com/aws/aws-sdk-go-v2/service/chime/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/httpapi"
	"github.com/openchime/openchime/metrics"
	"github.com/openchime/openchime/sqlite"
)

// obsEnv is a server with metrics and a controllable clock, and a real SDK
// client for it.
type obsEnv struct {
	svc     *openchime.Service
	clock   *openchime.ControlClock
	metrics *metrics.Metrics
	srv     *httptest.Server
	chime   *awschime.Client
}

// MustObsEnv starts an in-memory server wired like `openchime serve`.
func MustObsEnv(tb testing.TB) *obsEnv {
	tb.Helper()
	store, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	m := metrics.New()
	m.WatchUsers(store, time.Nanosecond)
	svc := openchime.NewService(m.InstrumentStore(store))
	clock := &openchime.ControlClock{}
	svc.Clock = clock
	svc.IDs = openchime.NewSeededIDs(1)
	api := httpapi.NewServer(svc)
	api.Logger = discardLogger()
	api.Observer = m
	api.Metrics = m.Handler()
	api.HandleControl("GET /_openchime/metrics", m.Handler())
	srv := httptest.NewServer(api)
	tb.Cleanup(srv.Close)
	return &obsEnv{svc: svc, clock: clock, metrics: m, srv: srv, chime: obsClient(srv.URL, "AKIDEXAMPLE")}
}

// obsClient is an SDK client with the default retry policy (3 attempts)
// but no backoff sleeps, so retried requests do not slow the tests.
func obsClient(url, key string) *awschime.Client {
	return awschime.New(awschime.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider(key, "secret", ""),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		}),
	})
}

// do sends a control-plane request and decodes the JSON answer into out.
func (e *obsEnv) do(tb testing.TB, method, path string, in, out any) int {
	tb.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, body)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			tb.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	}
	return resp.StatusCode
}

// MustLWAUsers creates an EnterpriseLWA account with n suspended users.
func (e *obsEnv) MustLWAUsers(tb testing.TB, n int) (string, []string) {
	tb.Helper()
	ctx := context.Background()
	a, err := e.svc.AdminCreateAccount(ctx, openchime.NewAccount{Name: "lwa", Type: openchime.EnterpriseLWA})
	if err != nil {
		tb.Fatal(err)
	}
	news := make([]openchime.NewUser, n)
	for i := range news {
		news[i] = openchime.NewUser{PrimaryEmail: "u" + string(rune('a'+i)) + "@example.com", RegistrationStatus: openchime.Suspended}
	}
	users, err := e.svc.AdminCreateUsers(ctx, a.ID, news)
	if err != nil {
		tb.Fatal(err)
	}
	ids := make([]string, n)
	for i, u := range users {
		ids[i] = u.ID
	}
	return a.ID, ids
}

func (e *obsEnv) MustAddFault(tb testing.TB, rule map[string]any) httpapi.FaultRule {
	tb.Helper()
	var out struct{ Fault httpapi.FaultRule }
	if st := e.do(tb, "POST", "/_openchime/faults", rule, &out); st != http.StatusCreated {
		tb.Fatalf("add fault %v: status=%d, want 201", rule, st)
	}
	return out.Fault
}

func (e *obsEnv) faults(tb testing.TB) []httpapi.FaultRule {
	tb.Helper()
	var out struct{ Faults []httpapi.FaultRule }
	e.do(tb, "GET", "/_openchime/faults", nil, &out)
	return out.Faults
}

func (e *obsEnv) status(tb testing.TB, accountID, userID string) string {
	tb.Helper()
	out, err := e.chime.GetUser(context.Background(), &awschime.GetUserInput{AccountId: &accountID, UserId: &userID})
	if err != nil {
		tb.Fatal(err)
	}
	return string(out.User.UserRegistrationStatus)
}

func TestFaults_BatchUnsuspendUser(t *testing.T) {
	e := MustObsEnv(t)
	ctx := context.Background()
	accountID, ids := e.MustLWAUsers(t, 3)
	rule := e.MustAddFault(t, map[string]any{"Operation": "BatchUnsuspendUser", "AccountId": accountID, "UserId": ids[1], "ErrorCode": "ServiceFailure"})
	if rule.Id == "" {
		t.Fatalf("rule.Id is empty")
	}

	out, err := e.chime.BatchUnsuspendUser(ctx, &awschime.BatchUnsuspendUserInput{AccountId: &accountID, UserIdList: ids})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.UserErrors) != 1 || *out.UserErrors[0].UserId != ids[1] || out.UserErrors[0].ErrorCode != types.ErrorCodeServiceFailure {
		t.Fatalf("UserErrors=%+v, want one ServiceFailure for %s", out.UserErrors, ids[1])
	}
	for i, want := range []string{"Registered", "Suspended", "Registered"} {
		if got := e.status(t, accountID, ids[i]); got != want {
			t.Errorf("user %d status=%s, want %s", i, got, want)
		}
	}

	// The audit event of the request lists the two changed users only.
	reqID, _ := awsmw.GetRequestIDMetadata(out.ResultMetadata)
	events := e.audit(t, "request-id="+reqID)
	if len(events) != 1 || len(events[0].UserIds) != 2 || events[0].UserIds[0] != ids[0] || events[0].UserIds[1] != ids[2] {
		t.Fatalf("audit=%+v, want one event changing users 0 and 2", events)
	}
}

func TestFaults_RequestException(t *testing.T) {
	e := MustObsEnv(t)
	ctx := context.Background()
	acct, err := e.chime.CreateAccount(ctx, &awschime.CreateAccountInput{Name: aws.String("t")})
	if err != nil {
		t.Fatal(err)
	}
	id := acct.Account.AccountId
	e.MustAddFault(t, map[string]any{"Operation": "GetAccount", "Exception": "ThrottledClientException"})

	t.Run("WireShape", func(t *testing.T) {
		req, _ := http.NewRequest("GET", e.srv.URL+"/accounts/"+*id, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct{ Code, Message string }
		json.NewDecoder(resp.Body).Decode(&body)
		if resp.StatusCode != 429 || body.Code != "Throttled" || resp.Header.Get("x-amzn-ErrorType") != "ThrottledClientException" {
			t.Fatalf("status=%d code=%s type=%s, want 429 Throttled ThrottledClientException", resp.StatusCode, body.Code, resp.Header.Get("x-amzn-ErrorType"))
		}
	})
	t.Run("SDK", func(t *testing.T) {
		_, err := e.chime.GetAccount(ctx, &awschime.GetAccountInput{AccountId: id})
		var te *types.ThrottledClientException
		if !errors.As(err, &te) {
			t.Fatalf("err=%v, want ThrottledClientException", err)
		}
	})
	t.Run("OtherOperationUnaffected", func(t *testing.T) {
		if _, err := e.chime.ListAccounts(ctx, &awschime.ListAccountsInput{}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("MatchByAwsAccount", func(t *testing.T) {
		e.do(t, "DELETE", "/_openchime/faults", nil, nil)
		e.MustAddFault(t, map[string]any{"AwsAccountId": "111111111111", "Exception": "AccessDeniedException"})
		other := obsClient(e.srv.URL, "111111111111")
		_, err := other.ListAccounts(ctx, &awschime.ListAccountsInput{})
		// ListAccounts does not model AccessDeniedException, so the SDK
		// returns a generic API error that carries its code.
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" {
			t.Fatalf("err=%v, want AccessDeniedException for 111111111111", err)
		}
		if _, err := e.chime.ListAccounts(ctx, &awschime.ListAccountsInput{}); err != nil {
			t.Fatalf("default account: %v, want no fault", err)
		}
	})
}

// TestFaults_Retries pins how count-limited request faults meet the Go SDK's
// standard retryer: it retries 500 and 503 (3 attempts in all), so a
// ServiceFailure rule with Count below 3 is invisible to the caller, and
// every attempt consumes one firing. 429 ThrottledClientException is not in
// the SDK's retryable set for Chime, so it fails at once.
func TestFaults_Retries(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		exception string
		count     int
		wantErr   bool
		wantFired int
	}{
		{"ServiceFailureException", 1, false, 1},
		{"ServiceFailureException", 2, false, 2},
		{"ServiceFailureException", 3, true, 3},
		{"ServiceUnavailableException", 5, true, 3},
		{"ThrottledClientException", 1, true, 1},
	} {
		t.Run(tc.exception+"x"+string(rune('0'+tc.count)), func(t *testing.T) {
			e := MustObsEnv(t)
			e.MustAddFault(t, map[string]any{"Operation": "ListAccounts", "Exception": tc.exception, "Count": tc.count})
			_, err := e.chime.ListAccounts(ctx, &awschime.ListAccountsInput{})
			if (err != nil) != tc.wantErr {
				t.Fatalf("err=%v, want error %v", err, tc.wantErr)
			}
			if f := e.faults(t)[0].Fired; f != tc.wantFired {
				t.Fatalf("Fired=%d, want %d", f, tc.wantFired)
			}
		})
	}
}

func TestFaults_Limits(t *testing.T) {
	ctx := context.Background()
	t.Run("Expiry", func(t *testing.T) {
		e := MustObsEnv(t)
		e.clock.Freeze()
		e.MustAddFault(t, map[string]any{"Operation": "ListAccounts", "Exception": "ForbiddenException", "TTL": "1m"})
		if _, err := e.chime.ListAccounts(ctx, &awschime.ListAccountsInput{}); err == nil {
			t.Fatal("err=nil before expiry, want ForbiddenException")
		}
		e.clock.Advance(time.Minute)
		if _, err := e.chime.ListAccounts(ctx, &awschime.ListAccountsInput{}); err != nil {
			t.Fatalf("err=%v after expiry, want nil", err)
		}
	})
	t.Run("Latency", func(t *testing.T) {
		e := MustObsEnv(t)
		r := e.MustAddFault(t, map[string]any{"Operation": "ListAccounts", "Latency": "1ms"})
		if r.Latency != "1ms" {
			t.Fatalf("Latency=%q, want 1ms", r.Latency)
		}
		if _, err := e.chime.ListAccounts(ctx, &awschime.ListAccountsInput{}); err != nil {
			t.Fatal(err)
		}
		if f := e.faults(t)[0].Fired; f != 1 {
			t.Fatalf("Fired=%d, want 1", f)
		}
	})
	t.Run("PerUserCount", func(t *testing.T) {
		e := MustObsEnv(t)
		accountID, ids := e.MustLWAUsers(t, 3)
		e.MustAddFault(t, map[string]any{"ErrorCode": "Throttled", "Count": 2})
		out, err := e.chime.BatchUnsuspendUser(ctx, &awschime.BatchUnsuspendUserInput{AccountId: &accountID, UserIdList: ids})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.UserErrors) != 2 || *out.UserErrors[0].UserId != ids[0] || *out.UserErrors[1].UserId != ids[1] {
			t.Fatalf("UserErrors=%+v, want users 0 and 1 throttled", out.UserErrors)
		}
		if got := e.status(t, accountID, ids[2]); got != "Registered" {
			t.Fatalf("user 2 status=%s, want Registered", got)
		}
	})
}

func TestFaults_ControlPlane(t *testing.T) {
	e := MustObsEnv(t)
	a := e.MustAddFault(t, map[string]any{"Exception": "ServiceUnavailableException", "Probability": 0.5, "Count": 3})
	b := e.MustAddFault(t, map[string]any{"Operation": "GetUser", "Latency": "10ms", "ExpiresAt": "2030-01-01T00:00:00Z"})
	if a.Id == b.Id || a.Exception != "ServiceUnavailableException" || *a.Probability != 0.5 || b.ExpiresAt == nil {
		t.Fatalf("added %+v and %+v", a, b)
	}
	if got := e.faults(t); len(got) != 2 {
		t.Fatalf("len(faults)=%d, want 2", len(got))
	}
	if st := e.do(t, "DELETE", "/_openchime/faults/"+a.Id, nil, nil); st != http.StatusNoContent {
		t.Fatalf("delete status=%d, want 204", st)
	}
	if st := e.do(t, "DELETE", "/_openchime/faults/"+a.Id, nil, nil); st != http.StatusNotFound {
		t.Fatalf("second delete status=%d, want 404", st)
	}
	if got := e.faults(t); len(got) != 1 || got[0].Id != b.Id {
		t.Fatalf("faults=%+v, want only %s", got, b.Id)
	}
	if st := e.do(t, "DELETE", "/_openchime/faults", nil, nil); st != http.StatusNoContent || len(e.faults(t)) != 0 {
		t.Fatalf("clear: status=%d, faults=%d, want 204 and none", st, len(e.faults(t)))
	}
	e.MustAddFault(t, map[string]any{"Exception": "ServiceFailureException"})
	if st := e.do(t, "POST", "/_openchime/reset", nil, nil); st != http.StatusNoContent || len(e.faults(t)) != 0 {
		t.Fatalf("reset: status=%d, faults=%d, want 204 and none", st, len(e.faults(t)))
	}
	for _, bad := range []map[string]any{
		{"Exception": "NoSuchException"},
		{"ErrorCode": "Nope"},
		{},
		{"Exception": "BadRequestException", "ErrorCode": "BadRequest"},
		{"UserId": "u", "Exception": "BadRequestException"},
		{"Latency": "soon"},
		{"Exception": "BadRequestException", "Probability": 0},
		{"Exception": "BadRequestException", "Probability": 1.5},
		{"Exception": "BadRequestException", "Operation": "NotAnOperation"},
		{"Exception": "BadRequestException", "TTL": "1m", "ExpiresAt": "2030-01-01T00:00:00Z"},
		{"Exception": "BadRequestException", "Bogus": 1},
	} {
		var out struct{ Code, Message string }
		if st := e.do(t, "POST", "/_openchime/faults", bad, &out); st != 400 || out.Code != "BadRequest" || out.Message == "" {
			t.Errorf("POST %v: status=%d code=%s, want 400 BadRequest with a message", bad, st, out.Code)
		}
	}
}

func TestMetrics_Scrape(t *testing.T) {
	e := MustObsEnv(t)
	ctx := context.Background()
	accountID, ids := e.MustLWAUsers(t, 3)
	for range 2 {
		if _, err := e.chime.GetAccount(ctx, &awschime.GetAccountInput{AccountId: &accountID}); err != nil {
			t.Fatal(err)
		}
	}
	e.chime.GetAccount(ctx, &awschime.GetAccountInput{AccountId: aws.String("00000000-0000-4000-8000-000000000000")})
	if _, err := e.chime.BatchUnsuspendUser(ctx, &awschime.BatchUnsuspendUserInput{AccountId: &accountID, UserIdList: ids[:1]}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/metrics", "/_openchime/metrics"} {
		resp, err := http.Get(e.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		text := string(raw)
		for _, want := range []string{
			`openchime_requests_total{operation="GetAccount",status="200"} 2`,
			`openchime_requests_total{operation="GetAccount",status="404"} 1`,
			`openchime_errors_total{code="NotFound",operation="GetAccount"} 1`,
			`openchime_request_duration_seconds_count{operation="GetAccount"} 3`,
			`openchime_users{status="Registered"} 1`,
			`openchime_users{status="Suspended"} 2`,
			`openchime_store_duration_seconds_count{method="update"}`,
			`openchime_store_duration_seconds_count{method="view"}`,
		} {
			if !strings.Contains(text, want) {
				t.Errorf("%s lacks %q", path, want)
			}
		}
	}
}

// audit lists the audit events matching the query.
func (e *obsEnv) audit(tb testing.TB, query string) []httpapi.AuditEvent {
	tb.Helper()
	var out struct{ Events []httpapi.AuditEvent }
	if st := e.do(tb, "GET", "/_openchime/audit?"+query, nil, &out); st != 200 {
		tb.Fatalf("audit?%s: status=%d, want 200", query, st)
	}
	return out.Events
}

func TestAudit_List(t *testing.T) {
	e := MustObsEnv(t)
	ctx := context.Background()
	e.clock.Set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	e.clock.Freeze()

	acct, err := e.chime.CreateAccount(ctx, &awschime.CreateAccountInput{Name: aws.String("audited")})
	if err != nil {
		t.Fatal(err)
	}
	reqID, _ := awsmw.GetRequestIDMetadata(acct.ResultMetadata)
	accountID := *acct.Account.AccountId
	var created struct{ Users []httpapi.User }
	e.clock.Advance(time.Second)
	e.do(t, "POST", "/_openchime/accounts/"+accountID+"/users", map[string]any{"Users": []map[string]string{
		{"PrimaryEmail": "a@example.com"}, {"PrimaryEmail": "b@example.com"}}}, &created)
	e.clock.Advance(time.Second)
	ids := []string{created.Users[0].UserId, created.Users[1].UserId}
	sus, err := e.chime.BatchSuspendUser(ctx, &awschime.BatchSuspendUserInput{AccountId: &accountID, UserIdList: ids[:1]})
	if err != nil {
		t.Fatal(err)
	}
	susID, _ := awsmw.GetRequestIDMetadata(sus.ResultMetadata)
	// A write that fails leaves no event: the event shares its transaction.
	e.do(t, "POST", "/_openchime/accounts/"+accountID+"/users", map[string]any{"PrimaryEmail": "a@example.com"}, nil)

	t.Run("All", func(t *testing.T) {
		events := e.audit(t, "")
		var ops []string
		for _, ev := range events {
			ops = append(ops, ev.Operation)
		}
		if strings.Join(ops, ",") != "CreateAccount,AdminCreateUsers,BatchSuspendUser" {
			t.Fatalf("operations=%v, want CreateAccount,AdminCreateUsers,BatchSuspendUser", ops)
		}
	})
	t.Run("RequestID", func(t *testing.T) {
		events := e.audit(t, "request-id="+reqID)
		if len(events) != 1 || events[0].Operation != "CreateAccount" || events[0].AccountId != accountID ||
			events[0].AccessKeyId != "AKIDEXAMPLE" || events[0].AwsAccountId != openchime.DefaultAwsAccountID {
			t.Fatalf("events=%+v, want the CreateAccount of %s by AKIDEXAMPLE", events, accountID)
		}
		c := events[0].Changes
		if len(c) != 1 || c[0].Kind != "account" || c[0].Before != nil || !strings.Contains(string(c[0].After), `"audited"`) {
			t.Fatalf("changes=%+v, want the new account as After", c)
		}
	})
	t.Run("UserBeforeAfter", func(t *testing.T) {
		events := e.audit(t, "user-id="+ids[0]+"&operation=BatchSuspendUser")
		if len(events) != 1 || events[0].RequestId != susID {
			t.Fatalf("events=%+v, want the suspension with request id %s", events, susID)
		}
		var before, after map[string]any
		json.Unmarshal(events[0].Changes[0].Before, &before)
		json.Unmarshal(events[0].Changes[0].After, &after)
		// An update records the fields that changed, under the API's names
		// (docs/formats.md), an unset one as null; the PIN, unchanged here,
		// is not among them, and never appears in clear.
		if r, ok := before["RemovedTimestamp"]; !ok || r != nil || after["RemovedTimestamp"] == nil || (after["PersonalPIN"] != nil && after["PersonalPIN"] != "redacted") {
			t.Fatalf("before=%+v after=%+v, want the Team user removed and no PIN in clear", before, after)
		}
		if got := e.audit(t, "user-id="+ids[1]); len(got) != 1 || got[0].Operation != "AdminCreateUsers" {
			t.Fatalf("events of user 1=%+v, want its creation only", got)
		}
	})
	t.Run("TimeRange", func(t *testing.T) {
		if got := e.audit(t, "since=2026-01-01T00:00:01Z"); len(got) != 2 {
			t.Fatalf("since: %d events, want 2", len(got))
		}
		if got := e.audit(t, "account-id="+accountID+"&until=2026-01-01T00:00:01Z"); len(got) != 1 {
			t.Fatalf("until: %d events, want 1", len(got))
		}
	})
	t.Run("Pages", func(t *testing.T) {
		var ops []string
		token := ""
		for range 5 {
			var out struct {
				Events    []httpapi.AuditEvent
				NextToken string
			}
			e.do(t, "GET", "/_openchime/audit?max-results=1&next-token="+token, nil, &out)
			for _, ev := range out.Events {
				ops = append(ops, ev.Operation)
			}
			if token = out.NextToken; token == "" {
				break
			}
		}
		if len(ops) != 3 {
			t.Fatalf("paged operations=%v, want 3", ops)
		}
	})
	t.Run("BadInput", func(t *testing.T) {
		for _, q := range []string{"max-results=0", "since=yesterday", "next-token=junk", "max-results=1&next-token=" + "x"} {
			if st := e.do(t, "GET", "/_openchime/audit?"+q, nil, nil); st != 400 {
				t.Errorf("audit?%s: status=%d, want 400", q, st)
			}
		}
	})
}

func TestFaults_BatchUpdateUser(t *testing.T) {
	e := MustObsEnv(t)
	ctx := context.Background()
	accountID, ids := e.MustLWAUsers(t, 3)
	e.MustAddFault(t, map[string]any{"Operation": "BatchUpdateUser", "UserId": ids[0], "ErrorCode": "Conflict", "Message": "busy"})
	items := make([]types.UpdateUserRequestItem, len(ids))
	for i, id := range ids {
		items[i] = types.UpdateUserRequestItem{UserId: aws.String(id), LicenseType: types.LicenseBasic}
	}
	out, err := e.chime.BatchUpdateUser(ctx, &awschime.BatchUpdateUserInput{AccountId: &accountID, UpdateUserRequestItems: items})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.UserErrors) != 1 || *out.UserErrors[0].UserId != ids[0] || out.UserErrors[0].ErrorCode != types.ErrorCodeConflict || *out.UserErrors[0].ErrorMessage != "busy" {
		t.Fatalf("UserErrors=%+v, want one Conflict \"busy\" for %s", out.UserErrors, ids[0])
	}
	for i, want := range []types.License{types.LicensePro, types.LicenseBasic, types.LicenseBasic} {
		u, err := e.chime.GetUser(ctx, &awschime.GetUserInput{AccountId: &accountID, UserId: &ids[i]})
		if err != nil {
			t.Fatal(err)
		}
		if u.User.LicenseType != want {
			t.Errorf("user %d licence=%s, want %s", i, u.User.LicenseType, want)
		}
	}
	reqID, _ := awsmw.GetRequestIDMetadata(out.ResultMetadata)
	events := e.audit(t, "request-id="+reqID)
	if len(events) != 1 || events[0].Operation != "BatchUpdateUser" || len(events[0].Changes) != 2 {
		t.Fatalf("audit=%+v, want one BatchUpdateUser event with 2 changes", events)
	}
}

func TestAudit_Lifecycle(t *testing.T) {
	e := MustObsEnv(t)
	ctx := context.Background()
	accountID, ids := e.MustLWAUsers(t, 1)
	upd, err := e.chime.UpdateAccount(ctx, &awschime.UpdateAccountInput{AccountId: &accountID, Name: aws.String("renamed")})
	if err != nil {
		t.Fatal(err)
	}
	pin, err := e.chime.ResetPersonalPIN(ctx, &awschime.ResetPersonalPINInput{AccountId: &accountID, UserId: &ids[0]})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		reqID, op, before, after string
	}{
		{requestID(upd.ResultMetadata), "UpdateAccount", `"Name":"lwa"`, `"Name":"renamed"`},
		{requestID(pin.ResultMetadata), "ResetPersonalPIN", `"PersonalPIN":"redacted"`, `"PersonalPIN":"redacted"`},
	} {
		events := e.audit(t, "request-id="+tc.reqID)
		if len(events) != 1 || events[0].Operation != tc.op || len(events[0].Changes) != 1 ||
			!strings.Contains(string(events[0].Changes[0].Before), tc.before) || !strings.Contains(string(events[0].Changes[0].After), tc.after) {
			t.Errorf("audit of %s=%+v, want Before with %s and After with %s", tc.op, events, tc.before, tc.after)
		}
	}
}

func requestID(md middleware.Metadata) string {
	id, _ := awsmw.GetRequestIDMetadata(md)
	return id
}

func TestMetrics_AdminToken(t *testing.T) {
	e := MustObsEnv(t)
	e.srv.Config.Handler.(*httpapi.Server).AdminToken = "s3cret"
	for _, tc := range []struct {
		auth string
		want int
	}{{"", 401}, {"Bearer wrong", 403}, {"Bearer s3cret", 200}} {
		req, _ := http.NewRequest("GET", e.srv.URL+"/metrics", nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("GET /metrics with %q: status=%d, want %d", tc.auth, resp.StatusCode, tc.want)
		}
	}
}
