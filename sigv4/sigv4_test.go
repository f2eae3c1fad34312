package sigv4_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/openchime/openchime/sigv4"
)

// The SDK's signer is used only here, to produce requests a real client
// would send; the verifier under test is our own code.

var (
	signTime = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	alice    = sigv4.Credentials{AccessKeyID: "AKIDALICE", SecretAccessKey: "alice-secret"}
	bob      = sigv4.Credentials{AccessKeyID: "AKIDBOB", SecretAccessKey: "bob-secret", SessionToken: "bob-token"}
)

func newVerifier(now time.Time) *sigv4.Verifier {
	return &sigv4.Verifier{
		Service: "chime",
		Lookup: func(k string) (sigv4.Credentials, bool) {
			switch k {
			case alice.AccessKeyID:
				return alice, true
			case bob.AccessKeyID:
				return bob, true
			}
			return sigv4.Credentials{}, false
		},
		Now: func() time.Time { return now },
	}
}

func hashOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// MustSign returns the wire form of a request signed by the AWS SDK signer.
func MustSign(tb testing.TB, creds sigv4.Credentials, method, url, body, service string, at time.Time) []byte {
	tb.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("X-Amz-Content-Sha256", hashOf([]byte(body)))
	ac := aws.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey, SessionToken: creds.SessionToken}
	if err := v4.NewSigner().SignHTTP(context.Background(), ac, req, hashOf([]byte(body)), service, "us-east-1", at); err != nil {
		tb.Fatal(err)
	}
	return wire(tb, req)
}

// MustPresign returns the wire form of a GET to a presigned URL.
func MustPresign(tb testing.TB, creds sigv4.Credentials, url string, at time.Time, expires time.Duration) []byte {
	tb.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	q := req.URL.Query()
	q.Set("X-Amz-Expires", strconv.Itoa(int(expires/time.Second)))
	req.URL.RawQuery = q.Encode()
	ac := aws.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey, SessionToken: creds.SessionToken}
	signed, _, err := v4.NewSigner().PresignHTTP(context.Background(), ac, req, hashOf(nil), "chime", "us-east-1", at)
	if err != nil {
		tb.Fatal(err)
	}
	out, err := http.NewRequest("GET", signed, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return wire(tb, out)
}

func wire(tb testing.TB, req *http.Request) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// parse reads a request as the server sees it.
func parse(tb testing.TB, raw []byte) (*http.Request, []byte) {
	tb.Helper()
	r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		tb.Fatal(err)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return r, body
}

func kindOf(err error) sigv4.Kind {
	var e *sigv4.Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

const (
	base    = "http://127.0.0.1:4580"
	acctURL = base + "/accounts/0d5f1b5c-3f7b-4a4e-9a7e-0d2e6cbb7f11/users?operation=suspend"
	body    = `{"UserIdList":["u-1","u 2"]}`
)

func TestVerifier_Verify(t *testing.T) {
	tamper := func(raw []byte, old, new string) []byte {
		if !bytes.Contains(raw, []byte(old)) {
			t.Fatalf("tamper: %q not in request", old)
		}
		return bytes.Replace(raw, []byte(old), []byte(new), 1)
	}
	for _, tc := range []struct {
		name string
		raw  []byte
		now  time.Time
		want sigv4.Kind // 0 = verifies
	}{
		{"OK", MustSign(t, alice, "POST", acctURL, body, "chime", signTime), signTime, 0},
		{"OKGetWithQuery", MustSign(t, alice, "GET", base+"/accounts?name=a%20b+c&max-results=5&user-email=x%2By%40z.com", "", "chime", signTime), signTime, 0},
		{"OKEscapedPath", MustSign(t, alice, "GET", base+"/accounts/a%2Fb%20c/users/%C3%A9", "", "chime", signTime), signTime, 0},
		{"OKSessionToken", MustSign(t, bob, "GET", base+"/accounts", "", "chime", signTime), signTime, 0},
		{"OKSkewWithinLimit", MustSign(t, alice, "GET", base+"/accounts", "", "chime", signTime), signTime.Add(14 * time.Minute), 0},
		{"OKPresigned", MustPresign(t, alice, base+"/accounts?max-results=2", signTime, time.Hour), signTime.Add(30 * time.Minute), 0},
		{"OKPresignedToken", MustPresign(t, bob, base+"/accounts", signTime, time.Hour), signTime, 0},
		{"ErrMissing", []byte("GET /accounts HTTP/1.1\r\nHost: x\r\n\r\n"), signTime, sigv4.Missing},
		{"ErrWrongSecret", MustSign(t, sigv4.Credentials{AccessKeyID: alice.AccessKeyID, SecretAccessKey: "nope"}, "GET", base+"/accounts", "", "chime", signTime), signTime, sigv4.BadSignature},
		{"ErrUnknownKey", MustSign(t, sigv4.Credentials{AccessKeyID: "AKIDEVE", SecretAccessKey: "x"}, "GET", base+"/accounts", "", "chime", signTime), signTime, sigv4.UnknownKey},
		{"ErrStaleDate", MustSign(t, alice, "GET", base+"/accounts", "", "chime", signTime), signTime.Add(16 * time.Minute), sigv4.Expired},
		{"ErrFutureDate", MustSign(t, alice, "GET", base+"/accounts", "", "chime", signTime), signTime.Add(-16 * time.Minute), sigv4.Expired},
		{"ErrWrongService", MustSign(t, alice, "GET", base+"/accounts", "", "s3", signTime), signTime, sigv4.BadSignature},
		{"ErrTamperedBody", tamper(MustSign(t, alice, "POST", acctURL, body, "chime", signTime), `"u-1"`, `"u-9"`), signTime, sigv4.BadSignature},
		{"ErrTamperedQuery", tamper(MustSign(t, alice, "POST", acctURL, body, "chime", signTime), "operation=suspend", "operation=unsuspend"), signTime, sigv4.BadSignature},
		{"ErrTamperedPath", tamper(MustSign(t, alice, "POST", acctURL, body, "chime", signTime), "0d5f1b5c", "1d5f1b5c"), signTime, sigv4.BadSignature},
		{"ErrTamperedHost", tamper(MustSign(t, alice, "GET", base+"/accounts", "", "chime", signTime), "Host: 127.0.0.1:4580", "Host: 127.0.0.1:4581"), signTime, sigv4.BadSignature},
		{"ErrMissingSignedHeader", tamper(MustSign(t, alice, "POST", acctURL, body, "chime", signTime), "Content-Type: application/json\r\n", ""), signTime, sigv4.BadSignature},
		{"ErrTokenMismatch", tamper(MustSign(t, bob, "GET", base+"/accounts", "", "chime", signTime), "X-Amz-Security-Token: bob-token", "X-Amz-Security-Token: bob-tokex"), signTime, sigv4.UnknownKey},
		{"ErrTokenMissing", tamper(MustSign(t, bob, "GET", base+"/accounts", "", "chime", signTime), "X-Amz-Security-Token: bob-token\r\n", ""), signTime, sigv4.UnknownKey},
		{"ErrPayloadHashMismatch", tamper(MustSign(t, alice, "POST", acctURL, body, "chime", signTime), "X-Amz-Content-Sha256: "+hashOf([]byte(body)), "X-Amz-Content-Sha256: "+hashOf(nil)), signTime, sigv4.BadSignature},
		{"ErrUnsignedPayloadInHeaderAuth", tamper(MustSign(t, alice, "POST", acctURL, body, "chime", signTime), "X-Amz-Content-Sha256: "+hashOf([]byte(body)), "X-Amz-Content-Sha256: UNSIGNED-PAYLOAD"), signTime, sigv4.BadSignature},
		{"ErrPresignedExpired", MustPresign(t, alice, base+"/accounts", signTime, time.Hour), signTime.Add(61 * time.Minute), sigv4.Expired},
		{"ErrPresignedTamperedQuery", tamper(MustPresign(t, alice, base+"/accounts?max-results=2", signTime, time.Hour), "max-results=2", "max-results=3"), signTime, sigv4.BadSignature},
		{"ErrMalformedHeader", []byte("GET /accounts HTTP/1.1\r\nHost: x\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDALICE\r\n\r\n"), signTime, sigv4.Malformed},
		{"ErrOtherScheme", []byte("GET /accounts HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YTpi\r\n\r\n"), signTime, sigv4.Malformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, b := parse(t, tc.raw)
			res, err := newVerifier(tc.now).Verify(r, b)
			if got := kindOf(err); got != tc.want {
				t.Fatalf("kind=%v (err %v), want %v", got, err, tc.want)
			}
			if tc.want == 0 && res.Credentials.AccessKeyID == "" {
				t.Fatalf("result has no credentials")
			}
			if err != nil && err.Error() == "" {
				t.Fatalf("error without a message")
			}
		})
	}
}

func TestVerifier_SkewMessage(t *testing.T) {
	r, b := parse(t, MustSign(t, alice, "GET", base+"/accounts", "", "chime", signTime))
	_, err := newVerifier(signTime.Add(time.Hour)).Verify(r, b)
	if err == nil || !strings.Contains(err.Error(), "Signature expired") || !strings.Contains(err.Error(), "skew") {
		t.Fatalf("err=%v, want a message saying Signature expired and skew", err)
	}
}

func TestVerifier_KeyCache(t *testing.T) {
	v := newVerifier(signTime)
	for i := 0; i < 3; i++ {
		r, b := parse(t, MustSign(t, alice, "GET", base+"/accounts", "", "chime", signTime))
		if _, err := v.Verify(r, b); err != nil {
			t.Fatalf("verify %d: %v", i, err)
		}
	}
	// A key with a different secret under the same id must not reuse the
	// cached key of the old secret.
	v.Lookup = func(string) (sigv4.Credentials, bool) {
		return sigv4.Credentials{AccessKeyID: alice.AccessKeyID, SecretAccessKey: "rotated"}, true
	}
	r, b := parse(t, MustSign(t, alice, "GET", base+"/accounts", "", "chime", signTime))
	if _, err := v.Verify(r, b); kindOf(err) != sigv4.BadSignature {
		t.Fatalf("err=%v after rotation, want BadSignature", err)
	}
}

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"abc-._~":   "abc-._~",
		"a b+c/d":   "a%20b%2Bc%2Fd",
		"é":         "%C3%A9",
		"%2F":       "%252F",
		"":          "",
		"A=1&B=2;x": "A%3D1%26B%3D2%3Bx",
	} {
		if got := sigv4.Escape(in, true); got != want {
			t.Errorf("Escape(%q)=%q, want %q", in, got, want)
		}
	}
}

func BenchmarkVerifier_Verify(b *testing.B) {
	v := newVerifier(signTime)
	raw := MustSign(b, alice, "POST", acctURL, body, "chime", signTime)
	for b.Loop() {
		r, bd := parse(b, raw)
		if _, err := v.Verify(r, bd); err != nil {
			b.Fatal(err)
		}
	}
}
