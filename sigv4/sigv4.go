// Package sigv4 verifies AWS Signature Version 4 on incoming HTTP requests,
// both the Authorization header form and query-string presigned URLs.
//
// It recomputes the signature over exactly the headers the client signed,
// with the canonicalisation of aws-sdk-go-v2's aws/signer/v4 and botocore
// (the path is URI-encoded once more, as every non-S3 service expects), and
// compares with hmac.Equal. It knows nothing of who the keys belong to: a
// Lookup func returns the secret of an access key.
package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Algorithm is the only signing algorithm accepted.
const Algorithm = "AWS4-HMAC-SHA256"

// UnsignedPayload is the payload hash a presigned URL may carry instead of
// the hash of the body.
const UnsignedPayload = "UNSIGNED-PAYLOAD"

// DefaultMaxSkew is how far a request's date may be from the server's clock;
// AWS allows 15 minutes.
const DefaultMaxSkew = 15 * time.Minute

// maxPresignExpires is the longest X-Amz-Expires AWS accepts: 7 days.
const maxPresignExpires = 7 * 24 * time.Hour

const timeFormat = "20060102T150405Z"

// Credentials is the secret side of an access key.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	// SessionToken, when set, must match the request's X-Amz-Security-Token.
	SessionToken string
}

// Kind says why a request failed verification; callers map it to their
// wire errors.
type Kind int

// The kinds of verification failure.
const (
	// Missing: the request carries no signature at all.
	Missing Kind = iota + 1
	// Malformed: the signature parameters cannot be parsed.
	Malformed
	// UnknownKey: Lookup does not know the access key, or the session
	// token does not match.
	UnknownKey
	// BadSignature: the recomputed signature differs, or the scope is wrong.
	BadSignature
	// Expired: the request date is too far from the clock, or a presigned
	// URL has expired.
	Expired
)

// Error is a verification failure with a message meant for the client.
type Error struct {
	Kind    Kind
	Message string
}

func (e *Error) Error() string { return e.Message }

func errorf(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// Verifier checks signatures. Service and Lookup must be set; the zero values
// of the other fields are usable.
type Verifier struct {
	// Service is the service name the credential scope must name ("chime").
	Service string
	// Lookup returns the credentials of an access key, false if unknown.
	Lookup func(accessKeyID string) (Credentials, bool)
	// MaxSkew bounds the clock difference (DefaultMaxSkew when 0).
	MaxSkew time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	mu   sync.Mutex
	keys map[keyCacheKey][]byte
}

type keyCacheKey struct{ secret, date, region, service string }

// maxCachedKeys bounds the derived-key cache; a key is good for one day, so
// the cache is simply dropped when it fills.
const maxCachedKeys = 4096

// Result is what a verified request was signed with.
type Result struct {
	Credentials Credentials
	Region      string
	Presigned   bool
}

// parsed holds the signature parameters of a request, from either form.
type parsed struct {
	accessKey, date, region, service string
	signedHeaders                    []string
	signature                        string
	amzDate                          time.Time
	expires                          time.Duration // presigned only
	presigned                        bool
	token                            string
}

// Verify checks the signature of r, whose body has already been read into
// body. It returns the credentials the request was signed with, or an *Error.
func (v *Verifier) Verify(r *http.Request, body []byte) (*Result, error) {
	p, err := v.parse(r)
	if err != nil {
		return nil, err
	}
	if p.service != v.Service {
		return nil, errorf(BadSignature, "Credential should be scoped to correct service: '%s'.", v.Service)
	}
	now := v.now()
	skew := v.MaxSkew
	if skew <= 0 {
		skew = DefaultMaxSkew
	}
	if p.presigned {
		if p.amzDate.After(now.Add(skew)) {
			return nil, errorf(Expired, "Signature not yet current: %s is still later than %s (%s + %d min.)",
				p.amzDate.Format(timeFormat), now.Add(skew).Format(timeFormat), now.Format(timeFormat), int(skew/time.Minute))
		}
		if now.After(p.amzDate.Add(p.expires)) {
			return nil, errorf(Expired, "Signature expired: the presigned URL expired at %s; it is now %s.",
				p.amzDate.Add(p.expires).Format(timeFormat), now.Format(timeFormat))
		}
	} else if d := now.Sub(p.amzDate); d > skew || d < -skew {
		return nil, errorf(Expired, "Signature expired: %s is now earlier than %s (%s - %d min.); the clock skew exceeds %d minutes.",
			p.amzDate.Format(timeFormat), now.Add(-skew).Format(timeFormat), now.Format(timeFormat), int(skew/time.Minute), int(skew/time.Minute))
	}
	creds, ok := v.Lookup(p.accessKey)
	if !ok {
		return nil, errorf(UnknownKey, "The security token included in the request is invalid.")
	}
	if creds.SessionToken != "" || p.token != "" {
		if subtle.ConstantTimeCompare([]byte(creds.SessionToken), []byte(p.token)) != 1 {
			return nil, errorf(UnknownKey, "The security token included in the request is invalid.")
		}
	}

	hashes, err := payloadHashes(r, body, p.presigned)
	if err != nil {
		return nil, err
	}
	canonHeaders, err := canonicalHeaders(r, p.signedHeaders)
	if err != nil {
		return nil, err
	}
	scope := p.date + "/" + p.region + "/" + p.service + "/aws4_request"
	key := v.signingKey(creds.SecretAccessKey, p.date, p.region, p.service)
	want, err := hex.DecodeString(p.signature)
	if err != nil || len(want) != sha256.Size {
		return nil, errorf(BadSignature, "The request signature is not a 64-digit hex SHA-256 HMAC.")
	}
	prefix := r.Method + "\n" + CanonicalURI(r.URL) + "\n" + CanonicalQuery(r.URL.RawQuery, p.presigned) + "\n" +
		canonHeaders + "\n" + strings.Join(p.signedHeaders, ";") + "\n"
	for _, h := range hashes {
		sts := Algorithm + "\n" + p.amzDate.Format(timeFormat) + "\n" + scope + "\n" + hexSHA256([]byte(prefix+h))
		if hmac.Equal(hmacSHA256(key, []byte(sts)), want) {
			return &Result{Credentials: creds, Region: p.region, Presigned: p.presigned}, nil
		}
	}
	return nil, errorf(BadSignature, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// signingKey derives (and caches) the key for secret/date/region/service.
func (v *Verifier) signingKey(secret, date, region, service string) []byte {
	ck := keyCacheKey{secret, date, region, service}
	v.mu.Lock()
	defer v.mu.Unlock()
	if k, ok := v.keys[ck]; ok {
		return k
	}
	k := DeriveKey(secret, date, region, service)
	if v.keys == nil || len(v.keys) >= maxCachedKeys {
		v.keys = map[keyCacheKey][]byte{}
	}
	v.keys[ck] = k
	return k
}

// DeriveKey returns the SigV4 signing key of a secret for a date (YYYYMMDD),
// region and service.
func DeriveKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), []byte(date))
	k = hmacSHA256(k, []byte(region))
	k = hmacSHA256(k, []byte(service))
	return hmacSHA256(k, []byte("aws4_request"))
}

func (v *Verifier) parse(r *http.Request) (*parsed, error) {
	auth := r.Header.Get("Authorization")
	q := r.URL.Query()
	switch {
	case strings.HasPrefix(auth, "AWS4-"):
		return parseHeader(r, auth)
	case auth != "":
		return nil, errorf(Malformed, "Authorization header must use %s (Signature Version 4).", Algorithm)
	case q.Has("X-Amz-Signature") || q.Has("X-Amz-Credential") || q.Has("X-Amz-Algorithm"):
		return parseQuery(q)
	}
	return nil, errorf(Missing, "Missing Authentication Token: the request has neither a SigV4 Authorization header nor a presigned X-Amz-Signature.")
}

func parseHeader(r *http.Request, auth string) (*parsed, error) {
	alg, rest, _ := strings.Cut(auth, " ")
	if alg != Algorithm {
		return nil, errorf(Malformed, "Unsupported signing algorithm %q; use %s.", truncate(alg), Algorithm)
	}
	fields := map[string]string{}
	for _, f := range strings.Split(rest, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(f), "=")
		if !ok {
			return nil, errorf(Malformed, "Authorization header field %q is not key=value.", truncate(f))
		}
		fields[k] = val
	}
	for _, k := range []string{"Credential", "SignedHeaders", "Signature"} {
		if fields[k] == "" {
			return nil, errorf(Malformed, "Authorization header requires '%s' parameter.", k)
		}
	}
	p := &parsed{signature: fields["Signature"], token: r.Header.Get("X-Amz-Security-Token")}
	if err := p.setCredential(fields["Credential"]); err != nil {
		return nil, err
	}
	if err := p.setSignedHeaders(fields["SignedHeaders"]); err != nil {
		return nil, err
	}
	date := r.Header.Get("X-Amz-Date")
	if date == "" {
		return nil, errorf(Malformed, "Authorization header requires an 'X-Amz-Date' header.")
	}
	if err := p.setDate(date); err != nil {
		return nil, err
	}
	return p, nil
}

func parseQuery(q url.Values) (*parsed, error) {
	for _, k := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Date", "X-Amz-Expires"} {
		if q.Get(k) == "" {
			return nil, errorf(Malformed, "A presigned URL requires the '%s' query parameter.", k)
		}
	}
	if alg := q.Get("X-Amz-Algorithm"); alg != Algorithm {
		return nil, errorf(Malformed, "Unsupported signing algorithm %q; use %s.", truncate(alg), Algorithm)
	}
	p := &parsed{presigned: true, signature: q.Get("X-Amz-Signature"), token: q.Get("X-Amz-Security-Token")}
	if err := p.setCredential(q.Get("X-Amz-Credential")); err != nil {
		return nil, err
	}
	if err := p.setSignedHeaders(q.Get("X-Amz-SignedHeaders")); err != nil {
		return nil, err
	}
	if err := p.setDate(q.Get("X-Amz-Date")); err != nil {
		return nil, err
	}
	secs, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || secs < 1 || time.Duration(secs)*time.Second > maxPresignExpires {
		return nil, errorf(Malformed, "X-Amz-Expires must be a whole number of seconds from 1 to %d.", int(maxPresignExpires/time.Second))
	}
	p.expires = time.Duration(secs) * time.Second
	return p, nil
}

func (p *parsed) setCredential(c string) error {
	parts := strings.Split(c, "/")
	if len(parts) != 5 || parts[0] == "" || parts[4] != "aws4_request" {
		return errorf(Malformed, "Credential %q must be <access key>/<YYYYMMDD>/<region>/<service>/aws4_request.", truncate(c))
	}
	p.accessKey, p.date, p.region, p.service = parts[0], parts[1], parts[2], parts[3]
	return nil
}

func (p *parsed) setSignedHeaders(s string) error {
	p.signedHeaders = strings.Split(s, ";")
	host := false
	for i, h := range p.signedHeaders {
		if h == "" || h != strings.ToLower(h) || (i > 0 && p.signedHeaders[i-1] >= h) {
			return errorf(Malformed, "SignedHeaders must be lowercase header names, sorted, separated by ';'.")
		}
		host = host || h == "host"
	}
	if !host {
		return errorf(Malformed, "SignedHeaders must include 'host'.")
	}
	return nil
}

func (p *parsed) setDate(s string) error {
	t, err := time.Parse(timeFormat, s)
	if err != nil {
		return errorf(Malformed, "X-Amz-Date %q must be in the form YYYYMMDDTHHMMSSZ.", truncate(s))
	}
	p.amzDate = t
	if s[:8] != p.date {
		return errorf(BadSignature, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s'.", truncate(p.date), s[:8])
	}
	return nil
}

// payloadHashes returns the payload hashes to try. Header auth signs the
// body: x-amz-content-sha256, when sent, must be its hash. A presigned URL
// may also sign UNSIGNED-PAYLOAD.
func payloadHashes(r *http.Request, body []byte, presigned bool) ([]string, error) {
	sum := hexSHA256(body)
	declared := r.Header.Get("X-Amz-Content-Sha256")
	if presigned {
		if declared == "" {
			declared = r.URL.Query().Get("X-Amz-Content-Sha256")
		}
		switch declared {
		case "":
			return []string{sum, UnsignedPayload}, nil
		case UnsignedPayload, sum:
			return []string{declared}, nil
		}
	} else if declared == "" || declared == sum {
		return []string{sum}, nil
	} else if declared == UnsignedPayload {
		return nil, errorf(BadSignature, "UNSIGNED-PAYLOAD is accepted only in presigned URLs; sign the request body.")
	}
	return nil, errorf(BadSignature, "The provided 'x-amz-content-sha256' header does not match what was computed.")
}

// canonicalHeaders renders the signed headers as the signer did: lowercase
// name, values trimmed with inner runs of spaces collapsed, joined by ','.
func canonicalHeaders(r *http.Request, names []string) (string, error) {
	var b strings.Builder
	for _, name := range names {
		var vals []string
		switch name {
		case "host":
			vals = []string{r.Host}
		case "content-length":
			vals = r.Header.Values(name)
			if len(vals) == 0 && r.ContentLength >= 0 {
				vals = []string{strconv.FormatInt(r.ContentLength, 10)}
			}
		default:
			vals = r.Header.Values(name)
		}
		if len(vals) == 0 {
			return "", errorf(BadSignature, "The signed header '%s' is not in the request.", truncate(name))
		}
		b.WriteString(name)
		b.WriteByte(':')
		for i, v := range vals {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(stripSpaces(v))
		}
		b.WriteByte('\n')
	}
	return b.String(), nil
}

// stripSpaces trims a header value and collapses runs of spaces to one.
func stripSpaces(s string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "  ") {
		return s
	}
	var b strings.Builder
	prev := false
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			if prev {
				continue
			}
			prev = true
		} else {
			prev = false
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// CanonicalURI returns the canonical path: the escaped path as sent,
// URI-encoded once more except for '/' (non-S3 services double-encode).
func CanonicalURI(u *url.URL) string {
	p := u.EscapedPath()
	if u.Opaque != "" {
		p = u.Opaque
	}
	if p == "" {
		p = "/"
	}
	return Escape(p, false)
}

// CanonicalQuery returns the canonical query string of a raw query: every
// name and value AWS-encoded, sorted by name then value; a presigned URL's
// own X-Amz-Signature is left out.
func CanonicalQuery(raw string, presigned bool) string {
	type kv struct{ k, v string }
	var params []kv
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, val, _ := strings.Cut(part, "=")
		k, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(val)
		if err1 != nil || err2 != nil {
			// url.Query drops such pairs too, so the signer never saw them.
			continue
		}
		if presigned && k == "X-Amz-Signature" {
			continue
		}
		params = append(params, kv{Escape(k, true), Escape(val, true)})
	}
	sort.Slice(params, func(i, j int) bool {
		if params[i].k != params[j].k {
			return params[i].k < params[j].k
		}
		return params[i].v < params[j].v
	})
	var b strings.Builder
	for i, p := range params {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// Escape URI-encodes s the AWS way: every byte but A-Z a-z 0-9 - . _ ~ (and
// '/' unless encodeSlash) becomes %XX with uppercase hex.
func Escape(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' || (c == '/' && !encodeSlash) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func hmacSHA256(key, data []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(data)
	return h.Sum(nil)
}

func hexSHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// truncate keeps client-supplied text in messages short.
func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
