package console_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/console"
	"github.com/openchime/openchime/faults"
	"github.com/openchime/openchime/sqlite"
)

type env struct {
	*httptest.Server
	svc    *openchime.Service
	client *http.Client
}

func newEnv(t *testing.T, token string) *env {
	t.Helper()
	store, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	svc := openchime.NewService(store)
	svc.Faults = faults.New(svc.Clock) // as httpapi.NewServer gives it in openchime serve
	ts := httptest.NewServer(console.New(svc, token))
	t.Cleanup(ts.Close)
	jar, _ := cookiejar.New(nil)
	return &env{Server: ts, svc: svc, client: &http.Client{Jar: jar}}
}

func (e *env) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := e.client.Get(e.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (e *env) post(t *testing.T, path string, form url.Values) (int, string) {
	t.Helper()
	resp, err := e.client.PostForm(e.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrf(t *testing.T, page string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token in page")
	}
	return m[1]
}

func TestConsole_SuspendUnsuspend(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	a, _ := e.svc.AdminCreateAccount(ctx, openchime.NewAccount{Name: "Acme LWA", Type: openchime.EnterpriseLWA})
	users, _ := e.svc.AdminCreateUsers(ctx, a.ID, []openchime.NewUser{
		{PrimaryEmail: "a@example.com", RegistrationStatus: openchime.Suspended},
		{PrimaryEmail: "b@example.com", RegistrationStatus: openchime.Suspended},
		{PrimaryEmail: "c@example.com", RegistrationStatus: openchime.Suspended},
	})
	st, page := e.get(t, console.Prefix+"accounts/"+a.ID)
	if st != 200 || !strings.Contains(page, "a@example.com") || !strings.Contains(page, "Acme LWA") {
		t.Fatalf("account page: %d", st)
	}
	form := url.Values{"csrf": {csrf(t, page)}, "action": {"unsuspend"}, "user": {users[0].ID, users[1].ID}, "ids": {"ghost-id"}}
	st, page = e.post(t, console.Prefix+"accounts/"+a.ID+"/batch", form)
	if st != 200 || !strings.Contains(page, "ghost-id") || !strings.Contains(page, "NotFound") {
		t.Fatalf("batch result: %d %s", st, page)
	}
	for i, want := range []openchime.RegistrationStatus{openchime.Registered, openchime.Registered, openchime.Suspended} {
		u, _ := e.svc.GetUser(openchime.NewContextWithCaller(ctx, openchime.Caller{AwsAccountID: a.AwsAccountID}), a.ID, users[i].ID)
		if u.RegistrationStatus != want {
			t.Errorf("user %d is %s, want %s", i, u.RegistrationStatus, want)
		}
	}
	// Filters.
	_, page = e.get(t, console.Prefix+"accounts/"+a.ID+"?status=Suspended")
	if strings.Contains(page, "a@example.com") || !strings.Contains(page, "c@example.com") {
		t.Fatalf("status filter shows the wrong users")
	}
	_, page = e.get(t, console.Prefix+"accounts/"+a.ID+"?email=B@example.com")
	if !strings.Contains(page, "b@example.com") || strings.Contains(page, "c@example.com") {
		t.Fatalf("email search shows the wrong users")
	}
	st, page = e.get(t, console.Prefix+"accounts/"+a.ID+"/users/"+users[0].ID)
	if st != 200 || !strings.Contains(page, users[0].PersonalPIN) {
		t.Fatalf("user page: %d", st)
	}
}

func TestConsole_CSRF(t *testing.T) {
	e := newEnv(t, "")
	_, page := e.get(t, console.Prefix)
	st, _ := e.post(t, console.Prefix+"accounts", url.Values{"name": {"x"}, "type": {"Team"}})
	if st != http.StatusForbidden {
		t.Fatalf("form without CSRF token: %d, want 403", st)
	}
	st, page = e.post(t, console.Prefix+"accounts", url.Values{"name": {"Made in the console"}, "type": {"EnterpriseLWA"}, "csrf": {csrf(t, page)}})
	if st != 200 || !strings.Contains(page, "Made in the console") || !strings.Contains(page, "EnterpriseLWA") {
		t.Fatalf("create account: %d", st)
	}
}

func TestConsole_AdminToken(t *testing.T) {
	e := newEnv(t, "s3cret")
	st, page := e.get(t, console.Prefix)
	if st != 200 || !strings.Contains(page, "Admin token") {
		t.Fatalf("without a session: %d, want the login form", st)
	}
	st, _ = e.post(t, console.Prefix+"login", url.Values{"token": {"wrong"}})
	if st != http.StatusForbidden {
		t.Fatalf("wrong token: %d, want 403", st)
	}
	st, page = e.post(t, console.Prefix+"login", url.Values{"token": {"s3cret"}})
	if st != 200 || !strings.Contains(page, "AWS accounts") {
		t.Fatalf("right token: %d", st)
	}
	resp, _ := http.Get(e.URL + console.Prefix + "static/style.css")
	if resp.StatusCode != 200 {
		t.Fatalf("static asset: %d", resp.StatusCode)
	}
}

func TestConsole_LifecycleActions(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	team, _ := e.svc.AdminCreateAccount(ctx, openchime.NewAccount{Name: "Team A", Type: openchime.Team})
	owner := openchime.NewContextWithCaller(ctx, openchime.Caller{AwsAccountID: team.AwsAccountID})
	_, page := e.get(t, console.Prefix+"accounts/"+team.ID)
	token := csrf(t, page)
	st, page := e.post(t, console.Prefix+"accounts/"+team.ID+"/invite", url.Values{"csrf": {token}, "emails": {"x@example.com\ny@example.com"}})
	if st != 200 || !strings.Contains(page, "x@example.com: Pending") {
		t.Fatalf("invite: %d %s", st, page)
	}
	users, _, _ := e.svc.ListUsers(owner, openchime.ListUsersInput{AccountID: team.ID})
	if len(users) != 2 {
		t.Fatalf("%d users after invite", len(users))
	}
	u := users[0]
	st, page = e.post(t, console.Prefix+"accounts/"+team.ID+"/users/"+u.ID+"/license", url.Values{"csrf": {token}, "license": {"Basic"}})
	if st != 200 || !strings.Contains(page, "UpdateUser done") {
		t.Fatalf("update licence: %d", st)
	}
	e.post(t, console.Prefix+"accounts/"+team.ID+"/users/"+u.ID+"/reset-pin", url.Values{"csrf": {token}})
	got, _ := e.svc.GetUser(owner, team.ID, u.ID)
	if got.LicenseType != openchime.Basic || got.PersonalPIN == u.PersonalPIN {
		t.Fatalf("after actions: licence %s, PIN changed %v", got.LicenseType, got.PersonalPIN != u.PersonalPIN)
	}
	// A Team account with users cannot be deleted; the page says why.
	st, page = e.post(t, console.Prefix+"accounts/"+team.ID+"/delete", url.Values{"csrf": {token}})
	if !strings.Contains(page, "DeleteAccount failed") {
		t.Fatalf("delete with users: %d", st)
	}
	e.svc.BatchSuspendUser(owner, team.ID, []string{users[0].ID, users[1].ID})
	st, page = e.post(t, console.Prefix+"accounts/"+team.ID+"/delete", url.Values{"csrf": {token}})
	if st != 200 || !strings.Contains(page, "(deleted)") {
		t.Fatalf("delete: %d", st)
	}
}

func TestConsole_OperatorViews(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	a, _ := e.svc.AdminCreateAccount(ctx, openchime.NewAccount{Name: "LWA", Type: openchime.EnterpriseLWA})
	users, _ := e.svc.AdminCreateUsers(ctx, a.ID, []openchime.NewUser{{PrimaryEmail: "a@example.com", RegistrationStatus: openchime.Suspended}})
	owner := openchime.NewContextWithCaller(ctx, openchime.Caller{AwsAccountID: a.AwsAccountID, RequestID: "req-123"})
	e.svc.BatchUnsuspendUser(owner, a.ID, []string{users[0].ID})

	st, page := e.get(t, console.Prefix+"audit?account-id="+a.ID)
	if st != 200 || !strings.Contains(page, "BatchUnsuspendUser") || !strings.Contains(page, "req-123") {
		t.Fatalf("audit page: %d", st)
	}
	_, page = e.get(t, console.Prefix+"audit?request-id=nope")
	if strings.Contains(page, "BatchUnsuspendUser") {
		t.Fatal("request-id filter ignored")
	}
	_, page = e.get(t, console.Prefix+"accounts/"+a.ID+"/users/"+users[0].ID)
	if !strings.Contains(page, "req-123") {
		t.Fatal("user page without its audit history")
	}
	st, page = e.get(t, console.Prefix+"operator")
	if st != 200 {
		t.Fatalf("operator page: %d %s", st, page)
	}
	token := csrf(t, page)
	st, page = e.post(t, console.Prefix+"faults", url.Values{"csrf": {token}, "operation": {"BatchUnsuspendUser"}, "exception": {"ThrottledClientException"}, "count": {"2"}})
	if st != 200 || !strings.Contains(page, "exception Throttled") {
		t.Fatalf("add fault: %d %s", st, page)
	}
	rules := faults.Of(e.svc).List()
	if len(rules) != 1 {
		t.Fatalf("%d rules", len(rules))
	}
	e.post(t, console.Prefix+"faults/"+rules[0].ID+"/delete", url.Values{"csrf": {token}})
	if len(faults.Of(e.svc).List()) != 0 {
		t.Fatal("rule not removed")
	}
	st, _ = e.post(t, console.Prefix+"faults", url.Values{"csrf": {token}, "exception": {"NoSuchException"}})
	if st != 400 {
		t.Fatalf("bad exception: %d", st)
	}
}

func TestConsole_Clock(t *testing.T) {
	e := newEnv(t, "")
	_, page := e.get(t, console.Prefix+"operator")
	token := csrf(t, page)
	st, page := e.post(t, console.Prefix+"clock", url.Values{"csrf": {token}, "action": {"set"}, "time": {"2030-01-02T03:04:05Z"}})
	if st != 200 || !strings.Contains(page, "2030-01-02 03:04:05Z (frozen)") {
		t.Fatalf("set clock: %d", st)
	}
	_, page = e.post(t, console.Prefix+"clock", url.Values{"csrf": {token}, "action": {"advance"}, "by": {"90s"}})
	if !strings.Contains(page, "2030-01-02 03:05:35Z (frozen)") {
		t.Fatal("advance did not move the clock by 90s")
	}
	if got := e.svc.Clock.Now(); !got.Equal(time.Date(2030, 1, 2, 3, 5, 35, 0, time.UTC)) {
		t.Fatalf("service clock = %v", got)
	}
}

func TestConsole_PhoneNumbers(t *testing.T) {
	e := newEnv(t, "")
	ctx := openchime.NewContextWithCaller(context.Background(), openchime.Caller{AwsAccountID: "123456789012"})
	if _, err := e.svc.CreatePhoneNumberOrder(ctx, openchime.BusinessCalling, []string{"+12065550100"}); err != nil {
		t.Fatal(err)
	}
	st, page := e.get(t, console.Prefix+"aws/123456789012/phone-numbers")
	if st != 200 || !strings.Contains(page, "12065550100") || !strings.Contains(page, "Successful") {
		t.Fatalf("phone page: %d %s", st, page)
	}
	_, page = e.get(t, console.Prefix+"aws/123456789012/phone-numbers?status=Assigned")
	if strings.Contains(page, "12065550100</td><td>Unassigned") {
		t.Fatal("status filter ignored")
	}
}

func TestConsole_BotsAndRooms(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	a, err := e.svc.AdminCreateAccount(ctx, openchime.NewAccount{Name: "Ent", Type: openchime.EnterpriseLWA, ClaimedDomains: []string{"ent.example"}})
	if err != nil {
		t.Fatal(err)
	}
	users, _ := e.svc.AdminCreateUsers(ctx, a.ID, []openchime.NewUser{{PrimaryEmail: "m@ent.example"}})
	owner := openchime.NewContextWithCaller(ctx, openchime.Caller{AwsAccountID: a.AwsAccountID})
	if _, err := e.svc.CreateBot(owner, a.ID, "Helper", "ent.example"); err != nil {
		t.Fatal(err)
	}
	room, err := e.svc.CreateRoom(owner, a.ID, "Ops room", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateRoomMembership(owner, a.ID, room.ID, users[0].ID, openchime.RoleAdministrator); err != nil {
		t.Fatal(err)
	}
	_, page := e.get(t, console.Prefix+"accounts/"+a.ID)
	if !strings.Contains(page, "Helper (Bot)") || !strings.Contains(page, "Ops room") {
		t.Fatal("account page without its bots and rooms")
	}
	st, page := e.get(t, console.Prefix+"accounts/"+a.ID+"/rooms/"+room.ID)
	if st != 200 || !strings.Contains(page, "m@ent.example") || !strings.Contains(page, "Administrator") {
		t.Fatalf("room page: %d", st)
	}
}

// TestConsole_NotFound checks that a wrong console path answers a 404 HTML
// page that links home, not Go's plain "404 page not found", with or without
// a session.
func TestConsole_NotFound(t *testing.T) {
	for _, token := range []string{"", "s3cret"} {
		e := newEnv(t, token)
		resp, err := e.client.Get(e.URL + console.Prefix + "no/such/page")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body := string(b)
		if resp.StatusCode != http.StatusNotFound || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("token %q: status=%d type=%q, want 404 text/html", token, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if !strings.Contains(body, "Page not found") || !strings.Contains(body, `href="`+console.Prefix+`"`) || strings.Contains(body, "404 page not found") {
			t.Errorf("token %q: body=%s, want the console's not-found page", token, body)
		}
	}
}

func TestConsole_OperatorShowsOutbox(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	_, page := e.get(t, console.Prefix+"operator")
	if !strings.Contains(page, "No webhook or SCIM target") {
		t.Fatal("operator page without the empty targets panel")
	}
	hook, err := e.svc.CreateWebhook(ctx, openchime.WebhookConfig{URL: "http://hooks.example.com/in"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := e.svc.AdminCreateAccount(ctx, openchime.NewAccount{Name: "scim", Type: openchime.EnterpriseLWA})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.PutSCIM(ctx, openchime.SCIMConfig{AccountID: a.ID, Endpoint: "http://dir.example.com/scim/v2"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.FanOut(ctx, 100); err != nil {
		t.Fatal(err)
	}
	ds, err := e.svc.PendingDeliveries(ctx, hook.ID, 1)
	if err != nil || len(ds) != 1 {
		t.Fatal(err, ds)
	}
	ds[0].Attempts, ds[0].LastError = 1, "webhook answered 503 Service Unavailable"
	if err := e.svc.FinishDelivery(ctx, ds[0], openchime.DeliveryPending); err != nil {
		t.Fatal(err)
	}
	_, page = e.get(t, console.Prefix+"operator")
	for _, want := range []string{"http://hooks.example.com/in", "http://dir.example.com/scim/v2", "Last failed deliveries", "webhook answered 503", "AdminCreateAccount"} {
		if !strings.Contains(page, want) {
			t.Fatalf("operator page without %q", want)
		}
	}
}
