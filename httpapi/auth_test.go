package httpapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awschime "github.com/aws/aws-sdk-go-v2/service/chime"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/httpapi"
	"github.com/openchime/openchime/sqlite"
)

// Two tenants and their keys, as a credentials file would list them.
var testCreds = []httpapi.Credential{
	{AccessKeyId: "AKIDTENANTA", SecretAccessKey: "secret-a", AwsAccountId: "111111111111"},
	{AccessKeyId: "AKIDTENANTB", SecretAccessKey: "secret-b", AwsAccountId: "222222222222"},
	{AccessKeyId: "AKIDREADONLY", SecretAccessKey: "secret-r", AwsAccountId: "111111111111", AllowedOperations: []string{"ListAccounts", "GetAccount"}},
	{AccessKeyId: "AKIDSESSION", SecretAccessKey: "secret-s", AwsAccountId: "333333333333", SessionToken: "tok-s"},
}

const adminToken = "admin-token-for-tests"

// MustSigV4Server returns a server in sigv4 mode with testCreds and
// adminToken; configure may change it before it starts.
func MustSigV4Server(tb testing.TB, configure func(*httpapi.Server)) (*httptest.Server, *openchime.Service) {
	tb.Helper()
	store, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	svc := openchime.NewService(store)
	api := httpapi.NewServer(svc)
	api.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	api.Authenticate = httpapi.SigV4Auth(testCreds, nil)
	api.AdminToken = adminToken
	if configure != nil {
		configure(api)
	}
	srv := httptest.NewServer(api)
	tb.Cleanup(srv.Close)
	return srv, svc
}

// MustClient returns a Chime client signing with key/secret/token against url.
func MustClient(tb testing.TB, url, key, secret, token string) *awschime.Client {
	tb.Helper()
	opts := awschime.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(url),
		RetryMaxAttempts: 1,
	}
	if key != "" {
		opts.Credentials = credentials.NewStaticCredentialsProvider(key, secret, token)
	}
	return awschime.New(opts)
}

// apiErr returns the HTTP status, error code and message of an SDK error.
func apiErr(err error) (status int, code, msg string) {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code, msg = ae.ErrorCode(), ae.ErrorMessage()
	}
	return status, code, msg
}

func TestSigV4Auth_SDK(t *testing.T) {
	var skew time.Duration
	srv, _ := MustSigV4Server(t, func(s *httpapi.Server) {
		s.Authenticate = httpapi.SigV4Auth(testCreds, func() time.Time { return time.Now().Add(skew) })
	})
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		c := MustClient(t, srv.URL, "AKIDTENANTA", "secret-a", "")
		out, err := c.CreateAccount(ctx, &awschime.CreateAccountInput{Name: aws.String("alpha")})
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(out.Account.AwsAccountId); got != "111111111111" {
			t.Fatalf("AwsAccountId=%v, want 111111111111 (from the credentials file)", got)
		}
		if _, err := c.ListAccounts(ctx, &awschime.ListAccountsInput{}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("OKSessionToken", func(t *testing.T) {
		c := MustClient(t, srv.URL, "AKIDSESSION", "secret-s", "tok-s")
		if _, err := c.ListAccounts(ctx, &awschime.ListAccountsInput{}); err != nil {
			t.Fatal(err)
		}
	})
	for _, tc := range []struct {
		name, key, secret, token string
		skew                     time.Duration
		call                     func(*awschime.Client) error
		wantCode, wantMsg        string
	}{
		{name: "ErrWrongSecret", key: "AKIDTENANTA", secret: "wrong", wantCode: "InvalidSignatureException", wantMsg: "does not match"},
		{name: "ErrUnknownKey", key: "AKIDNOBODY", secret: "x", wantCode: "UnrecognizedClientException", wantMsg: "security token"},
		{name: "ErrAnonymous", wantCode: "MissingAuthenticationTokenException", wantMsg: "Missing Authentication Token"},
		{name: "ErrStaleDate", key: "AKIDTENANTA", secret: "secret-a", skew: 20 * time.Minute, wantCode: "InvalidSignatureException", wantMsg: "Signature expired"},
		{name: "ErrFutureDate", key: "AKIDTENANTA", secret: "secret-a", skew: -20 * time.Minute, wantCode: "InvalidSignatureException", wantMsg: "Signature expired"},
		{name: "ErrSessionTokenMismatch", key: "AKIDSESSION", secret: "secret-s", token: "other", wantCode: "UnrecognizedClientException"},
		{name: "ErrSessionTokenMissing", key: "AKIDSESSION", secret: "secret-s", wantCode: "UnrecognizedClientException"},
		{name: "ErrOperationNotAllowed", key: "AKIDREADONLY", secret: "secret-r", wantCode: "AccessDeniedException", wantMsg: "chime:CreateAccount",
			call: func(c *awschime.Client) error {
				_, err := c.CreateAccount(ctx, &awschime.CreateAccountInput{Name: aws.String("x")})
				return err
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			skew = tc.skew
			defer func() { skew = 0 }()
			c := MustClient(t, srv.URL, tc.key, tc.secret, tc.token)
			call := tc.call
			if call == nil {
				call = func(c *awschime.Client) error {
					_, err := c.ListAccounts(ctx, &awschime.ListAccountsInput{})
					return err
				}
			}
			status, code, msg := apiErr(call(c))
			if status != 403 || code != tc.wantCode || !strings.Contains(msg, tc.wantMsg) {
				t.Fatalf("got %d %s %q, want 403 %s containing %q", status, code, msg, tc.wantCode, tc.wantMsg)
			}
		})
	}
	t.Run("OKAllowedOperation", func(t *testing.T) {
		c := MustClient(t, srv.URL, "AKIDREADONLY", "secret-r", "")
		out, err := c.ListAccounts(ctx, &awschime.ListAccountsInput{})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Accounts) != 1 {
			t.Fatalf("len(Accounts)=%d, want 1 (the account of 111111111111)", len(out.Accounts))
		}
	})
}

// signedRequest returns a request to srv signed by key, for tests that
// tamper with it before sending.
func signedRequest(t *testing.T, method, url, body, key, secret string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(body))
	err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: key, SecretAccessKey: secret},
		req, hex.EncodeToString(sum[:]), "chime", "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func mustDo(t *testing.T, req *http.Request) (int, http.Header, map[string]string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]string
	if resp.StatusCode >= 300 {
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("error body %q is not JSON: %v", b, err)
		}
	}
	return resp.StatusCode, resp.Header, m
}

func TestSigV4Auth_Tampered(t *testing.T) {
	srv, _ := MustSigV4Server(t, nil)
	for _, tc := range []struct {
		name   string
		req    func() *http.Request
		status int
		shape  string
	}{
		{"OK", func() *http.Request {
			return signedRequest(t, "POST", srv.URL+"/accounts", `{"Name":"n"}`, "AKIDTENANTA", "secret-a")
		}, 201, ""},
		{"ErrTamperedBody", func() *http.Request {
			r := signedRequest(t, "POST", srv.URL+"/accounts", `{"Name":"n"}`, "AKIDTENANTA", "secret-a")
			r.Body = io.NopCloser(strings.NewReader(`{"Name":"m"}`))
			return r
		}, 403, "InvalidSignatureException"},
		{"ErrTamperedQuery", func() *http.Request {
			r := signedRequest(t, "GET", srv.URL+"/accounts?max-results=1", "", "AKIDTENANTA", "secret-a")
			r.URL.RawQuery = "max-results=2"
			return r
		}, 403, "InvalidSignatureException"},
		{"ErrTamperedPath", func() *http.Request {
			r := signedRequest(t, "GET", srv.URL+"/accounts/abc", "", "AKIDTENANTA", "secret-a")
			r.URL.Path = "/accounts/abd"
			return r
		}, 403, "InvalidSignatureException"},
		{"ErrNoAuth", func() *http.Request {
			r, _ := http.NewRequest("GET", srv.URL+"/accounts", nil)
			return r
		}, 403, "MissingAuthenticationTokenException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, h, body := mustDo(t, tc.req())
			if status != tc.status || h.Get("x-amzn-ErrorType") != tc.shape {
				t.Fatalf("got %d %q %v, want %d %q", status, h.Get("x-amzn-ErrorType"), body, tc.status, tc.shape)
			}
			if tc.shape != "" && (body["Code"] != strings.TrimSuffix(tc.shape, "Exception") || body["Message"] == "") {
				t.Fatalf("body=%v, want Code %s and a message", body, strings.TrimSuffix(tc.shape, "Exception"))
			}
		})
	}
}

func TestSigV4Auth_Presigned(t *testing.T) {
	srv, _ := MustSigV4Server(t, nil)
	req, _ := http.NewRequest("GET", srv.URL+"/accounts?max-results=5&X-Amz-Expires=300", nil)
	sum := sha256.Sum256(nil)
	u, _, err := v4.NewSigner().PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKIDTENANTA", SecretAccessKey: "secret-a"},
		req, hex.EncodeToString(sum[:]), "chime", "eu-west-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	get, _ := http.NewRequest("GET", u, nil)
	if status, _, body := mustDo(t, get); status != 200 {
		t.Fatalf("presigned GET: %d %v, want 200", status, body)
	}
	get, _ = http.NewRequest("GET", strings.Replace(u, "max-results=5", "max-results=6", 1), nil)
	if status, h, _ := mustDo(t, get); status != 403 || h.Get("x-amzn-ErrorType") != "InvalidSignatureException" {
		t.Fatalf("tampered presigned GET: %d %s, want 403 InvalidSignatureException", status, h.Get("x-amzn-ErrorType"))
	}
}

func TestServer_AdminToken(t *testing.T) {
	srv, _ := MustSigV4Server(t, nil)
	for _, tc := range []struct {
		name, method, path, auth string
		status                   int
		shape                    string
	}{
		{"HealthOpen", "GET", "/_openchime/health", "", 200, ""},
		{"ErrMissing", "GET", "/_openchime/accounts", "", 401, "UnauthorizedClientException"},
		{"ErrWrong", "GET", "/_openchime/accounts", "Bearer nope", 403, "AccessDeniedException"},
		{"ErrNotBearer", "POST", "/_openchime/reset", "Basic " + adminToken, 403, "AccessDeniedException"},
		{"ErrSigV4IsNotAdmin", "GET", "/_openchime/accounts", "AWS4-HMAC-SHA256 Credential=AKIDTENANTA/20260101/us-east-1/chime/aws4_request", 403, "AccessDeniedException"},
		{"OK", "GET", "/_openchime/accounts", "Bearer " + adminToken, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			status, h, body := mustDo(t, req)
			if status != tc.status || h.Get("x-amzn-ErrorType") != tc.shape {
				t.Fatalf("got %d %q %v, want %d %q", status, h.Get("x-amzn-ErrorType"), body, tc.status, tc.shape)
			}
		})
	}
}

func TestServer_RateLimit(t *testing.T) {
	// A rate this low refills nothing between two back-to-back requests, so
	// the test does not depend on timing: the burst is one request.
	srv, _ := MustSigV4Server(t, func(s *httpapi.Server) { s.RateLimit = 0.001 })
	ctx := context.Background()
	a := MustClient(t, srv.URL, "AKIDTENANTA", "secret-a", "")
	if _, err := a.ListAccounts(ctx, &awschime.ListAccountsInput{}); err != nil {
		t.Fatal(err)
	}
	status, code, _ := apiErr(func() error { _, err := a.ListAccounts(ctx, &awschime.ListAccountsInput{}); return err }())
	if status != 429 || code != "ThrottledClientException" {
		t.Fatalf("second request: %d %s, want 429 ThrottledClientException", status, code)
	}
	req := signedRequest(t, "GET", srv.URL+"/accounts", "", "AKIDTENANTA", "secret-a")
	if st, _, body := mustDo(t, req); st != 429 || body["Code"] != "Throttled" {
		t.Fatalf("raw: %d %v, want 429 with Code Throttled", st, body)
	}
	// The limit is per access key.
	b := MustClient(t, srv.URL, "AKIDTENANTB", "secret-b", "")
	if _, err := b.ListAccounts(ctx, &awschime.ListAccountsInput{}); err != nil {
		t.Fatalf("another key: %v", err)
	}
}
