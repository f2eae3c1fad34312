package sigv4_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/openchime/openchime/sigv4"
)

var carol = sigv4.Credentials{AccessKeyID: "AKIDCAROL", SecretAccessKey: "carol-secret"}

// TestVerifier_Tampering changes one thing at a time in an SDK-shaped,
// signed BatchSuspendUser request and checks that each change fails
// verification with the right kind. Every case runs on a verifier that has
// already verified the untampered request, so the cached signing key is
// what a tampered request meets.
func TestVerifier_Tampering(t *testing.T) {
	bodyText := batchBody()
	signedWith := func(contentHeader bool) []byte {
		return MustSignSDK(t, alice, "POST", batchURL, bodyText, contentHeader, signTime)
	}
	replace := func(old, new string) func([]byte) []byte {
		return func(raw []byte) []byte {
			if !bytes.Contains(raw, []byte(old)) {
				t.Fatalf("tamper: %q not in request", old)
			}
			return bytes.Replace(raw, []byte(old), []byte(new), 1)
		}
	}
	header := func(f func(h http.Header)) func(*http.Request, []byte) []byte {
		return func(r *http.Request, b []byte) []byte { f(r.Header); return b }
	}
	// authField rewrites one part of the Authorization header.
	authField := func(old, new string) func(*http.Request, []byte) []byte {
		return header(func(h http.Header) {
			a := h.Get("Authorization")
			if !strings.Contains(a, old) {
				t.Fatalf("tamper: %q not in Authorization %q", old, a)
			}
			h.Set("Authorization", strings.Replace(a, old, new, 1))
		})
	}
	type tc struct {
		name          string
		contentHeader bool                                   // sign with X-Amz-Content-Sha256
		raw           func([]byte) []byte                    // tampers with the wire form
		req           func(*http.Request, []byte) []byte     // tampers with the parsed request and body
		now           time.Duration                          // the verifier's clock, from signTime
		lookup        func(string) (sigv4.Credentials, bool) // after the warm-up
		want          sigv4.Kind                             // 0 = verifies
	}
	cases := []tc{
		// Controls: the request as signed, and changes SigV4 does not sign.
		{name: "OK"},
		{name: "OKContentSha256", contentHeader: true},
		{name: "OKUnsignedUserAgent", req: header(func(h http.Header) { h.Set("User-Agent", "curl/8") })},
		{name: "OKUnsignedAcceptEncoding", req: header(func(h http.Header) { h.Del("Accept-Encoding") })},
		{name: "OKQueryEscapedDifferently", raw: replace("operation=suspend", "operation=%73uspend")},
		{name: "OKSkewWithinLimit", now: 14 * time.Minute},

		{name: "Method", raw: replace("POST ", "PUT "), want: sigv4.BadSignature},
		{name: "MethodCase", req: func(r *http.Request, b []byte) []byte { r.Method = "post"; return b }, want: sigv4.BadSignature},
		{name: "PathAccount", raw: replace("/accounts/0d5f1b5c", "/accounts/1d5f1b5c"), want: sigv4.BadSignature},
		{name: "PathTrailingSlash", raw: replace("/users?", "/users/?"), want: sigv4.BadSignature},
		{name: "PathCase", raw: replace("/users?", "/Users?"), want: sigv4.BadSignature},
		{name: "PathEscapedDifferently", raw: replace("/accounts/0d5f", "/accounts/%30d5f"), want: sigv4.BadSignature},
		{name: "QueryValue", raw: replace("operation=suspend", "operation=unsuspend"), want: sigv4.BadSignature},
		{name: "QueryName", raw: replace("operation=suspend", "operatioN=suspend"), want: sigv4.BadSignature},
		{name: "QueryAdded", raw: replace("operation=suspend", "operation=suspend&max-results=1"), want: sigv4.BadSignature},
		{name: "QueryRepeated", raw: replace("operation=suspend", "operation=suspend&operation=suspend"), want: sigv4.BadSignature},
		{name: "QueryDropped", raw: replace("?operation=suspend", ""), want: sigv4.BadSignature},
		{name: "BodyID", req: func(_ *http.Request, b []byte) []byte {
			return bytes.Replace(b, []byte("7f3c0000"), []byte("7f3c0001"), 1)
		}, want: sigv4.BadSignature},
		{name: "BodyTrailingSpace", req: func(_ *http.Request, b []byte) []byte { return append(b, ' ') }, want: sigv4.BadSignature},
		{name: "BodyTruncated", req: func(_ *http.Request, b []byte) []byte { return b[:len(b)-1] }, want: sigv4.BadSignature},
		{name: "BodyEmpty", req: func(_ *http.Request, b []byte) []byte { return nil }, want: sigv4.BadSignature},
		{name: "BodyWithContentSha256", contentHeader: true, req: func(_ *http.Request, b []byte) []byte { return append(b, ' ') }, want: sigv4.BadSignature},
		{name: "ContentSha256Changed", contentHeader: true, req: header(func(h http.Header) { h.Set("X-Amz-Content-Sha256", hashOf(nil)) }), want: sigv4.BadSignature},
		{name: "ContentSha256Removed", contentHeader: true, req: header(func(h http.Header) { h.Del("X-Amz-Content-Sha256") }), want: sigv4.BadSignature},
		{name: "ContentSha256AddedUnsigned", req: header(func(h http.Header) { h.Set("X-Amz-Content-Sha256", sigv4.UnsignedPayload) }), want: sigv4.BadSignature},
		{name: "HostPort", req: func(r *http.Request, b []byte) []byte { r.Host = "127.0.0.1:4581"; return b }, want: sigv4.BadSignature},
		{name: "ContentLengthRemoved", req: func(r *http.Request, b []byte) []byte { r.Header.Del("Content-Length"); r.ContentLength = -1; return b }, want: sigv4.BadSignature},
		{name: "DateWithinSkew", req: header(func(h http.Header) { h.Set("X-Amz-Date", "20260301T120001Z") }), want: sigv4.BadSignature},
		{name: "DateOtherDay", req: header(func(h http.Header) { h.Set("X-Amz-Date", "20260302T120000Z") }), want: sigv4.BadSignature},
		{name: "DateRemoved", req: header(func(h http.Header) { h.Del("X-Amz-Date") }), want: sigv4.Malformed},
		{name: "ScopeDate", req: authField("/20260301/", "/20260302/"), want: sigv4.BadSignature},
		{name: "ScopeRegion", req: authField("/us-east-1/", "/us-west-2/"), want: sigv4.BadSignature},
		{name: "ScopeService", req: authField("/chime/", "/s3/"), want: sigv4.BadSignature},
		{name: "ScopeTerminator", req: authField("/aws4_request", "/aws4_requesx"), want: sigv4.Malformed},
		{name: "ScopeExtraPart", req: authField("/chime/", "/chime/x/"), want: sigv4.Malformed},
		{name: "Algorithm", req: authField("AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA512 "), want: sigv4.Malformed},
		{name: "SignedHeadersDropped", req: authField("amz-sdk-request;", ""), want: sigv4.BadSignature},
		{name: "SignedHeadersAdded", req: authField("host;", "host;user-agent;"), want: sigv4.BadSignature},
		{name: "SignedHeadersUnsorted", req: authField("content-type;host;", "host;content-type;"), want: sigv4.Malformed},
		{name: "SignatureTruncated", req: func(r *http.Request, b []byte) []byte {
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:len(a)-2])
			return b
		}, want: sigv4.BadSignature},
		{name: "AccessKeyOther", req: authField("Credential="+alice.AccessKeyID+"/", "Credential="+carol.AccessKeyID+"/"), want: sigv4.BadSignature},
		{name: "AccessKeyUnknown", req: authField("Credential="+alice.AccessKeyID+"/", "Credential=AKIDEVE/"), want: sigv4.UnknownKey},
		{name: "SessionTokenAdded", req: header(func(h http.Header) { h.Set("X-Amz-Security-Token", "bob-token") }), want: sigv4.UnknownKey},
		{name: "ReplayBeyondSkew", now: 16 * time.Minute, want: sigv4.Expired},
		{name: "ReplayBeforeSkew", now: -16 * time.Minute, want: sigv4.Expired},
		{name: "CachedKeyChangedSecret", lookup: func(k string) (sigv4.Credentials, bool) {
			return sigv4.Credentials{AccessKeyID: k, SecretAccessKey: alice.SecretAccessKey + "x"}, true
		}, want: sigv4.BadSignature},
		{name: "CachedKeyOtherKeysSecret", lookup: func(k string) (sigv4.Credentials, bool) {
			return sigv4.Credentials{AccessKeyID: k, SecretAccessKey: carol.SecretAccessKey}, true
		}, want: sigv4.BadSignature},
	}
	// Each signed header, changed, removed and sent twice.
	for _, h := range []string{"Amz-Sdk-Invocation-Id", "Amz-Sdk-Request", "Content-Length", "Content-Type", "X-Amz-Date", "X-Amz-Content-Sha256"} {
		want := sigv4.BadSignature
		cases = append(cases,
			tc{name: "Header" + h + "Changed", contentHeader: true, req: header(func(hd http.Header) {
				hd.Set(h, changeOne(hd.Get(h)))
			}), want: want},
			tc{name: "Header" + h + "Twice", contentHeader: true, req: header(func(hd http.Header) { hd.Add(h, hd.Get(h)) }), want: want})
		if h != "Content-Length" && h != "X-Amz-Date" { // covered above
			cases = append(cases, tc{name: "Header" + h + "Removed", contentHeader: true, req: header(func(hd http.Header) { hd.Del(h) }), want: want})
		}
	}
	// Each byte of the signature.
	for i := 0; i < 64; i++ {
		cases = append(cases, tc{name: fmt.Sprintf("SignatureDigit%02d", i), req: func(r *http.Request, b []byte) []byte {
			a := r.Header.Get("Authorization")
			j := strings.Index(a, "Signature=") + len("Signature=") + i
			d := "0"
			if a[j] == '0' {
				d = "1"
			}
			r.Header.Set("Authorization", a[:j]+d+a[j+1:])
			return b
		}, want: sigv4.BadSignature})
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw := signedWith(c.contentHeader)
			creds := map[string]sigv4.Credentials{alice.AccessKeyID: alice, bob.AccessKeyID: bob, carol.AccessKeyID: carol}
			lookup := func(k string) (sigv4.Credentials, bool) { c, ok := creds[k]; return c, ok }
			now := signTime.Add(c.now)
			v := &sigv4.Verifier{Service: "chime", Lookup: lookup, Now: func() time.Time { return signTime }}
			// Warm the key cache with the untampered request.
			if _, err := v.Verify(parse(t, raw)); err != nil {
				t.Fatalf("untampered request: %v", err)
			}
			v.Now = func() time.Time { return now }
			if c.lookup != nil {
				v.Lookup = c.lookup
			}
			if c.raw != nil {
				raw = c.raw(raw)
			}
			r, b := parse(t, raw)
			if c.req != nil {
				b = c.req(r, b)
			}
			res, err := v.Verify(r, b)
			if got := kindOf(err); got != c.want {
				t.Fatalf("kind=%v (err %v), want %v", got, err, c.want)
			}
			if c.want == 0 && res.Credentials.AccessKeyID != alice.AccessKeyID {
				t.Fatalf("verified as %q, want %q", res.Credentials.AccessKeyID, alice.AccessKeyID)
			}
		})
	}
}

// TestVerifier_TamperingPresigned does the same for a presigned URL's query.
func TestVerifier_TamperingPresigned(t *testing.T) {
	signed := MustPresign(t, alice, base+"/accounts?max-results=2", signTime, time.Hour)
	for _, c := range []struct {
		name     string
		old, new string
		want     sigv4.Kind
	}{
		{"OK", "", "", 0},
		{"Param", "max-results=2", "max-results=3", sigv4.BadSignature},
		{"Expires", "X-Amz-Expires=3600", "X-Amz-Expires=3601", sigv4.BadSignature},
		{"Date", "X-Amz-Date=20260301T120000Z", "X-Amz-Date=20260301T120001Z", sigv4.BadSignature},
		{"SignatureDropped", "&X-Amz-Signature=", "&X-Amz-Signaturx=", sigv4.Malformed},
		{"UnsignedPayloadDeclared", "max-results=2", "max-results=2&X-Amz-Content-Sha256=" + url.QueryEscape(hashOf([]byte("x"))), sigv4.BadSignature},
	} {
		t.Run(c.name, func(t *testing.T) {
			raw := signed
			if c.old != "" {
				if !bytes.Contains(raw, []byte(c.old)) {
					t.Fatalf("tamper: %q not in request", c.old)
				}
				raw = bytes.Replace(raw, []byte(c.old), []byte(c.new), 1)
			}
			v := newVerifier(signTime)
			if _, err := v.Verify(parse(t, signed)); err != nil {
				t.Fatalf("untampered request: %v", err)
			}
			_, err := v.Verify(parse(t, raw))
			if got := kindOf(err); got != c.want {
				t.Fatalf("kind=%v (err %v), want %v", got, err, c.want)
			}
		})
	}
}

// changeOne changes one character of a header value, its last digit if it
// has one, so that a date stays well-formed.
func changeOne(v string) string {
	i := strings.LastIndexAny(v, "0123456789")
	if i < 0 {
		i = len(v) - 1
	}
	return v[:i] + string(v[i]^1) + v[i+1:]
}
