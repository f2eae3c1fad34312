package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/openchime/openchime/httpapi"
)

// Authentication modes of --auth.
const (
	AuthNone  = "none"  // any or no signature; the AWS account comes from the access key
	AuthSigV4 = "sigv4" // SigV4 verified against --credentials
)

// SecurityConfig is the serve command's authentication, TLS and limits
// configuration.
type SecurityConfig struct {
	// Auth is "none" or "sigv4"; empty picks none on a loopback --addr and
	// sigv4 anywhere else.
	Auth        string
	Credentials string // credentials file (sigv4)
	AdminToken  string // bearer token of the control plane
	TLSCert     string
	TLSKey      string
	RateLimit   float64 // requests per second per access key; 0 = off
	// CORSOrigins are the web origins that may call the server from a
	// browser (--cors-origins, comma-separated); AllowedHosts the Host names
	// served with --auth none beside loopback (--allowed-hosts). See
	// httpapi.BrowserGuard.
	CORSOrigins  string
	AllowedHosts string
	// IAM is how the Policies of credentials entries are enforced:
	// enforce, soft or off (--iam); empty picks enforce when an entry has
	// Policies, else off. load resolves it.
	IAM string

	creds []httpapi.Credential // loaded by load (sigv4)

	MaxBodyBytes      int64
	MaxHeaderBytes    int
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
}

func envFloat(name string, def float64) float64 {
	if v, err := strconv.ParseFloat(os.Getenv(name), 64); err == nil {
		return v
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// addFlags registers the security flags on fs; each has an OPENCHIME_ env twin.
func (c *SecurityConfig) addFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Auth, "auth", envOr("OPENCHIME_AUTH", c.Auth), "authentication: none or sigv4 (default: none on a loopback --addr, else sigv4) (env OPENCHIME_AUTH)")
	fs.StringVar(&c.Credentials, "credentials", envOr("OPENCHIME_CREDENTIALS", c.Credentials), "JSON credentials file for --auth sigv4 (env OPENCHIME_CREDENTIALS)")
	fs.StringVar(&c.AdminToken, "admin-token", envOr("OPENCHIME_ADMIN_TOKEN", c.AdminToken), "bearer token for /_openchime/ (required with sigv4) (env OPENCHIME_ADMIN_TOKEN)")
	fs.StringVar(&c.TLSCert, "tls-cert", envOr("OPENCHIME_TLS_CERT", c.TLSCert), "PEM certificate: serve HTTPS (HTTP/1.1 and HTTP/2) (env OPENCHIME_TLS_CERT)")
	fs.StringVar(&c.TLSKey, "tls-key", envOr("OPENCHIME_TLS_KEY", c.TLSKey), "PEM private key of --tls-cert (env OPENCHIME_TLS_KEY)")
	fs.StringVar(&c.CORSOrigins, "cors-origins", envOr("OPENCHIME_CORS_ORIGINS", c.CORSOrigins), "comma-separated web origins (scheme://host[:port]) that may call the server from a browser, with CORS; default none: with --auth none a request carrying another Origin is refused (the console's own origin is always allowed) (env OPENCHIME_CORS_ORIGINS)")
	fs.StringVar(&c.AllowedHosts, "allowed-hosts", envOr("OPENCHIME_ALLOWED_HOSTS", c.AllowedHosts), "comma-separated Host names served with --auth none beside loopback names and addresses, against DNS rebinding; * allows any (env OPENCHIME_ALLOWED_HOSTS)")
	fs.StringVar(&c.IAM, "iam", envOr("OPENCHIME_IAM", c.IAM), "IAM policies of --credentials entries: enforce (deny with 403 AccessDeniedException), soft (allow, log and count what would be denied) or off; default: enforce when an entry has Policies, else off (env OPENCHIME_IAM)")
	fs.Float64Var(&c.RateLimit, "rate-limit", envFloat("OPENCHIME_RATE_LIMIT", c.RateLimit), "requests per second per access key, 0 = unlimited (env OPENCHIME_RATE_LIMIT)")
	fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", c.MaxBodyBytes, "request body cap in bytes (0 = 1 MiB)")
	fs.IntVar(&c.MaxHeaderBytes, "max-header-bytes", c.MaxHeaderBytes, "request header cap in bytes (0 = 64 KiB)")
	fs.DurationVar(&c.ReadHeaderTimeout, "read-header-timeout", envDuration("OPENCHIME_READ_HEADER_TIMEOUT", c.ReadHeaderTimeout), "time to read request headers (0 = 10s)")
	fs.DurationVar(&c.ReadTimeout, "read-timeout", envDuration("OPENCHIME_READ_TIMEOUT", c.ReadTimeout), "time to read a whole request (0 = 60s)")
	fs.DurationVar(&c.WriteTimeout, "write-timeout", envDuration("OPENCHIME_WRITE_TIMEOUT", c.WriteTimeout), "time to write a response (0 = 60s)")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", envDuration("OPENCHIME_IDLE_TIMEOUT", c.IdleTimeout), "keep-alive idle time (0 = 120s)")
}

// splitList splits a comma-separated flag value, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, strings.TrimSuffix(v, "/"))
		}
	}
	return out
}

// isLoopback reports whether addr listens on loopback only.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// problems resolves the auth mode from addr and lists what is wrong,
// refusing configurations that would expose the server without credentials.
func (c *SecurityConfig) problems(addr string) []string {
	defaulted := c.Auth == ""
	if defaulted {
		c.Auth = AuthNone
		if !isLoopback(addr) {
			c.Auth = AuthSigV4
		}
	}
	var problems []string
	switch c.Auth {
	case AuthNone:
	case AuthSigV4:
		var missing []string
		if c.Credentials == "" {
			missing = append(missing, `--credentials FILE (env OPENCHIME_CREDENTIALS), a JSON file such as {"Credentials":[{"AccessKeyId":"..","SecretAccessKey":"..","AwsAccountId":"123456789012"}]}`)
		}
		if c.AdminToken == "" {
			missing = append(missing, "--admin-token TOKEN (env OPENCHIME_ADMIN_TOKEN), the bearer token that protects /_openchime/")
		}
		if len(missing) > 0 {
			why := "--auth sigv4"
			if defaulted {
				why = fmt.Sprintf("--auth sigv4 (the default because --addr %s is not a loopback address)", addr)
			}
			alt := "or pass --auth none to accept unsigned requests"
			if defaulted {
				alt = "or listen on 127.0.0.1, or pass --auth none to accept unsigned requests"
			}
			problems = append(problems, why+" needs "+strings.Join(missing, "\n    and ")+";\n    "+alt)
		}
	default:
		problems = append(problems, fmt.Sprintf("--auth %q must be none or sigv4", c.Auth))
	}
	switch c.IAM {
	case "", httpapi.IAMOff:
	case httpapi.IAMEnforce, httpapi.IAMSoft:
		if c.Auth != AuthSigV4 {
			problems = append(problems, fmt.Sprintf("--iam %s needs --auth sigv4: policies belong to --credentials entries, and --auth %s checks no signature to tell whose request it is", c.IAM, c.Auth))
		}
	default:
		problems = append(problems, fmt.Sprintf("--iam %q (env OPENCHIME_IAM) must be enforce, soft or off", c.IAM))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		problems = append(problems, "--tls-cert and --tls-key go together")
	}
	for _, o := range splitList(c.CORSOrigins) {
		if o == "*" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
			problems = append(problems, fmt.Sprintf("--cors-origins %q: an origin is scheme://host[:port], e.g. http://localhost:3000", o))
		}
	}
	for _, h := range splitList(c.AllowedHosts) {
		if strings.ContainsAny(h, "/@ ") {
			problems = append(problems, fmt.Sprintf("--allowed-hosts %q: a host is a name or address without scheme or port, e.g. openchime.internal", h))
		}
	}
	if c.RateLimit < 0 || c.MaxBodyBytes < 0 || c.MaxHeaderBytes < 0 {
		problems = append(problems, "--rate-limit, --max-body-bytes and --max-header-bytes must not be negative")
	}
	return problems
}

// joinProblems is the one error of a configuration's problems: every one is
// reported at once, so a start is not refused one flag per restart.
func joinProblems(problems []string) error {
	switch len(problems) {
	case 0:
		return nil
	case 1:
		return errors.New(problems[0])
	}
	return errors.New("the configuration has " + strconv.Itoa(len(problems)) + " problems:\n  - " + strings.Join(problems, "\n  - "))
}

// load reads the credentials file and resolves the IAM mode, and logs both:
// serve calls it first, so they are the first lines of the log and a bad
// file stops the start before the store opens.
func (c *SecurityConfig) load(logger *slog.Logger) error {
	if c.Auth != AuthSigV4 {
		logger.Warn("auth", "mode", c.Auth, "note", "signatures are not checked; use --auth sigv4 beyond localhost")
		c.IAM = httpapi.IAMOff
		logger.Info("iam", "mode", c.IAM, "why", "--auth "+c.Auth+" has no credentials entries to hold policies")
		return nil
	}
	creds, err := httpapi.LoadCredentials(c.Credentials)
	if err != nil {
		return fmt.Errorf("--credentials %s: %w", c.Credentials, err)
	}
	c.creds = creds
	withPolicies := 0
	for _, cr := range creds {
		if cr.Policies != nil {
			withPolicies++
		}
	}
	logger.Info("auth", "mode", c.Auth, "access_keys", len(creds))
	why := "--iam"
	if c.IAM == "" {
		c.IAM, why = httpapi.IAMOff, "the default: no credentials entry has Policies"
		if withPolicies > 0 {
			c.IAM, why = httpapi.IAMEnforce, "the default: credentials entries have Policies"
		}
	}
	switch {
	case c.IAM != httpapi.IAMOff && withPolicies == 0:
		logger.Warn("iam", "mode", c.IAM, "entries_with_policies", 0, "why", why, "note", "no credentials entry has Policies: nothing is evaluated")
	case c.IAM == httpapi.IAMOff && withPolicies > 0:
		logger.Warn("iam", "mode", c.IAM, "entries_with_policies", withPolicies, "why", why, "note", "the Policies of the credentials file are ignored")
	default:
		logger.Info("iam", "mode", c.IAM, "entries_with_policies", withPolicies, "why", why)
	}
	return nil
}

// apply configures the API server and the HTTP server from the loaded
// configuration (load) and loads the TLS key pair, so a bad one stops the
// start.
func (c *SecurityConfig) apply(api *httpapi.Server, srv *http.Server, logger *slog.Logger) error {
	if c.Auth == AuthSigV4 {
		iam := httpapi.IAM{Mode: c.IAM, Now: func() time.Time { return api.Service.Clock.Now() }, Logger: logger}
		iam.Observer, _ = api.Observer.(httpapi.IAMObserver)
		api.Authenticate = httpapi.SigV4AuthIAM(c.creds, nil, iam)
	}
	api.AdminToken = c.AdminToken
	srv.Handler = &httpapi.BrowserGuard{Next: srv.Handler, Origins: splitList(c.CORSOrigins), Hosts: splitList(c.AllowedHosts), Refuse: c.Auth == AuthNone}
	api.RateLimit = c.RateLimit
	api.MaxBodyBytes = c.MaxBodyBytes
	// The limit is enforced by api, which answers AWS-style; the HTTP
	// server reads somewhat past it so that net/http's own plain-text 431
	// does not answer first (httpapi/headerlimit.go).
	api.MaxHeaderBytes = httpapi.DefaultMaxHeaderBytes
	if c.MaxHeaderBytes > 0 {
		api.MaxHeaderBytes = c.MaxHeaderBytes
	}
	srv.MaxHeaderBytes = httpapi.HeaderReadLimit(api.MaxHeaderBytes)
	for _, d := range []struct {
		v   time.Duration
		dst *time.Duration
	}{{c.ReadHeaderTimeout, &srv.ReadHeaderTimeout}, {c.ReadTimeout, &srv.ReadTimeout}, {c.WriteTimeout, &srv.WriteTimeout}, {c.IdleTimeout, &srv.IdleTimeout}} {
		if d.v > 0 {
			*d.dst = d.v
		}
	}
	if c.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey)
		if err != nil {
			return fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		// ServeTLS adds h2 to NextProtos, so clients get HTTP/2 or HTTP/1.1.
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	return nil
}

// serve serves on ln, over TLS when a key pair is configured.
func (c *SecurityConfig) serve(srv *http.Server, ln net.Listener) error {
	if srv.TLSConfig != nil {
		return srv.ServeTLS(ln, "", "")
	}
	return srv.Serve(ln)
}
