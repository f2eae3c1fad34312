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
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
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
	keys map[keyCacheKey]*[sha256.Size]byte
}

// keyCacheKey names a derived key by everything it is derived from. The
// secret itself is part of the key, so a rotated secret can never be served
// the old secret's key, whatever access key it sits under.
type keyCacheKey struct{ secret, date, region, service string }

// maxCachedKeys bounds the derived-key cache; a key is good for one day, so
// the cache is simply dropped when it fills.
const maxCachedKeys = 4096

// maxCachedRegion bounds the region a cached key may name (real ones are
// under 20 bytes), so the cache's memory stays small even though the region
// is the client's text.
const maxCachedRegion = 32

// Result is what a verified request was signed with.
type Result struct {
	Credentials Credentials
	Region      string
	Presigned   bool
}

// parsed holds the signature parameters of a request, from either form.
type parsed struct {
	accessKey, date, region, service string
	signedHeaders                    string // as sent: validated lowercase names, sorted, ';'-separated
	signature                        string
	amzDate                          time.Time
	expires                          time.Duration // presigned only
	presigned                        bool
	token                            string
	queryContentSha                  string // presigned only: X-Amz-Content-Sha256 from the query
}

// scratch is one verification's working memory, pooled so that the
// canonical request and string-to-sign cost no allocation per request.
type scratch struct {
	buf    []byte  // canonical request
	sts    []byte  // HMAC inner block, then the string-to-sign
	esc    []byte  // escaped query names and values
	params []param // offsets of each query pair into esc
}

type param struct{ k0, k1, v1 int } // name esc[k0:k1], value esc[k1:v1]

var scratchPool = sync.Pool{New: func() any { return &scratch{buf: make([]byte, 0, 1024), sts: make([]byte, 0, 256)} }}

// maxPooledScratch keeps one huge request (a long query, many headers) from
// pinning its buffers in the pool.
const maxPooledScratch = 64 << 10

// Verify checks the signature of r, whose body has already been read into
// body. It returns the credentials the request was signed with, or an *Error.
func (v *Verifier) Verify(r *http.Request, body []byte) (*Result, error) {
	s := scratchPool.Get().(*scratch)
	defer s.release()
	return v.verify(r, body, s)
}

// verify is Verify with its working memory, whose old contents must not
// matter.
func (v *Verifier) verify(r *http.Request, body []byte, s *scratch) (*Result, error) {
	var p parsed
	if err := v.parse(r, &p); err != nil {
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

	// The body is hashed here once; a declared X-Amz-Content-Sha256 is
	// checked against this hash, never trusted in its place.
	var sum [2 * sha256.Size]byte
	bodySum := sha256.Sum256(body)
	hex.Encode(sum[:], bodySum[:])
	tryBody, tryUnsigned, err := payloadHashes(r, &p, sum[:])
	if err != nil {
		return nil, err
	}

	b := append(s.buf[:0], r.Method...)
	b = append(b, '\n')
	b = appendCanonicalURI(b, r.URL)
	b = append(b, '\n')
	b = s.appendCanonicalQuery(b, r.URL.RawQuery, p.presigned)
	b = append(b, '\n')
	b, err = appendCanonicalHeaders(b, r, p.signedHeaders)
	s.buf = b
	if err != nil {
		return nil, err
	}
	b = append(b, '\n')
	b = append(b, p.signedHeaders...)
	b = append(b, '\n')
	s.buf = b
	prefix := len(b)

	ck := keyCacheKey{creds.SecretAccessKey, p.date, p.region, p.service}
	key, cached := v.cachedKey(ck)
	if !cached {
		key = new([sha256.Size]byte)
		copy(key[:], DeriveKey(creds.SecretAccessKey, p.date, p.region, p.service))
	}
	var want [sha256.Size]byte
	if !decodeHex(want[:], p.signature) {
		return nil, errorf(BadSignature, "The request signature is not a 64-digit hex SHA-256 HMAC.")
	}
	for i, try := range [2]bool{tryBody, tryUnsigned} {
		if !try {
			continue
		}
		b = s.buf[:prefix]
		if i == 0 {
			b = append(b, sum[:]...)
		} else {
			b = append(b, UnsignedPayload...)
		}
		s.buf = b
		got := s.sign(key, p.amzDate, p.date, p.region, p.service, b)
		if hmac.Equal(got[:], want[:]) {
			// Cached only once a signature made with it verified, so that
			// nobody without the secret can fill the cache.
			if !cached && len(p.region) <= maxCachedRegion {
				v.storeKey(ck, key)
			}
			return &Result{Credentials: creds, Region: p.region, Presigned: p.presigned}, nil
		}
	}
	return nil, errorf(BadSignature, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
}

func (s *scratch) release() {
	if cap(s.buf)+cap(s.sts)+cap(s.esc) > maxPooledScratch || cap(s.params) > maxPooledScratch/16 {
		return
	}
	scratchPool.Put(s)
}

// sign returns the signature of a canonical request: the HMAC, under key,
// of its string-to-sign.
func (s *scratch) sign(key *[sha256.Size]byte, at time.Time, date, region, service string, canonical []byte) [sha256.Size]byte {
	crSum := sha256.Sum256(canonical)
	var crHex [2 * sha256.Size]byte
	hex.Encode(crHex[:], crSum[:])
	// The string-to-sign is written after the HMAC's inner key block, so
	// both hash in one call over one buffer.
	m := append(s.sts[:0], make([]byte, sha256.BlockSize)...)
	m = append(m, Algorithm...)
	m = append(m, '\n')
	m = at.AppendFormat(m, timeFormat)
	m = append(m, '\n')
	m = append(m, date...)
	m = append(m, '/')
	m = append(m, region...)
	m = append(m, '/')
	m = append(m, service...)
	m = append(m, "/aws4_request\n"...)
	m = append(m, crHex[:]...)
	s.sts = m
	return hmacSHA256Block(key, m)
}

// hmacSHA256Block is HMAC-SHA256 (RFC 2104) with a 32-byte key, of
// msg[sha256.BlockSize:]; msg's first block is overwritten with the inner
// key pad. It is crypto/hmac's result without its allocations.
func hmacSHA256Block(key *[sha256.Size]byte, msg []byte) [sha256.Size]byte {
	for i := range sha256.BlockSize {
		msg[i] = 0x36
		if i < len(key) {
			msg[i] ^= key[i]
		}
	}
	inner := sha256.Sum256(msg)
	var outer [sha256.BlockSize + sha256.Size]byte
	for i := range sha256.BlockSize {
		outer[i] = 0x5c
		if i < len(key) {
			outer[i] ^= key[i]
		}
	}
	copy(outer[sha256.BlockSize:], inner[:])
	return sha256.Sum256(outer[:])
}

// decodeHex decodes exactly len(dst) bytes of hex (either case) from s.
func decodeHex(dst []byte, s string) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	for i := range dst {
		hi, ok1 := fromHex(s[2*i])
		lo, ok2 := fromHex(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// cachedKey returns the cached signing key of ck, if any. Cached keys are
// never written to, so callers may read them outside the lock.
func (v *Verifier) cachedKey(ck keyCacheKey) (*[sha256.Size]byte, bool) {
	v.mu.Lock()
	k, ok := v.keys[ck]
	v.mu.Unlock()
	return k, ok
}

// storeKey caches k as the signing key of ck.
func (v *Verifier) storeKey(ck keyCacheKey, k *[sha256.Size]byte) {
	// The scope parts are substrings of the Authorization header; cloned,
	// so a cached key does not keep the whole header alive.
	ck = keyCacheKey{ck.secret, strings.Clone(ck.date), strings.Clone(ck.region), strings.Clone(ck.service)}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.keys == nil || len(v.keys) >= maxCachedKeys {
		v.keys = map[keyCacheKey]*[sha256.Size]byte{}
	}
	v.keys[ck] = k
}

// DeriveKey returns the SigV4 signing key of a secret for a date (YYYYMMDD),
// region and service.
func DeriveKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), []byte(date))
	k = hmacSHA256(k, []byte(region))
	k = hmacSHA256(k, []byte(service))
	return hmacSHA256(k, []byte("aws4_request"))
}

func (v *Verifier) parse(r *http.Request, p *parsed) error {
	auth := r.Header.Get("Authorization")
	switch {
	case strings.HasPrefix(auth, "AWS4-"):
		return parseHeader(r, auth, p)
	case auth != "":
		return errorf(Malformed, "Authorization header must use %s (Signature Version 4).", Algorithm)
	}
	// Only a request without an Authorization header needs its query
	// parsed here.
	if q := r.URL.Query(); q.Has("X-Amz-Signature") || q.Has("X-Amz-Credential") || q.Has("X-Amz-Algorithm") {
		return parseQuery(q, p)
	}
	return errorf(Missing, "Missing Authentication Token: the request has neither a SigV4 Authorization header nor a presigned X-Amz-Signature.")
}

func parseHeader(r *http.Request, auth string, p *parsed) error {
	alg, rest, _ := strings.Cut(auth, " ")
	if alg != Algorithm {
		return errorf(Malformed, "Unsupported signing algorithm %q; use %s.", truncate(alg), Algorithm)
	}
	var cred, signed, sig string
	for more := true; more; {
		var f string
		f, rest, more = strings.Cut(rest, ",")
		k, val, ok := strings.Cut(strings.TrimSpace(f), "=")
		if !ok {
			return errorf(Malformed, "Authorization header field %q is not key=value.", truncate(f))
		}
		switch k { // a repeated field: the last one counts
		case "Credential":
			cred = val
		case "SignedHeaders":
			signed = val
		case "Signature":
			sig = val
		}
	}
	for _, f := range [...]struct{ name, val string }{{"Credential", cred}, {"SignedHeaders", signed}, {"Signature", sig}} {
		if f.val == "" {
			return errorf(Malformed, "Authorization header requires '%s' parameter.", f.name)
		}
	}
	p.signature, p.token = sig, r.Header.Get("X-Amz-Security-Token")
	if err := p.setCredential(cred); err != nil {
		return err
	}
	if err := p.setSignedHeaders(signed); err != nil {
		return err
	}
	date := r.Header.Get("X-Amz-Date")
	if date == "" {
		return errorf(Malformed, "Authorization header requires an 'X-Amz-Date' header.")
	}
	return p.setDate(date)
}

func parseQuery(q url.Values, p *parsed) error {
	for _, k := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Date", "X-Amz-Expires"} {
		if q.Get(k) == "" {
			return errorf(Malformed, "A presigned URL requires the '%s' query parameter.", k)
		}
	}
	if alg := q.Get("X-Amz-Algorithm"); alg != Algorithm {
		return errorf(Malformed, "Unsupported signing algorithm %q; use %s.", truncate(alg), Algorithm)
	}
	p.presigned, p.signature, p.token = true, q.Get("X-Amz-Signature"), q.Get("X-Amz-Security-Token")
	p.queryContentSha = q.Get("X-Amz-Content-Sha256")
	if err := p.setCredential(q.Get("X-Amz-Credential")); err != nil {
		return err
	}
	if err := p.setSignedHeaders(q.Get("X-Amz-SignedHeaders")); err != nil {
		return err
	}
	if err := p.setDate(q.Get("X-Amz-Date")); err != nil {
		return err
	}
	secs, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || secs < 1 || time.Duration(secs)*time.Second > maxPresignExpires {
		return errorf(Malformed, "X-Amz-Expires must be a whole number of seconds from 1 to %d.", int(maxPresignExpires/time.Second))
	}
	p.expires = time.Duration(secs) * time.Second
	return nil
}

func (p *parsed) setCredential(c string) error {
	ak, rest, _ := strings.Cut(c, "/")
	date, rest, _ := strings.Cut(rest, "/")
	region, rest, _ := strings.Cut(rest, "/")
	service, term, _ := strings.Cut(rest, "/")
	if strings.Count(c, "/") != 4 || ak == "" || term != "aws4_request" {
		return errorf(Malformed, "Credential %q must be <access key>/<YYYYMMDD>/<region>/<service>/aws4_request.", truncate(c))
	}
	p.accessKey, p.date, p.region, p.service = ak, date, region, service
	return nil
}

func (p *parsed) setSignedHeaders(s string) error {
	host := false
	prev := ""
	for rest, more, i := s, true, 0; more; i++ {
		var h string
		h, rest, more = strings.Cut(rest, ";")
		if h == "" || h != strings.ToLower(h) || (i > 0 && prev >= h) {
			return errorf(Malformed, "SignedHeaders must be lowercase header names, sorted, separated by ';'.")
		}
		host = host || h == "host"
		prev = h
	}
	if !host {
		return errorf(Malformed, "SignedHeaders must include 'host'.")
	}
	p.signedHeaders = s
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

// payloadHashes says which payload hashes to try: the body's (sum, in hex) or
// UNSIGNED-PAYLOAD. Header auth signs the body: x-amz-content-sha256, when
// sent, must be its hash. A presigned URL may also sign UNSIGNED-PAYLOAD.
func payloadHashes(r *http.Request, p *parsed, sum []byte) (body, unsigned bool, err error) {
	declared := r.Header.Get("X-Amz-Content-Sha256")
	if p.presigned {
		if declared == "" {
			declared = p.queryContentSha
		}
		switch declared {
		case "":
			return true, true, nil
		case UnsignedPayload:
			return false, true, nil
		case string(sum):
			return true, false, nil
		}
	} else if declared == "" || declared == string(sum) {
		return true, false, nil
	} else if declared == UnsignedPayload {
		return false, false, errorf(BadSignature, "UNSIGNED-PAYLOAD is accepted only in presigned URLs; sign the request body.")
	}
	return false, false, errorf(BadSignature, "The provided 'x-amz-content-sha256' header does not match what was computed.")
}

// appendCanonicalHeaders renders the signed headers as the signer did:
// lowercase name, values trimmed with inner runs of spaces collapsed, joined
// by ','.
func appendCanonicalHeaders(b []byte, r *http.Request, names string) ([]byte, error) {
	for rest, more := names, true; more; {
		var name string
		name, rest, more = strings.Cut(rest, ";")
		var vals []string
		var one [1]string
		switch name {
		case "host":
			one[0] = r.Host
			vals = one[:]
		case "content-length":
			vals = headerValues(r.Header, name)
			if len(vals) == 0 && r.ContentLength >= 0 {
				b = append(b, name...)
				b = append(b, ':')
				b = strconv.AppendInt(b, r.ContentLength, 10)
				b = append(b, '\n')
				continue
			}
		default:
			vals = headerValues(r.Header, name)
		}
		if len(vals) == 0 {
			return b, errorf(BadSignature, "The signed header '%s' is not in the request.", truncate(name))
		}
		b = append(b, name...)
		b = append(b, ':')
		for i, v := range vals {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendStripped(b, v)
		}
		b = append(b, '\n')
	}
	return b, nil
}

// headerValues is h.Values(name) for a lowercase name, without allocating
// the canonical form of the name for the common [a-z0-9-] names; any other
// name goes through h.Values itself.
func headerValues(h http.Header, name string) []string {
	var key [64]byte
	if len(name) > len(key) {
		return h.Values(name)
	}
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z':
			if upper {
				c -= 'a' - 'A'
			}
		case '0' <= c && c <= '9' || c == '-':
		default:
			return h.Values(name)
		}
		key[i] = c
		upper = c == '-'
	}
	return h[string(key[:len(name)])]
}

// appendStripped appends a header value trimmed, with runs of spaces
// collapsed to one.
func appendStripped(b []byte, s string) []byte {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "  ") {
		return append(b, s...)
	}
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
		b = append(b, s[i])
	}
	return b
}

// CanonicalURI returns the canonical path: the escaped path as sent,
// URI-encoded once more except for '/' (non-S3 services double-encode).
func CanonicalURI(u *url.URL) string {
	return string(appendCanonicalURI(nil, u))
}

func appendCanonicalURI(b []byte, u *url.URL) []byte {
	p := u.EscapedPath()
	if u.Opaque != "" {
		p = u.Opaque
	}
	if p == "" {
		p = "/"
	}
	return appendEscape(b, p, false)
}

// CanonicalQuery returns the canonical query string of a raw query: every
// name and value AWS-encoded, sorted by name then value; a presigned URL's
// own X-Amz-Signature is left out.
func CanonicalQuery(raw string, presigned bool) string {
	var s scratch
	return string(s.appendCanonicalQuery(nil, raw, presigned))
}

func (s *scratch) appendCanonicalQuery(b []byte, raw string, presigned bool) []byte {
	esc, params := s.esc[:0], s.params[:0]
	for more := true; more; {
		var part string
		part, raw, more = strings.Cut(raw, "&")
		if part == "" {
			continue
		}
		k, val, _ := strings.Cut(part, "=")
		k, err1 := url.QueryUnescape(k) // allocates only when there is something to unescape
		val, err2 := url.QueryUnescape(val)
		if err1 != nil || err2 != nil {
			// url.Query drops such pairs too, so the signer never saw them.
			continue
		}
		if presigned && k == "X-Amz-Signature" {
			continue
		}
		k0 := len(esc)
		esc = appendEscape(esc, k, true)
		k1 := len(esc)
		esc = appendEscape(esc, val, true)
		params = append(params, param{k0, k1, len(esc)})
	}
	slices.SortFunc(params, func(x, y param) int {
		if c := bytes.Compare(esc[x.k0:x.k1], esc[y.k0:y.k1]); c != 0 {
			return c
		}
		return bytes.Compare(esc[x.k1:x.v1], esc[y.k1:y.v1])
	})
	for i, p := range params {
		if i > 0 {
			b = append(b, '&')
		}
		b = append(b, esc[p.k0:p.k1]...)
		b = append(b, '=')
		b = append(b, esc[p.k1:p.v1]...)
	}
	s.esc, s.params = esc, params
	return b
}

// Escape URI-encodes s the AWS way: every byte but A-Z a-z 0-9 - . _ ~ (and
// '/' unless encodeSlash) becomes %XX with uppercase hex.
func Escape(s string, encodeSlash bool) string {
	return string(appendEscape(make([]byte, 0, len(s)), s, encodeSlash))
}

func appendEscape(b []byte, s string, encodeSlash bool) []byte {
	const hexDigits = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' || (c == '/' && !encodeSlash) {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hexDigits[c>>4], hexDigits[c&15])
	}
	return b
}

func hmacSHA256(key, data []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(data)
	return h.Sum(nil)
}

// truncate keeps client-supplied text in messages short.
func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
