package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	awschime "github.com/aws/aws-sdk-go-v2/service/chime"
)

type guardResponse struct {
	status  int
	errType string
	message string
	header  http.Header
}

func guardDo(t *testing.T, method, url, host string, header map[string]string, body string) guardResponse {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if host != "" {
		req.Host = host
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var e struct{ Code, Message string }
	json.Unmarshal(raw, &e)
	return guardResponse{resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), e.Message, resp.Header}
}

// TestMain_BrowserGuard checks, through the serve command, that with
// --auth none a cross-site page (another Origin) and a DNS-rebinding page
// (another Host) are refused, while SDKs, the console's own origin, the
// listed origins and hosts pass, and listed origins get CORS preflights.
func TestMain_BrowserGuard(t *testing.T) {
	const app = "http://app.example:3000"
	m := MustRun(t, "--addr", "127.0.0.1:0", "--db", ":memory:", "--log-level", "error", "--auth", "none",
		"--cors-origins", app+", http://other.example", "--allowed-hosts", "openchime.internal")
	addr := m.Listener.Addr().String()
	base := "http://" + addr
	_, port, _ := strings.Cut(addr, ":")
	ctx := context.Background()
	sdk := client(base)
	countAccounts := func() int {
		out, err := sdk.ListAccounts(ctx, &awschime.ListAccountsInput{})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Accounts)
	}

	// The cross-site text/plain POST of the issue: refused, nothing created.
	got := guardDo(t, "POST", base+"/accounts", "", map[string]string{"Origin": "http://evil.example", "Content-Type": "text/plain"}, `{"Name":"pwned"}`)
	if got.status != 403 || got.errType != "AccessDeniedException" || !strings.Contains(got.message, "--cors-origins") {
		t.Errorf("cross-site POST: %d %s %q, want 403 AccessDeniedException naming --cors-origins", got.status, got.errType, got.message)
	}
	got = guardDo(t, "POST", base+"/_openchime/accounts", "", map[string]string{"Origin": "null"}, `{"Name":"pwned","AccountType":"Team"}`)
	if got.status != 403 {
		t.Errorf("control-plane POST from Origin null: %d, want 403", got.status)
	}
	if n := countAccounts(); n != 0 {
		t.Fatalf("accounts after refused requests = %d, want 0", n)
	}

	// DNS rebinding: the page's own name as Host, its own origin too.
	for _, h := range map[string]string{"no Origin": "", "same-origin": "http://rebind.evil.example:" + port} {
		hdr := map[string]string{}
		if h != "" {
			hdr["Origin"] = h
		}
		got = guardDo(t, "GET", base+"/accounts", "rebind.evil.example:"+port, hdr, "")
		if got.status != 403 || got.errType != "AccessDeniedException" || !strings.Contains(got.message, "--allowed-hosts") {
			t.Errorf("rebinding GET (Origin %q): %d %s %q, want 403 naming --allowed-hosts", h, got.status, got.errType, got.message)
		}
	}

	// Loopback names and addresses, and the listed host, are served.
	for _, host := range []string{"", "localhost:" + port, "[::1]:" + port, "127.0.0.2:" + port, "openchime.internal:" + port, "OpenChime.Internal"} {
		if got := guardDo(t, "GET", base+"/accounts", host, nil, ""); got.status != 200 {
			t.Errorf("GET with Host %q: %d %q, want 200", host, got.status, got.message)
		}
	}
	// The console's own origin.
	got = guardDo(t, "POST", base+"/_openchime/accounts", "", map[string]string{"Origin": base}, `{"Name":"console","AccountType":"Team"}`)
	if got.status != 201 {
		t.Errorf("POST from the server's own origin: %d %q, want 201", got.status, got.message)
	}
	// An SDK sends no Origin.
	if n := countAccounts(); n != 1 {
		t.Errorf("accounts = %d, want 1", n)
	}

	// CORS: a listed origin's preflight, then its request.
	sdkHeaders := "authorization,content-type,x-amz-date,x-amz-content-sha256,x-amz-user-agent,amz-sdk-invocation-id,amz-sdk-request,x-amz-security-token"
	got = guardDo(t, "OPTIONS", base+"/accounts", "", map[string]string{"Origin": app, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": sdkHeaders}, "")
	if got.status != 204 || got.header.Get("Access-Control-Allow-Origin") != app || !strings.Contains(got.header.Get("Access-Control-Allow-Methods"), "POST") {
		t.Fatalf("preflight: %d %v", got.status, got.header)
	}
	for _, h := range strings.Split(sdkHeaders, ",") {
		if !strings.Contains(got.header.Get("Access-Control-Allow-Headers"), h) {
			t.Errorf("Access-Control-Allow-Headers %q lacks %s", got.header.Get("Access-Control-Allow-Headers"), h)
		}
	}
	got = guardDo(t, "GET", base+"/accounts", "", map[string]string{"Origin": app}, "")
	if got.status != 200 || got.header.Get("Access-Control-Allow-Origin") != app ||
		!strings.Contains(strings.ToLower(got.header.Get("Access-Control-Expose-Headers")), "x-amzn-requestid") ||
		!strings.Contains(strings.ToLower(got.header.Get("Access-Control-Expose-Headers")), "x-amzn-errortype") {
		t.Errorf("listed-origin GET: %d %v", got.status, got.header)
	}
	got = guardDo(t, "OPTIONS", base+"/accounts", "", map[string]string{"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}, "")
	if got.status != 403 || got.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("unlisted preflight: %d %v, want 403 without CORS headers", got.status, got.header)
	}
}

// TestMain_BrowserGuardSigV4 checks that with --auth sigv4 the Host is not
// checked (a page cannot sign), while listed origins still get CORS.
func TestMain_BrowserGuardSigV4(t *testing.T) {
	dir := t.TempDir()
	creds := dir + "/creds.json"
	if err := os.WriteFile(creds, []byte(`{"Credentials":[{"AccessKeyId":"AKIDGUARD","SecretAccessKey":"secret","AwsAccountId":"123456789012"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	m := MustRun(t, "--addr", "127.0.0.1:0", "--db", ":memory:", "--log-level", "error", "--auth", "sigv4",
		"--credentials", creds, "--admin-token", "tok", "--cors-origins", "http://app.example")
	base := "http://" + m.Listener.Addr().String()
	got := guardDo(t, "GET", base+"/accounts", "chime.example.com", nil, "")
	if got.status == 403 && strings.Contains(got.message, "--allowed-hosts") {
		t.Errorf("sigv4 refused a Host: %q", got.message)
	}
	got = guardDo(t, "OPTIONS", base+"/accounts", "chime.example.com", map[string]string{"Origin": "http://app.example", "Access-Control-Request-Method": "GET"}, "")
	if got.status != 204 || got.header.Get("Access-Control-Allow-Origin") != "http://app.example" {
		t.Errorf("sigv4 preflight: %d %v", got.status, got.header)
	}
}

func TestMain_ParseFlags_BrowserGuard(t *testing.T) {
	for _, bad := range [][]string{
		{"--cors-origins", "app.example"},
		{"--cors-origins", "http://app.example/path"},
		{"--allowed-hosts", "http://openchime.internal"},
	} {
		m := NewMain()
		if err := m.ParseFlags(append([]string{"--db", ":memory:"}, bad...)); err == nil || !strings.Contains(err.Error(), bad[0]) {
			t.Errorf("ParseFlags %v: err=%v, want one naming %s", bad, err, bad[0])
		}
	}
	t.Setenv("OPENCHIME_CORS_ORIGINS", "http://a.example")
	t.Setenv("OPENCHIME_ALLOWED_HOSTS", "h.example")
	m := NewMain()
	if err := m.ParseFlags([]string{"--db", ":memory:"}); err != nil || m.Config.Security.CORSOrigins != "http://a.example" || m.Config.Security.AllowedHosts != "h.example" {
		t.Errorf("env: %v %+v", err, m.Config.Security)
	}
}
