package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/console"
	"github.com/openchime/openchime/httpapi"
	"github.com/openchime/openchime/postgres"
	"github.com/openchime/openchime/sqlite"
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
	Security       SecurityConfig
	// IDSeed, Clock and Seed make runs reproducible (testing.go).
	IDSeed string // --id-seed: a uint64; "" means random ids
	Clock  string // --clock: an RFC 3339 time to freeze the clock at
	Seed   string // --seed: a fixture file to load at start
	// Redaction is "strict" or "lenient" (--redaction, collab.go).
	Redaction string
	// PprofAddr, when set, serves Go's profiler there (--pprof-addr).
	PprofAddr string
}

// DefaultConfig returns the configuration of a plain `openchime serve`.
func DefaultConfig() Config {
	return Config{
		Addr:                "127.0.0.1:4580",
		DB:                  "./openchime.db",
		DefaultAwsAccountID: openchime.DefaultAwsAccountID,
		LogLevel:            "info",
	}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("--addr %q: %w", c.Addr, err)
	}
	if c.DB == "" {
		return errors.New("--db must name a file, :memory: or a postgres:// URL")
	}
	if len(c.DefaultAwsAccountID) != 12 || strings.Trim(c.DefaultAwsAccountID, "0123456789") != "" {
		return fmt.Errorf("--default-aws-account %q must be 12 digits", c.DefaultAwsAccountID)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return fmt.Errorf("--log-level %q must be debug, info, warn or error", c.LogLevel)
	}
	if c.AuditRetention < 0 {
		return fmt.Errorf("--audit-retention %s must not be negative", c.AuditRetention)
	}
	if err := c.validateTesting(); err != nil {
		return err
	}
	if err := c.validateCollab(); err != nil {
		return err
	}
	return c.Security.validate(c.Addr)
}

// Main is the serve command: it owns the store, the service and the listener.
type Main struct {
	Config Config
	Store  openchime.Store
	HTTP   *http.Server
	// Listener is set once Run is listening, for tests that serve on :0.
	Listener net.Listener
	ready    chan struct{}
}

// NewMain returns a Main with the default configuration.
func NewMain() *Main { return &Main{Config: DefaultConfig(), ready: make(chan struct{})} }

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
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
	fs.StringVar(&m.Config.AuditFile, "audit-file", envOr("OPENCHIME_AUDIT_FILE", m.Config.AuditFile), "also append every audit event to this file as a JSON line (env OPENCHIME_AUDIT_FILE)")
	fs.StringVar(&m.Config.PprofAddr, "pprof-addr", envOr("OPENCHIME_PPROF_ADDR", m.Config.PprofAddr), "serve Go's profiler (/debug/pprof/) on this address, e.g. 127.0.0.1:6060; off by default (env OPENCHIME_PPROF_ADDR)")
	m.Config.Security.addFlags(fs)
	m.testingFlags(fs)
	m.collabFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	return m.Config.Validate()
}

// OpenStore opens the store the --db value names.
func OpenStore(ctx context.Context, db string) (openchime.Store, error) {
	if s, ok, err := openNamedStore(db); ok {
		return s, err
	}
	switch {
	case strings.HasPrefix(db, "sqlite:"):
		return sqlite.Open(ctx, strings.TrimPrefix(db, "sqlite:"))
	case strings.HasPrefix(db, "postgres://"), strings.HasPrefix(db, "postgresql://"):
		return postgres.Open(ctx, db)
	default:
		return sqlite.Open(ctx, db)
	}
}

// Run serves until ctx is done, then shuts down gracefully, letting
// in-flight requests finish.
func (m *Main) Run(ctx context.Context) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(m.Config.LogLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	store, err := OpenStore(ctx, m.Config.DB)
	if err != nil {
		return fmt.Errorf("open %s: %w", redactDB(m.Config.DB), err)
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
	api := httpapi.NewServer(svc)
	api.Logger = logger
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
		MaxHeaderBytes:    64 << 10,
	}
	if err := m.Config.Security.apply(api, m.HTTP, logger); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return err
	}
	m.Listener = ln
	logger.Info("listening", "addr", ln.Addr().String(), "db", redactDB(m.Config.DB), "version", Version, "tls", m.HTTP.TLSConfig != nil)
	close(m.ready)
	if m.Config.PprofAddr != "" {
		go servePprof(m.Config.PprofAddr, logger)
	}
	if m.Config.AuditRetention > 0 {
		go pruneAudit(ctx, svc, m.Config.AuditRetention, logger)
	}
	errc := make(chan error, 1)
	go func() { errc <- m.Config.Security.serve(m.HTTP, ln) }()
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
