package httpapi_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/httpapi"
)

// rawAnswer is what a raw HTTP request got back.
type rawAnswer struct {
	Status    int
	ErrorType string
	Location  string
	Code      string
	Message   string
	Body      string
}

// rawDo sends req without following redirects and reads the answer.
func rawDo(tb testing.TB, client *http.Client, req *http.Request) rawAnswer {
	tb.Helper()
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := rawAnswer{Status: resp.StatusCode, ErrorType: resp.Header.Get("x-amzn-ErrorType"), Location: resp.Header.Get("Location"), Body: string(b)}
	var e struct{ Code, Message string }
	if json.Unmarshal(b, &e) == nil {
		a.Code, a.Message = e.Code, e.Message
	}
	return a
}

func newRawRequest(tb testing.TB, method, url, body string) *http.Request {
	tb.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return req
}

func TestServer_NonUTF8JSONBody(t *testing.T) {
	e := newLifecycleClient(t)
	var created struct{ Account struct{ AccountId string } }
	if st := e.control("POST", "/_openchime/accounts", map[string]any{"Name": "Ent", "AccountType": "EnterpriseLWA"}, &created); st != http.StatusCreated {
		t.Fatalf("create account: status %d", st)
	}
	acct := created.Account.AccountId
	for _, c := range []struct{ name, method, path, body string }{
		// encoding/json would store the \xff as U+FFFD and answer 201.
		{"CreateAccount", "POST", "/accounts", "{\"Name\":\"bad\xff\"}"},
		// The fast decoder's body shape.
		{"BatchSuspendUser", "POST", "/accounts/" + acct + "/users?operation=suspend", "{\"UserIdList\":[\"u\xff\"]}"},
		{"UpdateAccount", "POST", "/accounts/" + acct, "{\"Name\":\"\xc3\"}"},
		{"ControlCreateAccount", "POST", "/_openchime/accounts", "{\"Name\":\"bad\xff\"}"},
		{"ControlCreateUsers", "POST", "/_openchime/accounts/" + acct + "/users", "{\"Users\":[{\"PrimaryEmail\":\"a@example.com\",\"DisplayName\":\"b\xfe\"}]}"},
		{"ControlConfig", "PUT", "/_openchime/config", "{\"PhoneNumberOrderDelay\":\"1s\xed\xa0\x80\"}"},
		{"ControlSeed", "POST", "/_openchime/seed", "{\"Accounts\":[{\"Name\":\"bad\xff\"}]}"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := rawDo(t, http.DefaultClient, newRawRequest(t, c.method, e.URL+c.path, c.body))
			if a.Status != http.StatusBadRequest || a.ErrorType != "BadRequestException" || !strings.Contains(a.Message, "not valid UTF-8") {
				t.Errorf("answer = %d %s %q, want 400 BadRequestException saying the body is not valid UTF-8", a.Status, a.ErrorType, a.Message)
			}
		})
	}
	// Nothing was stored: still the one account.
	var list struct{ Accounts []struct{ Name string } }
	e.control("GET", "/_openchime/accounts", nil, &list)
	if len(list.Accounts) != 1 || list.Accounts[0].Name != "Ent" {
		t.Errorf("accounts = %+v, want only Ent", list.Accounts)
	}
	// Valid UTF-8 beyond ASCII is still taken.
	a := rawDo(t, http.DefaultClient, newRawRequest(t, "POST", e.URL+"/accounts", `{"Name":"Zürich 東京"}`))
	if a.Status != http.StatusCreated || !strings.Contains(a.Body, "Zürich 東京") {
		t.Errorf("CreateAccount with UTF-8 name = %d %s, want 201 with the name", a.Status, a.Body)
	}
}

func TestServer_ControlPlaneUncleanPath(t *testing.T) {
	e := newLifecycleClient(t)
	if st := e.control("POST", "/_openchime/accounts", map[string]any{"Name": "Keep"}, nil); st != http.StatusCreated {
		t.Fatalf("create account: status %d", st)
	}
	for _, c := range []struct{ method, path string }{
		{"POST", "/_openchime/./reset"},
		{"POST", "/_openchime//reset"},
		{"POST", "/_openchime/accounts/../reset"},
		{"POST", "/_openchime/%2e%2e/_openchime/reset"},
		{"GET", "/_openchime/accounts/../health"},
		{"GET", "/_openchime/health/."},
		{"GET", "/_openchime/accounts/%2F%2F"},
	} {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			a := rawDo(t, http.DefaultClient, newRawRequest(t, c.method, e.URL+c.path, ""))
			if a.Status != http.StatusNotFound || a.ErrorType != "UnknownOperationException" || a.Location != "" || !strings.Contains(a.Message, "segment") {
				t.Errorf("answer = %d %s Location %q %q, want 404 UnknownOperationException naming the segment, no redirect", a.Status, a.ErrorType, a.Location, a.Message)
			}
		})
	}
	// No reset happened on the way.
	var list struct{ Accounts []struct{ Name string } }
	e.control("GET", "/_openchime/accounts", nil, &list)
	if len(list.Accounts) != 1 {
		t.Errorf("accounts after the unclean resets = %+v, want Keep still there", list.Accounts)
	}
	// The clean paths still answer.
	if a := rawDo(t, http.DefaultClient, newRawRequest(t, "GET", e.URL+"/_openchime/health", "")); a.Status != http.StatusOK {
		t.Errorf("GET /_openchime/health = %d, want 200", a.Status)
	}
}

func TestServer_HeadersOverLimit(t *testing.T) {
	const limit = 8 << 10
	svc := openchime.NewService(newTestStore(t))
	api := httpapi.NewServer(svc)
	api.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	api.MaxHeaderBytes = limit
	for _, proto := range []string{"HTTP/1.1", "HTTP/2"} {
		t.Run(proto, func(t *testing.T) {
			ts := httptest.NewUnstartedServer(api)
			ts.Config.MaxHeaderBytes = httpapi.HeaderReadLimit(limit)
			if proto == "HTTP/2" {
				ts.EnableHTTP2 = true
				ts.StartTLS()
			} else {
				ts.Start()
			}
			defer ts.Close()
			client := ts.Client()
			get := func(headerLen int) rawAnswer {
				req := newRawRequest(t, "GET", ts.URL+"/accounts", "")
				req.Header.Set("X-Filler", strings.Repeat("a", headerLen))
				return rawDo(t, client, req)
			}
			if a := get(limit / 2); a.Status != http.StatusOK {
				t.Errorf("headers under the limit: %d %s, want 200", a.Status, a.Body)
			}
			a := get(limit + 100)
			if a.Status != http.StatusBadRequest || a.ErrorType != "BadRequestException" || !strings.Contains(a.Message, "over the limit of 8192 bytes") {
				t.Errorf("headers over the limit: %d %s %q, want 400 BadRequestException naming the limit", a.Status, a.ErrorType, a.Body)
			}
		})
	}
}
