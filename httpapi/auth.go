package httpapi

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/cloudtrail"
	"github.com/openchime/openchime/iampolicy"
	"github.com/openchime/openchime/sigv4"
)

// Credential is one access key of a credentials file: its secret, the AWS
// account it acts as and, when AllowedOperations is not empty, the only
// operations it may call; Policies are IAM identity-based policies its
// requests are evaluated against (iam.go).
type Credential struct {
	AccessKeyId       string
	SecretAccessKey   string
	AwsAccountId      string
	SessionToken      string              `json:",omitempty"`
	AllowedOperations []string            `json:",omitempty"`
	Policies          []*iampolicy.Policy `json:",omitempty"`
}

// credentialsFile is the JSON shape of --credentials. Policies are read raw
// and parsed per entry, so that an error names the access key.
type credentialsFile struct {
	Credentials []struct {
		Credential
		Policies []json.RawMessage
	}
}

// ParseCredentials reads a credentials file:
// {"Credentials":[{"AccessKeyId","SecretAccessKey","AwsAccountId","SessionToken","AllowedOperations","Policies"}]}.
func ParseCredentials(r io.Reader) ([]Credential, error) {
	var f credentialsFile
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("credentials file: %w", err)
	}
	creds := make([]Credential, len(f.Credentials))
	for i, e := range f.Credentials {
		creds[i] = e.Credential
		if e.Policies != nil {
			// "Policies": [] is a user with no policy: IAM denies it
			// everything. Only an entry without the field is unrestricted.
			creds[i].Policies = make([]*iampolicy.Policy, 0, len(e.Policies))
		}
		for j, doc := range e.Policies {
			p, err := iampolicy.Parse(doc)
			if err != nil {
				return nil, fmt.Errorf("credentials file: entry %d (%s): Policies[%d]: %w", i, e.AccessKeyId, j, err)
			}
			creds[i].Policies = append(creds[i].Policies, p)
		}
	}
	if len(creds) == 0 {
		return nil, errors.New("credentials file: Credentials must list at least one access key")
	}
	known := map[string]bool{cloudtrail.LookupEventsOp: true}
	for _, op := range operations {
		known[op.Name] = true
	}
	seen := map[string]bool{}
	for i, c := range creds {
		switch {
		case c.AccessKeyId == "" || c.SecretAccessKey == "":
			return nil, fmt.Errorf("credentials file: entry %d needs AccessKeyId and SecretAccessKey", i)
		case !awsAccountID.MatchString(c.AwsAccountId):
			return nil, fmt.Errorf("credentials file: %s: AwsAccountId %q must be 12 digits", c.AccessKeyId, c.AwsAccountId)
		case seen[c.AccessKeyId]:
			return nil, fmt.Errorf("credentials file: access key %s is listed twice", c.AccessKeyId)
		}
		seen[c.AccessKeyId] = true
		for _, op := range c.AllowedOperations {
			if !known[op] {
				return nil, fmt.Errorf("credentials file: %s: AllowedOperations names %q, which is neither a Chime operation nor LookupEvents", c.AccessKeyId, op)
			}
		}
	}
	return creds, nil
}

// LoadCredentials reads the credentials file at path.
func LoadCredentials(path string) ([]Credential, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseCredentials(f)
}

// SigV4Auth returns an Authenticate func that verifies SigV4 signatures
// (service "chime", any region; "cloudtrail" for LookupEvents) against creds
// and answers failures the AWS front-door way (decision D8). now is the
// clock the skew is measured against (time.Now when nil). A key whose
// AllowedOperations or Policies leave op out is answered AccessDenied with
// its caller, so the trail records the denied call. The Policies of creds
// are enforced, as SigV4AuthIAM does with a zero IAM.
func SigV4Auth(creds []Credential, now func() time.Time) func(r *http.Request, op string, body []byte) (openchime.Caller, error) {
	return SigV4AuthIAM(creds, now, IAM{})
}

// SigV4AuthIAM is SigV4Auth with the Policies of creds evaluated as iam
// says. An entry without Policies costs nothing more than before.
func SigV4AuthIAM(creds []Credential, now func() time.Time, iam IAM) func(r *http.Request, op string, body []byte) (openchime.Caller, error) {
	byKey := make(map[string]*keyEntry, len(creds))
	for _, c := range creds {
		e := &keyEntry{Credential: c, arn: principalARN(c)}
		if iam.Mode == IAMOff {
			e.Policies = nil
		}
		byKey[c.AccessKeyId] = e
	}
	iam.defaults()
	lookup := func(key string) (sigv4.Credentials, bool) {
		c, ok := byKey[key]
		if !ok {
			return sigv4.Credentials{}, false
		}
		return sigv4.Credentials{AccessKeyID: c.AccessKeyId, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}, ok
	}
	v := &sigv4.Verifier{Service: "chime", Now: now, Lookup: lookup}
	trail := &sigv4.Verifier{Service: "cloudtrail", Now: now, Lookup: lookup}
	return func(r *http.Request, op string, body []byte) (openchime.Caller, error) {
		service, verifier := "chime", v
		if op == cloudtrail.LookupEventsOp {
			service, verifier = "cloudtrail", trail
		}
		res, err := verifier.Verify(r, body)
		if err != nil {
			return openchime.Caller{}, authError(err)
		}
		c := byKey[res.Credentials.AccessKeyID]
		caller := openchime.Caller{AwsAccountID: c.AwsAccountId, AccessKeyID: c.AccessKeyId}
		if len(c.AllowedOperations) > 0 && !slices.Contains(c.AllowedOperations, op) {
			return caller, openchime.Errorf(openchime.AccessDenied,
				"User: %s is not authorized to perform: %s:%s", c.AccessKeyId, service, op)
		}
		if c.Policies != nil {
			if err := iam.authorize(r, service, op, c, res.Region); err != nil {
				return caller, err
			}
		}
		return caller, nil
	}
}

// authError maps a verification failure to its front-door code (D8). A
// malformed signature is InvalidSignature: the model has no
// IncompleteSignatureException and clients treat both as final.
func authError(err error) error {
	var e *sigv4.Error
	if !errors.As(err, &e) {
		return err
	}
	code := openchime.InvalidSignature
	switch e.Kind {
	case sigv4.Missing:
		code = openchime.MissingAuthenticationToken
	case sigv4.UnknownKey:
		code = openchime.UnrecognizedClient
	}
	return &openchime.Error{Code: code, Message: e.Message, Err: err}
}

// checkAdminToken guards the control plane: with an admin token configured,
// every route but GET (and HEAD, which the GET routes also serve)
// /_openchime/health and /_openchime/ready needs "Authorization: Bearer
// <token>": a load balancer's probe cannot send one.
func (s *Server) checkAdminToken(r *http.Request) error {
	probe := r.Method == http.MethodGet || r.Method == http.MethodHead
	if s.AdminToken == "" || (probe && (r.URL.Path == "/_openchime/health" || r.URL.Path == "/_openchime/ready")) {
		return nil
	}
	for _, p := range s.SelfAuthPrefixes {
		if strings.HasPrefix(r.URL.Path, p) {
			return nil // the console checks the token itself, with a session
		}
	}
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return openchime.Errorf(openchime.Unauthorized, "The control plane needs the admin token: send Authorization: Bearer <token>.")
	}
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(tok), []byte(s.AdminToken)) != 1 {
		return openchime.Errorf(openchime.AccessDenied, "The admin token in the Authorization header is not valid.")
	}
	return nil
}

// maxLimiters bounds the per-key limiter table; when full it is dropped,
// which at worst grants a fresh burst.
const maxLimiters = 10000

// rateLimiter is a token bucket per access key (decision D10).
type rateLimiter struct {
	mu     sync.Mutex
	perSec float64
	keys   map[string]*rate.Limiter
}

func (l *rateLimiter) allow(key string) bool {
	l.mu.Lock()
	lim, ok := l.keys[key]
	if !ok {
		if l.keys == nil || len(l.keys) >= maxLimiters {
			l.keys = map[string]*rate.Limiter{}
		}
		lim = rate.NewLimiter(rate.Limit(l.perSec), int(math.Max(1, math.Ceil(l.perSec))))
		l.keys[key] = lim
	}
	l.mu.Unlock()
	return lim.Allow()
}

// throttle answers Throttled when the caller's access key is over the rate
// limit.
func (s *Server) throttle(c openchime.Caller) error {
	if s.RateLimit <= 0 {
		return nil
	}
	s.limitOnce.Do(func() { s.limiter = &rateLimiter{perSec: s.RateLimit} })
	if s.limiter.allow(c.AccessKeyID) {
		return nil
	}
	return openchime.Errorf(openchime.Throttled, "Rate exceeded: access key %q may make %g requests per second.", c.AccessKeyID, s.RateLimit)
}
