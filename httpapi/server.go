package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/cloudtrail"
	"github.com/openchime/openchime/faults"
)

// DefaultMaxBodyBytes caps request bodies. The largest valid Chime request
// (50 emails, or 50 membership items) is a few kilobytes.
const DefaultMaxBodyBytes = 1 << 20

// Server serves the Chime API and the /_openchime/ control plane.
type Server struct {
	Service *openchime.Service
	// Handlers answers the Chime operations; NewServer sets it to the
	// Service's handlers.
	Handlers Handlers
	Logger   *slog.Logger
	// MaxBodyBytes caps request bodies (DefaultMaxBodyBytes when 0).
	MaxBodyBytes int64
	// MaxHeaderBytes, when positive, caps the request line and headers:
	// a request over it is answered 400 BadRequestException. The
	// http.Server must then read headers of up to HeaderReadLimit of it, or
	// net/http answers first with its plain-text 431 (headerlimit.go).
	MaxHeaderBytes int
	// Authenticate returns the caller of a request to operation op, or an
	// error that answers it. The default takes the AWS account from the
	// access key (AccessKeyTenancy); SigV4Auth verifies signatures.
	Authenticate func(r *http.Request, op string, body []byte) (openchime.Caller, error)
	// AdminToken, when set, guards the control plane (health and ready
	// excepted).
	AdminToken string
	// SelfAuthPrefixes are control-plane paths whose handlers check the
	// admin token themselves (the console, with a login form and a session).
	SelfAuthPrefixes []string
	// RateLimit caps requests per second per access key (0 = no limit).
	RateLimit float64
	// ControlPlane serves /_openchime/; NewServer sets it.
	ControlPlane http.Handler
	// Metrics, when set, serves GET /metrics (Prometheus' default path,
	// which no Chime route uses).
	Metrics http.Handler
	// Observer, when set, is told of every answered request.
	Observer RequestObserver
	// RequestIDs makes the x-amzn-RequestId of each response. It is not the
	// Service's IDGen, so requests never shift the resource ids a seeded
	// IDGen hands out (--id-seed).
	RequestIDs openchime.IDGen
	// Clock is the Service's clock when it is a ControlClock (NewServer sets
	// it): /_openchime/clock sets, freezes and advances it. Nil disables that
	// route.
	Clock *openchime.ControlClock
	// Ready checks readiness for GET /_openchime/ready (ready.go); nil
	// uses StoreReady(Service.Store).
	Ready func(context.Context) error
	// Info is the identity GET /_openchime/info reports; the server adds
	// its uptime.
	Info Info
	// Trail records every Chime call for CloudTrail's LookupEvents, which
	// the server answers at POST / (cloudtrail.go); nil records nothing
	// and answers no LookupEvents. NewServer sets one of
	// cloudtrail.DefaultMaxEvents calls.
	Trail *cloudtrail.Trail
	// SCIMReconciler serves POST /_openchime/accounts/{id}/scim/reconcile;
	// nil answers NotImplemented.
	SCIMReconciler openchime.SCIMReconciler

	started time.Time
	router  *router
	cp      *controlPlane

	limitOnce sync.Once
	limiter   *rateLimiter
}

// HandleControl adds a route under /_openchime/ (a ServeMux pattern such as
// "GET /_openchime/metrics"), so other packages extend the control plane.
func (s *Server) HandleControl(pattern string, h http.Handler) { s.cp.Handle(pattern, h) }

// NewServer returns a Server for svc. A Service without a FaultInjector gets
// a faults.Set, which the control plane's /_openchime/faults manages.
func NewServer(svc *openchime.Service) *Server {
	s := &Server{
		Service:  svc,
		Handlers: &handlers{svc: svc},
		Logger:   slog.Default(),
		router:   newRouter(operations),
		started:  time.Now(),
	}
	s.Authenticate = func(r *http.Request, _ string, _ []byte) (openchime.Caller, error) {
		return AccessKeyTenancy(r, svc.DefaultAwsAccountID), nil
	}
	s.RequestIDs = openchime.RandomIDs{}
	s.Trail = cloudtrail.New(cloudtrail.DefaultMaxEvents, openchime.RandomIDs{})
	s.Clock, _ = svc.Clock.(*openchime.ControlClock)
	if svc.Faults == nil {
		svc.Faults = faults.New(serviceClock{svc})
	}
	s.cp = newControlPlane(svc)
	s.ControlPlane = s.cp
	s.handleTestingRoutes()
	s.handleReadyRoutes()
	registerCollabControl(s)
	registerOutboxControl(s)
	return s
}

// serviceClock reads the Service's clock at each call, so fault expiries
// follow a clock swapped in after NewServer (chimetest's WithClock).
type serviceClock struct{ svc *openchime.Service }

func (c serviceClock) Now() time.Time { return c.svc.Clock.Now() }

var awsAccountID = regexp.MustCompile(`^\d{12}$`)

// AccessKeyTenancy returns the caller of an unauthenticated request: the
// access key id of the SigV4 credential when it is a 12-digit AWS account id,
// else defaultAccount.
func AccessKeyTenancy(r *http.Request, defaultAccount string) openchime.Caller {
	c := openchime.Caller{AwsAccountID: defaultAccount}
	key := accessKeyID(r)
	c.AccessKeyID = key
	if awsAccountID.MatchString(key) {
		c.AwsAccountID = key
	}
	return c
}

func accessKeyID(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	if i := strings.Index(auth, "Credential="); i >= 0 {
		cred := auth[i+len("Credential="):]
		if j := strings.IndexByte(cred, '/'); j >= 0 {
			return cred[:j]
		}
	}
	if cred := r.URL.Query().Get("X-Amz-Credential"); cred != "" {
		key, _, _ := strings.Cut(cred, "/")
		return key
	}
	return ""
}

// RequestObserver is told of every request once it is answered: the
// operation name ("ControlPlane", "Metrics", or "" when no operation
// matched), the status, the error code ("" on success) and the time taken.
type RequestObserver interface {
	ObserveRequest(op string, status int, code openchime.Code, elapsed time.Duration)
}

type statusWriter struct {
	http.ResponseWriter
	status int
	code   openchime.Code // set by WriteError
	// errType and errMsg are the exception and message WriteError wrote,
	// for the trail.
	errType, errMsg string
	// keep asks Write to keep a successful answer (a write's, for the
	// trail's responseElements) in kept, up to cloudtrail.MaxKeptBody;
	// keptOmitted says a larger one was not kept.
	keep        bool
	keptOmitted bool
	kept        []byte
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.keep && w.status < 300 {
		if len(w.kept)+len(b) <= cloudtrail.MaxKeptBody {
			w.kept = append(w.kept, b...)
		} else {
			w.keep, w.keptOmitted, w.kept = false, true, nil
		}
	}
	return w.ResponseWriter.Write(b)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	requestID := s.RequestIDs.UUID()
	// The canonical form of x-amzn-RequestId, which Set would compute (an
	// allocation) on every request.
	w.Header()["X-Amzn-Requestid"] = []string{requestID}
	sw := &statusWriter{ResponseWriter: w}
	opName := ""
	// traced is the operation of a call the trail records, set once the
	// caller is known (a call no one is known to have made is recorded by
	// no account).
	var traced *Operation
	var caller openchime.Caller
	var body []byte
	defer func() {
		if p := recover(); p != nil {
			s.Logger.Error("panic", "request_id", requestID, "panic", p)
			if sw.status == 0 {
				WriteError(sw, openchime.Errorf(openchime.ServiceFailure, "The service encountered an unexpected error."))
			}
		}
		if traced != nil && s.Trail != nil {
			s.trace(r, sw, traced, &caller, body, requestID)
		}
		if s.Observer != nil {
			s.Observer.ObserveRequest(opName, sw.status, sw.code, time.Since(start))
		}
		// LogAttrs, not Info's key-value pairs: the same line without boxing
		// each value, and nothing at all below the info level.
		s.Logger.LogAttrs(r.Context(), slog.LevelInfo, "request", slog.String("op", opName), slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.Int("status", sw.status),
			slog.Float64("latency_ms", float64(time.Since(start).Microseconds())/1000), slog.String("request_id", requestID))
	}()

	if s.MaxHeaderBytes > 0 {
		if err := checkHeaderSize(r, s.MaxHeaderBytes); err != nil {
			WriteError(sw, err)
			return
		}
	}
	path := r.URL.EscapedPath()
	if path == "/console" || strings.HasPrefix(path, "/console/") {
		path = strings.TrimPrefix(path, "/console") // decision D9
	}
	if strings.HasPrefix(path, "/_openchime/") || path == "/_openchime" {
		opName = "ControlPlane"
		if err := s.checkAdminToken(r); err != nil {
			WriteError(sw, err)
			return
		}
		s.ControlPlane.ServeHTTP(sw, r)
		return
	}
	if path == "/metrics" && s.Metrics != nil {
		opName = "Metrics"
		// Counts of users and operations are the operator's: with an admin
		// token set, scrapers send it (Prometheus: authorization.credentials).
		if err := s.checkAdminToken(r); err != nil {
			WriteError(sw, err)
			return
		}
		s.Metrics.ServeHTTP(sw, r)
		return
	}
	if strings.HasPrefix(path, openchime.IncomingWebhookPath) {
		opName = "IncomingWebhook"
		s.serveIncomingWebhook(sw, r, path)
		return
	}
	if path == "/" && r.Method == http.MethodPost {
		if target, ok := cloudtrail.Target(r.Header.Get("X-Amz-Target")); ok {
			opName = "CloudTrail"
			s.serveCloudTrail(sw, r, target)
			return
		}
	}
	segs, ok := splitPath(path)
	if !ok {
		WriteError(sw, openchime.Errorf(openchime.BadRequest, "The request path is not validly escaped."))
		return
	}
	q := r.URL.Query()
	op, labels, err := s.router.match(r.Method, segs, q)
	if err != nil {
		WriteError(sw, err)
		return
	}
	opName = op.Name
	body, err = readBody(r, s.maxBody())
	if err != nil {
		WriteError(sw, err)
		return
	}
	caller, err = s.Authenticate(r, op.Name, body)
	if caller.AwsAccountID != "" {
		// Set even when authorization failed: CloudTrail records a denied
		// call with its errorCode.
		traced = op
		caller.RequestID = requestID
		sw.keep = s.Trail != nil && !cloudtrail.ReadOnly(op.Name)
	}
	if err != nil {
		WriteError(sw, err)
		return
	}
	if err := s.throttle(caller); err != nil {
		WriteError(sw, err)
		return
	}
	caller.RequestID = requestID
	caller.Host, caller.TLS = r.Host, r.TLS != nil
	ctx := openchime.NewContextWithCaller(r.Context(), caller)
	rq := &request{op: op, labels: labels, q: q, body: body}
	if f := s.Service.Faults; f != nil {
		if err := f.BeforeRequest(ctx, op.Name, caller.AwsAccountID, rq.label("accountId")); err != nil {
			WriteError(sw, err)
			return
		}
	}
	out, err := op.serve(ctx, s.Handlers, rq)
	if err != nil {
		if openchime.ErrorCode(err) == openchime.ServiceFailure {
			s.Logger.Error("operation failed", "op", op.Name, "request_id", requestID, "err", err)
		}
		WriteError(sw, err)
		return
	}
	if op.Status == http.StatusNoContent || op.EmptyOutput {
		sw.WriteHeader(op.Status)
		return
	}
	writeJSON(sw, op.Status, out)
}

func (s *Server) maxBody() int64 {
	if s.MaxBodyBytes > 0 {
		return s.MaxBodyBytes
	}
	return DefaultMaxBodyBytes
}

func readBody(r *http.Request, limit int64) ([]byte, error) {
	// http.NoBody: every GET; io.ReadAll would allocate for it anyway.
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	body, err := readAll(r.Body, r.ContentLength, limit+1)
	if err != nil {
		return nil, openchime.Errorf(openchime.BadRequest, "The request body could not be read: %v.", err)
	}
	if int64(len(body)) > limit {
		return nil, openchime.Errorf(openchime.BadRequest, "The request body is larger than the limit of %d bytes.", limit)
	}
	return body, nil
}

// preallocMax bounds the buffer readAll reserves from a declared length.
const preallocMax = 64 << 10

// readAll is io.ReadAll(io.LimitReader(r, max)) that starts with room for
// a body of the declared length (and the read that finds its end), instead
// of growing from 512 bytes through copies. The declared length is the
// client's word, read before the request is authenticated, so what it
// reserves is capped at preallocMax; a larger body grows as it arrives.
func readAll(r io.Reader, declared, max int64) ([]byte, error) {
	n := int64(512)
	if declared > 0 {
		n = min(declared+1, max, preallocMax)
	}
	b := make([]byte, 0, n)
	for int64(len(b)) < max {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		room := b[len(b):min(int64(cap(b)), max)]
		m, err := r.Read(room)
		b = b[:len(b)+m]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
	return b, nil
}

// jsonBuffers recycles the response buffers of writeJSON's fast path.
var jsonBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// maxPooledJSON keeps one huge response from pinning its buffer in the pool.
const maxPooledJSON = 1 << 20

func writeJSON(w http.ResponseWriter, status int, v any) {
	if a, ok := v.(jsonAppender); ok {
		bp := jsonBuffers.Get().(*[]byte)
		b := a.appendJSON((*bp)[:0])
		w.Header().Set("Content-Type", "application/json")
		// A length, as the service sends, instead of chunks: one write, and
		// the client knows the size up front.
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(status)
		w.Write(b)
		if cap(b) <= maxPooledJSON {
			*bp = b[:0]
			jsonBuffers.Put(bp)
		}
		return
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		w.Header().Set("x-amzn-ErrorType", "ServiceFailureException")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, `{"Code":"ServiceFailure","Message":"The response could not be encoded."}`)
		return
	}
	out := bytes.TrimRight(buf.Bytes(), "\n")
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(status)
	w.Write(out)
}

// Timestamp is a wire timestamp: UTC, millisecond precision, "Z".
type Timestamp time.Time

// MarshalJSON implements json.Marshaler.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	return t.appendJSON(make([]byte, 0, len(timestampLayout)+2)), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("a timestamp must be a string such as \"2030-01-02T03:04:05Z\"")
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		// time.Parse's own error names its Go layout, which means nothing
		// to a caller.
		return fmt.Errorf("timestamp %q is not an RFC 3339 time such as \"2030-01-02T03:04:05Z\"", s)
	}
	*t = Timestamp(v)
	return nil
}

func ts(t time.Time) *Timestamp {
	if t.IsZero() {
		return nil
	}
	v := Timestamp(t)
	return &v
}
