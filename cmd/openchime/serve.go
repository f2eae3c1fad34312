package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/cloudtrail"
	"github.com/openchime/openchime/console"
	"github.com/openchime/openchime/httpapi"
	"github.com/openchime/openchime/internal/gcfloor"
)

// Config is the server's configuration: DefaultConfig, then the environment,
// then flags, then Validate.
type Config struct {
	Addr                string
	DB                  string
	DefaultAwsAccountID string
	LogLevel            string
	AuditFile           string // --audit-file: audit events as JSON lines
	// AuditRetention, when positive, deletes audit events older than it
	// (--audit-retention); 0 keeps them for ever.
	AuditRetention time.Duration
	// TrailMaxEvents is how many calls the in-memory CloudTrail trail keeps
	// (--trail-max-events); 0 turns the trail and LookupEvents off. Calls
	// older than AuditRetention (when positive) are dropped too.
	TrailMaxEvents int
	Security       SecurityConfig
	// IDSeed, Clock and Seed make runs reproducible (testing.go).
	IDSeed string // --id-seed: a uint64; "" means random ids
	Clock  string // --clock: an RFC 3339 time to freeze the clock at
	Seed   string // --seed: a fixture file to load at start
	// InitDir holds the init hooks run once the server listens
	// (--init-dir, initdir.go).
	InitDir string
	// Redaction is "strict" or "lenient" (--redaction, collab.go).
	Redaction string
	// LambdaEndpoint is the Lambda Invoke API bot events go to
	// (--lambda-endpoint, collab.go); "" drops them.
	LambdaEndpoint string
	// PprofAddr, when set, serves Go's profiler there (--pprof-addr).
	PprofAddr string
	Outbox    OutboxConfig
	// GOGC is the garbage collector's target percentage (--gogc): a number,
	// "off", or "" for the default: the GOGC environment variable when it
	// is set, else 25 with the log store and Go's 100 with the others.
	GOGC string
	// GCFloor is the heap goal below which the collector does not run
	// (--gc-floor): a size such as "64MiB", or "0" to leave GOGC alone.
	GCFloor string
}

// defaultGCFloor is the heap the server may fill before collecting. With a
// few megabytes of live data (SQLite, PostgreSQL, no store) Go's default
// goal is a few megabytes too, and a server allocating tens of kilobytes per
// request collects hundreds of times a second; 64 MiB costs a laptop little.
const defaultGCFloor = "64MiB"

// logGCPercent is the GOGC the server uses with the log store by default.
// The log store keeps every user in the heap, and Go's default GOGC=100
// lets the heap grow to twice the live data before a collection. A lower
// target costs little CPU: the store's memory holds almost no pointers, so a
// cycle has little to mark.
const logGCPercent = 25

// DefaultConfig returns the configuration of a plain `openchime serve`.
func DefaultConfig() Config {
	return Config{
		Addr:                "127.0.0.1:4580",
		DB:                  DefaultDB,
		DefaultAwsAccountID: openchime.DefaultAwsAccountID,
		Outbox:              OutboxConfig{MaxAttempts: 10, Timeout: 10 * time.Second, MaxBackoff: 5 * time.Minute},
		LogLevel:            "info",
		GCFloor:             defaultGCFloor,
		TrailMaxEvents:      cloudtrail.DefaultMaxEvents,
	}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	var problems []string
	add := func(err error) {
		if err != nil {
			problems = append(problems, err.Error())
		}
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		add(fmt.Errorf("--addr %q: %w", c.Addr, err))
	}
	if _, err := resolveDB(c.DB); err != nil {
		add(err)
	}
	if _, err := parseGOGC(c.GOGC); err != nil {
		add(err)
	}
	if _, err := parseSize(c.GCFloor); err != nil {
		add(fmt.Errorf("--gc-floor: %w", err))
	}
	if len(c.DefaultAwsAccountID) != 12 || strings.Trim(c.DefaultAwsAccountID, "0123456789") != "" {
		add(fmt.Errorf("--default-aws-account %q must be 12 digits", c.DefaultAwsAccountID))
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		add(fmt.Errorf("--log-level %q must be debug, info, warn or error", c.LogLevel))
	}
	if c.AuditRetention < 0 {
		add(fmt.Errorf("--audit-retention %s must not be negative", c.AuditRetention))
	}
	if c.TrailMaxEvents < 0 {
		add(fmt.Errorf("--trail-max-events %d must not be negative", c.TrailMaxEvents))
	}
	add(validateInitDir(c.InitDir))
	add(c.validateTesting())
	add(c.Outbox.validate())
	add(c.validateCollab())
	// All at once, the security ones included, so a start is not refused
	// one flag per restart.
	return joinProblems(append(problems, c.Security.problems(c.Addr)...))
}

// Main is the serve command: it owns the store, the service and the listener.
type Main struct {
	Config Config
	Store  openchime.Store
	HTTP   *http.Server
	// Listener is set once Run is listening, for tests that serve on :0.
	Listener net.Listener
	// LogOutput receives the JSON log lines; nil means os.Stderr.
	LogOutput io.Writer
	ready     chan struct{}
}

// NewMain returns a Main with the default configuration.
func NewMain() *Main { return &Main{Config: DefaultConfig(), ready: make(chan struct{})} }

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// ParseFlags reads the environment and the command-line flags.
func (m *Main) ParseFlags(args []string) error {
	fs := flag.NewFlagSet("openchime serve", flag.ContinueOnError)
	fs.StringVar(&m.Config.Addr, "addr", envOr("OPENCHIME_ADDR", m.Config.Addr), "address to listen on (env OPENCHIME_ADDR)")
	fs.StringVar(&m.Config.DB, "db", envOr("OPENCHIME_DB", m.Config.DB), dbUsage)
	fs.StringVar(&m.Config.DefaultAwsAccountID, "default-aws-account", envOr("OPENCHIME_DEFAULT_AWS_ACCOUNT", m.Config.DefaultAwsAccountID), "AWS account of callers whose access key is not a 12-digit account id (env OPENCHIME_DEFAULT_AWS_ACCOUNT)")
	fs.StringVar(&m.Config.LogLevel, "log-level", envOr("OPENCHIME_LOG_LEVEL", m.Config.LogLevel), "debug, info, warn or error (env OPENCHIME_LOG_LEVEL)")
	fs.DurationVar(&m.Config.AuditRetention, "audit-retention", envDuration("OPENCHIME_AUDIT_RETENTION", m.Config.AuditRetention), "delete audit events older than this, e.g. 168h; 0 keeps them for ever (env OPENCHIME_AUDIT_RETENTION)")
	fs.IntVar(&m.Config.TrailMaxEvents, "trail-max-events", envInt("OPENCHIME_TRAIL_MAX_EVENTS", m.Config.TrailMaxEvents), "how many API calls the in-memory CloudTrail trail keeps for LookupEvents (calls older than --audit-retention go too); 0 turns it off (env OPENCHIME_TRAIL_MAX_EVENTS)")
	fs.StringVar(&m.Config.AuditFile, "audit-file", envOr("OPENCHIME_AUDIT_FILE", m.Config.AuditFile), "also append every audit event to this file as a JSON line (env OPENCHIME_AUDIT_FILE)")
	fs.StringVar(&m.Config.GOGC, "gogc", envOr("OPENCHIME_GOGC", m.Config.GOGC), "the garbage collector's target percentage, or off; default: $GOGC when set, else 25 with the log store, 100 with the others (env OPENCHIME_GOGC)")
	fs.StringVar(&m.Config.GCFloor, "gc-floor", envOr("OPENCHIME_GC_FLOOR", m.Config.GCFloor), "let the heap reach this size before the collector runs, however small the live data (GOGC is raised as needed, never lowered below --gogc); 0 turns it off (env OPENCHIME_GC_FLOOR)")
	fs.StringVar(&m.Config.PprofAddr, "pprof-addr", envOr("OPENCHIME_PPROF_ADDR", m.Config.PprofAddr), "serve Go's profiler (/debug/pprof/) on this address, e.g. 127.0.0.1:6060; off by default (env OPENCHIME_PPROF_ADDR)")
	fs.StringVar(&m.Config.InitDir, "init-dir", envOr("OPENCHIME_INIT_DIR", m.Config.InitDir), "once the server is ready, load every fixture (*.json, *.yaml) and run every executable *.sh in this folder in name order, with OPENCHIME_ENDPOINT set; LocalStack's layout: subfolders such as ready.d after a folder's own files; a failure stops the start (env OPENCHIME_INIT_DIR)")
	m.Config.Security.addFlags(fs)
	m.testingFlags(fs)
	m.collabFlags(fs)
	m.outboxFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	return m.Config.Validate()
}

// parseGOGC reads a --gogc value: a percentage, "off" (-1), or "" (0: the
// default).
func parseGOGC(v string) (int, error) {
	switch v {
	case "":
		return 0, nil
	case "off":
		return -1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("--gogc %q must be a positive percentage or off", v)
	}
	return n, nil
}

// parseSize reads a size: a number of bytes with an optional suffix KiB,
// MiB, GiB (or KB, MB, GB, the same powers of two, as Go's GOMEMLIMIT).
func parseSize(v string) (uint64, error) {
	num, mult := v, uint64(1)
	for _, u := range []struct {
		suffix string
		mult   uint64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(v, u.suffix) {
			num, mult = strings.TrimSuffix(v, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseUint(strings.TrimSpace(num), 10, 64)
	if err != nil || n > (1<<50)/mult {
		return 0, fmt.Errorf("%q is not a size such as 64MiB, 512MB or 0", v)
	}
	return n * mult, nil
}

// gcPercent is the GOGC the server runs with on a store of kind, and where
// that value comes from.
func (c *Config) gcPercent(kind string) (int, string) {
	if n, _ := parseGOGC(c.GOGC); n != 0 {
		return n, "--gogc"
	}
	if os.Getenv("GOGC") != "" || kind != kindLog {
		cur := debug.SetGCPercent(100)
		debug.SetGCPercent(cur)
		if os.Getenv("GOGC") != "" {
			return cur, "GOGC"
		}
		return cur, "Go's default"
	}
	return logGCPercent, "the log store's default"
}

// Run serves until ctx is done, then shuts down gracefully, letting
// in-flight requests finish.
func (m *Main) Run(ctx context.Context) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(m.Config.LogLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	logOut := m.LogOutput
	if logOut == nil {
		logOut = os.Stderr
	}
	logBuf := newLogBuffer(logOut)
	defer logBuf.Flush()
	logger := slog.New(batchedRequests{Handler: slog.NewJSONHandler(logBuf, &slog.HandlerOptions{Level: level}), buf: logBuf, json: true})
	target, err := resolveDB(m.Config.DB)
	if err != nil {
		return err
	}
	gc, gcFrom := m.Config.gcPercent(target.Kind)
	logger.Info("store", "store", target.Kind, "path", redactDB(target.Path), "why", target.Why, "gogc", gc, "gogc_from", gcFrom, "gc_floor", m.Config.GCFloor)
	// The auth and IAM modes are the next lines, and a bad credentials file
	// stops the start before the store opens.
	if err := m.Config.Security.load(logger); err != nil {
		return err
	}
	if target.Kind == kindLog {
		// Opening the log store loads its snapshot, which allocates only
		// what the store keeps: collecting meanwhile would mark the growing
		// indexes again and again (most of the start time at 10M users),
		// so the collector waits; the log files read meanwhile (at most
		// about half a snapshot) are freed after.
		debug.SetGCPercent(-1)
	}
	if target.Kind == kindNoStore {
		// Issue 19: nostore: is a benchmark baseline; a server on it must
		// not be mistaken for one that keeps what it is sent.
		logger.Warn("--db nostore: STORES NOTHING: every write is dropped and every read is made up; use it only as a benchmark baseline", "db", m.Config.DB)
	}
	store, err := target.open(ctx)
	floor, _ := parseSize(m.Config.GCFloor)
	defer gcfloor.Start(floor, gc).Stop()
	if err != nil {
		return fmt.Errorf("open %s: %w", target, err)
	}
	m.Store = store
	defer store.Close()

	obs, err := newObservability(m.Config, store, logger)
	if err != nil {
		return err
	}
	defer obs.Close()
	svc := openchime.NewService(obs.Store)
	svc.DefaultAwsAccountID = m.Config.DefaultAwsAccountID
	m.Config.applyCollab(svc)
	bots := newBotDelivery(m.Config, svc, obs.Metrics, logger)
	defer bots.Close()
	api := httpapi.NewServer(svc)
	api.Logger = logger
	if m.Config.TrailMaxEvents > 0 {
		api.Trail.MaxEvents, api.Trail.MaxAge = m.Config.TrailMaxEvents, m.Config.AuditRetention
	} else {
		api.Trail = nil
	}
	obs.attach(api)
	ui := console.New(svc, m.Config.Security.AdminToken)
	ui.Logger = logger
	ui.SecureCookies = m.Config.Security.TLSCert != ""
	ui.Stats = func() []console.Stat {
		var out []console.Stat
		for _, t := range obs.Metrics.Totals() {
			out = append(out, console.Stat{Operation: t.Operation, Requests: t.Requests, Errors: t.Errors})
		}
		return out
	}
	api.HandleControl(console.Prefix, ui)
	api.SelfAuthPrefixes = append(api.SelfAuthPrefixes, console.Prefix)
	if err := m.applyTesting(ctx, svc, api, logger); err != nil {
		return err
	}

	m.HTTP = &http.Server{
		Handler:           api,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    httpapi.HeaderReadLimit(httpapi.DefaultMaxHeaderBytes),
	}
	if err := m.Config.Security.apply(api, m.HTTP, logger); err != nil {
		return err
	}
	m.applyReady(api, target.Kind, store)
	obs.Metrics.WatchOutbox(svc.OutboxDepth)
	stopOutbox, err := m.startOutbox(ctx, svc, api, target.Kind, logger, obs.outboxResult)
	if err != nil {
		return err
	}
	defer stopOutbox()
	var initDone atomic.Bool
	if m.Config.InitDir != "" {
		// Ready only once the hooks have run, so what waits on the
		// readiness check (a container's HEALTHCHECK) sees the seeded state.
		storeCheck := api.Ready
		api.Ready = func(ctx context.Context) error {
			if !initDone.Load() {
				return httpapi.NotReady("The server is not ready: its --init-dir hooks are still running. Retry later.")
			}
			return storeCheck(ctx)
		}
	}
	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return err
	}
	m.Listener = ln
	svc.BaseURL = baseURL(ln.Addr(), m.HTTP.TLSConfig != nil)
	logger.Info("listening", "addr", ln.Addr().String(), "db", target.String(), "version", buildVersion().Version, "tls", m.HTTP.TLSConfig != nil)
	close(m.ready)
	if m.Config.PprofAddr != "" {
		go servePprof(m.Config.PprofAddr, logger)
	}
	if m.Config.AuditRetention > 0 {
		go pruneAudit(ctx, svc, m.Config.AuditRetention, logger)
	}
	// Read before Serve starts: it configures HTTP/2 into TLSConfig.
	tls := m.HTTP.TLSConfig != nil
	errc := make(chan error, 1)
	go func() { errc <- m.Config.Security.serve(m.HTTP, ln) }()
	if m.Config.InitDir != "" {
		endpoint, err := localURL(ln.Addr().String(), tls)
		if err == nil {
			err = runInitHooks(ctx, m.Config.InitDir, endpoint, svc, logger)
		}
		if err != nil && ctx.Err() == nil {
			m.HTTP.Close()
			<-errc
			return err
		}
		initDone.Store(err == nil)
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := m.HTTP.Shutdown(shutdownCtx); err != nil {
		return err
	}
	return nil
}

// Ready is closed once Run listens.
func (m *Main) Ready() <-chan struct{} { return m.ready }

// pruneAudit deletes audit events older than retention (on the server
// clock) every minute, or every tenth of the retention when that is shorter,
// until ctx ends.
func pruneAudit(ctx context.Context, svc *openchime.Service, retention time.Duration, logger *slog.Logger) {
	every := min(time.Minute, max(retention/10, time.Second))
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := svc.PruneAudit(ctx, svc.Clock.Now().Add(-retention)); err != nil && ctx.Err() == nil {
			logger.Error("audit pruning failed", "err", err)
		} else if n > 0 {
			logger.Debug("audit events pruned", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
