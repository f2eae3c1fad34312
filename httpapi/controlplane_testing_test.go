package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awschime "github.com/aws/aws-sdk-go-v2/service/chime"
	"github.com/aws/aws-sdk-go-v2/service/chime/types"
	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/chimetest"
)

// MustDo sends a control-plane request and returns the status, the error
// type header and the body.
func MustDo(tb testing.TB, method, url, body string) (int, string, []byte) {
	tb.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), b
}

func TestServer_Clock(t *testing.T) {
	srv := chimetest.NewServer(t)
	url := srv.URL() + "/_openchime/clock"
	steps := []struct {
		name, body string
		want       string
	}{
		{"SetAndFreeze", `{"Time":"2030-01-02T03:04:05Z","Frozen":true}`, `{"Time":"2030-01-02T03:04:05.000Z","Frozen":true}`},
		{"Advance", `{"Advance":"90s"}`, `{"Time":"2030-01-02T03:05:35.000Z","Frozen":true}`},
		{"EmptyShows", ``, `{"Time":"2030-01-02T03:05:35.000Z","Frozen":true}`},
	}
	for _, st := range steps {
		status, _, body := MustDo(t, "POST", url, st.body)
		if status != http.StatusOK || string(body) != st.want {
			t.Fatalf("%s: %d %s, want 200 %s", st.name, status, body, st.want)
		}
	}
	if _, _, body := MustDo(t, "GET", url, ""); string(body) != steps[1].want {
		t.Fatalf("GET clock = %s, want %s", body, steps[1].want)
	}
	if got := srv.CreateAccount(t, openchime.Team).CreatedAt; !got.Equal(time.Date(2030, 1, 2, 3, 5, 35, 0, time.UTC)) {
		t.Fatalf("CreatedAt = %v, want the frozen time", got)
	}
	status, _, body := MustDo(t, "POST", url, `{"Frozen":false}`)
	var st struct {
		Time   time.Time
		Frozen bool
	}
	if err := json.Unmarshal(body, &st); err != nil || status != http.StatusOK || st.Frozen || st.Time.Year() != 2030 {
		t.Fatalf("unfreeze = %d %s, want a running clock in 2030", status, body)
	}
	for name, bad := range map[string]string{
		"Advance":     `{"Advance":"soon"}`,
		"Negative":    `{"Advance":"-1h"}`,
		"Time":        `{"Time":"tomorrow"}`,
		"UnknownName": `{"Freeze":true}`,
	} {
		status, errType, body := MustDo(t, "POST", url, bad)
		if status != http.StatusBadRequest || errType != "BadRequestException" {
			t.Errorf("%s: %d %q %s, want 400 BadRequestException", name, status, errType, body)
		}
	}
}

func TestServer_Seed(t *testing.T) {
	srv := chimetest.NewServer(t)
	fixture, err := os.ReadFile("../examples/fixture.json")
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Created, Unchanged int
		Accounts           []struct {
			AccountId string
			Users     []struct{ UserId, UserRegistrationStatus string }
		}
	}
	for i, want := range [][2]int{{8, 0}, {0, 8}} {
		status, _, body := MustDo(t, "POST", srv.URL()+"/_openchime/seed", string(fixture))
		if err := json.Unmarshal(body, &out); err != nil || status != http.StatusOK {
			t.Fatalf("seed %d: %d %s", i, status, body)
		}
		if out.Created != want[0] || out.Unchanged != want[1] {
			t.Fatalf("seed %d: Created=%d Unchanged=%d, want %v", i, out.Created, out.Unchanged, want)
		}
	}
	if got := out.Accounts[0].Users[1].UserRegistrationStatus; got != "Suspended" {
		t.Fatalf("bob = %s, want Suspended", got)
	}
	status, errType, body := MustDo(t, "POST", srv.URL()+"/_openchime/seed", `{"Accounts":[{"Name":"X","AccountType":"Nope"}]}`)
	if status != http.StatusBadRequest || errType != "BadRequestException" || !bytes.Contains(body, []byte("Accounts[0]")) {
		t.Fatalf("bad fixture: %d %q %s, want 400 naming Accounts[0]", status, errType, body)
	}
}

func TestServer_Snapshot(t *testing.T) {
	src := chimetest.NewServer(t, chimetest.WithIDSeed(3), chimetest.WithFrozenTime(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)))
	res := src.LoadFixtureFile(t, "../examples/fixture.json")
	team := res.Accounts[1]
	// A Team user suspended is removed (a tombstone the snapshot must keep).
	if _, err := src.Client().BatchSuspendUser(context.Background(), &awschime.BatchSuspendUserInput{
		AccountId: aws.String(team.Account.ID), UserIdList: []string{team.Users[0].ID}}); err != nil {
		t.Fatal(err)
	}
	// Phone numbers and their order are resource records of two kinds.
	if _, err := src.Client().CreatePhoneNumberOrder(context.Background(), &awschime.CreatePhoneNumberOrderInput{
		ProductType: types.PhoneNumberProductTypeBusinessCalling, E164PhoneNumbers: []string{"+12065550100"}}); err != nil {
		t.Fatal(err)
	}
	status, _, saved := MustDo(t, "GET", src.URL()+"/_openchime/snapshot", "")
	if status != http.StatusOK || !bytes.HasPrefix(saved, []byte("{\n  \"FormatVersion\": 2,")) {
		t.Fatalf("GET snapshot = %d %.80s", status, saved)
	}

	dst := chimetest.NewServer(t)
	dst.CreateAccount(t, openchime.Team) // replaced by the restore
	if status, _, body := MustDo(t, "PUT", dst.URL()+"/_openchime/snapshot", string(saved)); status != http.StatusOK {
		t.Fatalf("PUT snapshot = %d %s", status, body)
	}
	if _, _, got := MustDo(t, "GET", dst.URL()+"/_openchime/snapshot", ""); !bytes.Equal(got, saved) {
		t.Fatalf("restored snapshot differs:\n%s\nwant:\n%s", got, saved)
	}
	numbers, err := dst.Client().ListPhoneNumbers(context.Background(), &awschime.ListPhoneNumbersInput{})
	if err != nil || len(numbers.PhoneNumbers) != 1 || aws.ToString(numbers.PhoneNumbers[0].E164PhoneNumber) != "+12065550100" {
		t.Fatalf("restored phone numbers = %+v, %v; want +12065550100", numbers, err)
	}

	for name, bad := range map[string]string{
		"Empty":   ``,
		"Garbage": `{"Version":1,`,
		"Version": `{"Version":9}`,
		"Unknown": `{"Version":1,"Accounts":[],"Extra":true}`,
	} {
		status, errType, body := MustDo(t, "PUT", dst.URL()+"/_openchime/snapshot", bad)
		if status != http.StatusBadRequest || errType != "BadRequestException" {
			t.Errorf("%s: %d %q %s, want 400 BadRequestException", name, status, errType, body)
		}
	}
	if _, _, got := MustDo(t, "GET", dst.URL()+"/_openchime/snapshot", ""); !bytes.Equal(got, saved) {
		t.Fatalf("a refused PUT changed the state")
	}
}

// TestServer_RequestIDs checks that request ids come from their own
// sequence: requests before a create do not shift the id it gets.
func TestServer_RequestIDs(t *testing.T) {
	ctx := context.Background()
	create := func(srv *chimetest.Server) string {
		out, err := srv.Client().CreateAccount(ctx, &awschime.CreateAccountInput{Name: aws.String("A")})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.Account.AccountId)
	}
	quiet := chimetest.NewServer(t, chimetest.WithIDSeed(5))
	busy := chimetest.NewServer(t, chimetest.WithIDSeed(5))
	for range 5 {
		if _, err := busy.Client().ListAccounts(ctx, &awschime.ListAccountsInput{}); err != nil {
			t.Fatal(err)
		}
	}
	if a, b := create(quiet), create(busy); a != b {
		t.Fatalf("account ids %s and %s differ: requests shifted the id sequence", a, b)
	}
	// Two servers of the same seed number their requests alike.
	requestID := func(srv *chimetest.Server) string {
		resp, err := http.Get(srv.URL() + "/_openchime/health")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header.Get("x-amzn-RequestId")
	}
	one, two := chimetest.NewServer(t, chimetest.WithIDSeed(5)), chimetest.NewServer(t, chimetest.WithIDSeed(5))
	if a, b := requestID(one), requestID(two); a == "" || a != b {
		t.Fatalf("request ids %q and %q, want equal and set", a, b)
	}
}

// A clock past year 9999 would make every later write fail to encode its
// timestamps, so such a change is refused and leaves the clock as it was.
func TestServer_ClockPastYear9999(t *testing.T) {
	srv := chimetest.NewServer(t)
	url := srv.URL() + "/_openchime/clock"
	const at = `{"Time":"9999-12-30T00:00:00.000Z","Frozen":true}`
	if status, _, body := MustDo(t, "POST", url, at); status != http.StatusOK || string(body) != at {
		t.Fatalf("set = %d %s, want 200 %s", status, body, at)
	}
	for _, bad := range []string{`{"Advance":"48h"}`, `{"Time":"9999-12-31T23:00:00Z","Advance":"2h"}`} {
		status, errType, body := MustDo(t, "POST", url, bad)
		if status != http.StatusBadRequest || errType != "BadRequestException" || !strings.Contains(string(body), "9999-12-31") {
			t.Errorf("%s: %d %s %s, want 400 BadRequestException naming the limit", bad, status, errType, body)
		}
	}
	if _, _, body := MustDo(t, "GET", url, ""); string(body) != at {
		t.Fatalf("clock after refused changes = %s, want %s", body, at)
	}
	srv.CreateAccount(t, openchime.Team) // writes still encode their timestamps
}

// A control-plane body is one JSON value, as on the API: what follows it is
// refused, not ignored after the first value has been acted on.
func TestDecodeJSON_TrailingData(t *testing.T) {
	srv := chimetest.NewServer(t)
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/_openchime/accounts", `{"Name":"first"} {"Name":"second"}`},
		{"POST", "/_openchime/accounts", `{"Name":"first"} garbage`},
		{"PUT", "/_openchime/config", `{"MaxPhoneNumbers":7} x`},
	} {
		status, errType, body := MustDo(t, c.method, srv.URL()+c.path, c.body)
		if status != http.StatusBadRequest || errType != "BadRequestException" || !strings.Contains(string(body), "JSON") {
			t.Errorf("%s %s %s: %d %s %s, want 400 BadRequestException", c.method, c.path, c.body, status, errType, body)
		}
	}
	if _, _, body := MustDo(t, "GET", srv.URL()+"/_openchime/accounts", ""); strings.Contains(string(body), "first") {
		t.Errorf("accounts after refused bodies = %s, want none named first", body)
	}
	if _, _, body := MustDo(t, "GET", srv.URL()+"/_openchime/config", ""); strings.Contains(string(body), `"MaxPhoneNumbers":7`) {
		t.Errorf("config after a refused body = %s, want MaxPhoneNumbers unchanged", body)
	}
}

// A timestamp that does not parse is named with an example of the form, not
// with Go's layout string.
func TestTimestamp_UnmarshalJSONMessage(t *testing.T) {
	srv := chimetest.NewServer(t)
	for _, bad := range []string{`{"Time":"tomorrow"}`, `{"Time":12}`} {
		status, errType, body := MustDo(t, "POST", srv.URL()+"/_openchime/clock", bad)
		if status != http.StatusBadRequest || errType != "BadRequestException" ||
			!strings.Contains(string(body), "2030-01-02T03:04:05Z") || strings.Contains(string(body), "2006") {
			t.Errorf("%s: %d %s %s, want 400 with an example time and no Go layout", bad, status, errType, body)
		}
	}
}
