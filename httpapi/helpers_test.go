package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awschime "github.com/aws/aws-sdk-go-v2/service/chime"
	"github.com/aws/aws-sdk-go-v2/service/chime/types"
	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/httpapi"
)

// lifecycleEnv is an OpenChime server on httptest over an in-memory SQLite
// store, with a frozen clock and seeded ids, and a real Chime client for it.
type lifecycleEnv struct {
	t     testing.TB
	URL   string
	Svc   *openchime.Service
	Clock *openchime.ControlClock
	// Chime signs with an access key that is not an AWS account id, so it
	// acts for the server's default AWS account.
	Chime *awschime.Client
}

// newLifecycleClient starts a server for the test and returns its client;
// everything is closed when the test ends.
func newLifecycleClient(tb testing.TB) *lifecycleEnv {
	tb.Helper()
	store := newTestStore(tb)
	svc := openchime.NewService(store)
	clock := &openchime.ControlClock{}
	clock.Freeze()
	clock.Set(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	svc.Clock, svc.IDs = clock, openchime.NewSeededIDs(1)
	srv := httpapi.NewServer(svc)
	srv.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	ts := httptest.NewServer(srv)
	tb.Cleanup(ts.Close)
	e := &lifecycleEnv{t: tb, URL: ts.URL, Svc: svc, Clock: clock}
	e.Chime = e.clientFor("AKIDEXAMPLE")
	return e
}

// clientFor returns a Chime client that signs with accessKey; a 12-digit key
// acts for that AWS account.
func (e *lifecycleEnv) clientFor(accessKey string) *awschime.Client {
	return awschime.New(awschime.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(e.URL),
		Credentials:      credentials.NewStaticCredentialsProvider(accessKey, "secret", ""),
		RetryMaxAttempts: 1,
	})
}

// control calls the control plane with a JSON body (nil for none), decodes
// the answer into out when it is not nil, and returns the status.
func (e *lifecycleEnv) control(method, path string, body, out any) int {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			e.t.Fatalf("%s %s: decode %s: %v", method, path, data, err)
		}
	}
	return resp.StatusCode
}

// MustCreateAccount creates an account through the control plane: Team
// through the API cannot make the other types, statuses or claimed domains.
func (e *lifecycleEnv) MustCreateAccount(typ openchime.AccountType, status openchime.AccountStatus, domains ...string) string {
	e.t.Helper()
	var out struct{ Account struct{ AccountId string } }
	in := map[string]any{"Name": "acct-" + string(typ), "AccountType": typ, "AccountStatus": status}
	if domains != nil {
		in["ClaimedDomains"] = domains
	}
	if st := e.control("POST", "/_openchime/accounts", in, &out); st != http.StatusCreated {
		e.t.Fatalf("create %s account: status %d", typ, st)
	}
	return out.Account.AccountId
}

// MustCreateUser adds a user in the given status through the control plane.
func (e *lifecycleEnv) MustCreateUser(accountID, email string, status openchime.RegistrationStatus) string {
	e.t.Helper()
	var out struct{ User struct{ UserId string } }
	in := map[string]any{"PrimaryEmail": email, "UserRegistrationStatus": status}
	if st := e.control("POST", "/_openchime/accounts/"+accountID+"/users", in, &out); st != http.StatusCreated {
		e.t.Fatalf("create user %s: status %d", email, st)
	}
	return out.User.UserId
}

// cpUser is the control plane's view of a user.
type cpUser struct {
	UserId                 string
	UserRegistrationStatus string
	UserInvitationStatus   string
	LicenseType            string
	PersonalPIN            string
	RemovedTimestamp       string
	LastLogoutTimestamp    string
}

// MustAdminUser reads a user through the control plane.
func (e *lifecycleEnv) MustAdminUser(accountID, userID string) cpUser {
	e.t.Helper()
	var out struct{ User cpUser }
	if st := e.control("GET", "/_openchime/accounts/"+accountID+"/users/"+userID, nil, &out); st != http.StatusOK {
		e.t.Fatalf("control-plane GET user %s: status %d", userID, st)
	}
	return out.User
}

// MustGetUser reads a user through the API.
func (e *lifecycleEnv) MustGetUser(accountID, userID string) *types.User {
	e.t.Helper()
	out, err := e.Chime.GetUser(context.Background(), &awschime.GetUserInput{AccountId: &accountID, UserId: &userID})
	if err != nil {
		e.t.Fatalf("GetUser(%s): %v", userID, err)
	}
	return out.User
}

// wantException checks that err is the typed SDK exception E whose Code field is
// code and whose message contains msg, and returns it.
func wantException[E error](tb testing.TB, err error, code types.ErrorCode, msg string) E {
	tb.Helper()
	var e E
	if !errors.As(err, &e) {
		tb.Fatalf("err=%v (%T), want %T", err, err, e)
	}
	v := reflect.ValueOf(e).Elem()
	if got := types.ErrorCode(v.FieldByName("Code").String()); got != code {
		tb.Errorf("%T Code=%q, want %q", e, got, code)
	}
	if m := v.FieldByName("Message"); msg != "" && (m.IsNil() || !strings.Contains(m.Elem().String(), msg)) {
		tb.Errorf("%T message=%q, want it to contain %q", e, err.Error(), msg)
	}
	return e
}
