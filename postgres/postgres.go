// Package postgres stores OpenChime's records in PostgreSQL, so that several
// stateless openchime nodes can serve one deployment.
//
// It runs the same SQL as the SQLite store (internal/sqlutil.Tx) on pgx's
// own interface (a pgxpool.Pool; statements prepared and cached per
// connection), plus statements that read and write many users at once
// (tx.go). A transaction pipelines: BEGIN goes with its first statement, and
// the writes it held back go with COMMIT (conn.go), so a 50-user batch is
// three round trips. The per-user paths (openchime.WithRowLocks) run READ
// COMMITTED on row locks; every other write is SERIALIZABLE. Either way
// concurrent transactions, on one node or many, have the effect of some
// serial order; a transaction PostgreSQL fails with a serialization error or
// a deadlock is run again by Update and View.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/internal/sqlutil"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationLockKey is the pg_advisory_lock key that serialises migrations
// across nodes starting at once ("openchim" in ASCII).
const migrationLockKey int64 = 0x6f70656e6368696d

// Store is the PostgreSQL implementation of openchime.Store.
type Store struct {
	pool *pgxpool.Pool
	db   *sql.DB // database/sql over pool, for migrations, tests and tools
	// MaxAttempts bounds how many times Update and View run a callback whose
	// transaction failed with a serialization failure or a deadlock.
	MaxAttempts int
	// BaseBackoff is the first retry's maximum wait; each retry doubles it up
	// to MaxBackoff, and the actual wait is drawn uniformly below it (full
	// jitter), so that transactions that collided do not collide again.
	BaseBackoff, MaxBackoff time.Duration

	// analyzing is set while an ANALYZE of users runs, analyzeAgain when
	// another is wanted (see analyzeUsers).
	analyzing, analyzeAgain atomic.Bool
}

var _ openchime.Store = (*Store)(nil)

// DefaultPoolSize is how many connections a Store keeps open at most when
// the URL does not say (pool_max_conns=N).
//
// Measured with `openchime bench` (3 nodes, 8 concurrent clients each, one
// PostgreSQL on 2 cores; BENCHMARKS.md): 8, 16 and 32 per node served the
// same batch rate within noise, as a node never has more transactions in
// flight than requests, and PostgreSQL's CPU is the limit. 16 leaves room
// for bursts without many idle backends.
const DefaultPoolSize = 16

// Open connects to the database the postgres:// URL names and applies the
// migrations. The URL may set the pool's size with pool_max_conns.
func Open(ctx context.Context, url string) (*Store, error) {
	return open(ctx, url, nil)
}

func open(ctx context.Context, url string, configure func(*pgxpool.Config)) (*Store, error) {
	pool, err := openPool(url, configure)
	if err != nil {
		return nil, err
	}
	// Migrations run on connections of their own: Migrate holds one for
	// the advisory lock while it applies them on another, which a pool of
	// one connection (pool_max_conns=1) could not give.
	mdb := stdlib.OpenDB(*pool.Config().ConnConfig)
	err = Migrate(ctx, mdb)
	mdb.Close()
	if err != nil {
		pool.Close()
		return nil, err
	}
	return newStore(pool), nil
}

func newStore(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool, db: stdlib.OpenDBFromPool(pool),
		MaxAttempts: 30, BaseBackoff: 2 * time.Millisecond, MaxBackoff: 250 * time.Millisecond}
}

// openPool opens a pgx connection pool on the URL and checks that the
// server answers.
func openPool(url string, configure func(*pgxpool.Config)) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx redacts the password from its message.
		return nil, fmt.Errorf("invalid PostgreSQL URL: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = DefaultPoolSize
	}
	cfg.MaxConnIdleTime = 5 * time.Minute
	configureConn(cfg.ConnConfig)
	if configure != nil {
		configure(cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err == nil {
		err = pool.Ping(ctx)
		if err != nil {
			pool.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL at %s:%d: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, err)
	}
	return pool, nil
}

// configureConn sets what every connection of this store needs: a connect
// timeout, and the closing of a session that answers read-only.
func configureConn(cfg *pgx.ConnConfig) {
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = connectTimeout
	}
	// pgx closes a connection after a FATAL error, and the pool then drops
	// it (pgxpool destroys a closed connection, or one left in a
	// transaction, on release). A session that answers read-only is also
	// closed: it reached a standby or a demoted primary, and a new
	// connection finds the read-write host.
	onPgError := cfg.OnPgError
	cfg.OnPgError = func(c *pgconn.PgConn, pe *pgconn.PgError) bool {
		if pe.Code == readOnlyTransaction {
			return false
		}
		return onPgError == nil || onPgError(c, pe)
	}
}

// OpenDB opens a database/sql connection pool on the URL and checks that
// the server answers; it applies no migration. Tools and tests use it; the
// Store runs on pgx's own pool.
func OpenDB(url string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		// pgx redacts the password from its message.
		return nil, fmt.Errorf("invalid PostgreSQL URL: %w", err)
	}
	configureConn(cfg)
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(DefaultPoolSize)
	db.SetMaxIdleConns(DefaultPoolSize)
	db.SetConnMaxIdleTime(5 * time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to PostgreSQL at %s:%d: %w", cfg.Host, cfg.Port, err)
	}
	return db, nil
}

// Migrate applies the embedded migrations that db lacks. It holds a session
// advisory lock on one dedicated connection meanwhile, so that when several
// nodes start at once exactly one applies each migration and the others
// then find it recorded. Should the process die, PostgreSQL drops the
// connection and with it the lock. A database that is up to date is not
// locked at all.
func Migrate(ctx context.Context, db *sql.DB) error {
	migrations, err := sqlutil.ReadMigrations(migrationFS, "migrations")
	if err != nil {
		return err
	}
	if todo, err := pending(ctx, db, migrations); err != nil || !todo {
		return err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	_, err = conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLockKey)
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &pe) && (pe.Code == undefinedFunction || pe.Code == featureNotSupported):
		// A PostgreSQL-compatible database without advisory locks (e.g.
		// CockroachDB): migrate unlocked. Nodes racing on an empty database
		// then fail cleanly on schema_migrations' key, and a restart finds
		// the schema done; `openchime migrate` first avoids the race.
	case err != nil:
		return fmt.Errorf("migrate: take the migration lock: %w", err)
	default:
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLockKey)
	}
	if err := sqlutil.Migrate(ctx, db, migrations); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// pending reports whether some migration is not recorded in
// schema_migrations (or the table does not exist yet).
func pending(ctx context.Context, db *sql.DB, migrations []sqlutil.Migration) (bool, error) {
	rows, err := db.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == undefinedTable {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("migrate: read schema_migrations: %w", err)
	}
	defer rows.Close()
	done := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return false, fmt.Errorf("migrate: read schema_migrations: %w", err)
		}
		done[v] = true
	}
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("migrate: read schema_migrations: %w", err)
	}
	for _, m := range migrations {
		if !done[m.Version] {
			return true, nil
		}
	}
	return false, nil
}

// DB returns database/sql over the store's connection pool, for tests and
// tools.
func (s *Store) DB() *sql.DB { return s.db }

// Pool returns the store's connection pool.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Close closes the connection pool.
func (s *Store) Close() error {
	err := s.db.Close()
	s.pool.Close()
	return err
}

// Update implements openchime.Store. The callback may run several times: it
// must start from scratch on each call (the Service's callbacks do). Its
// isolation depends on the path (see rowLocked in tx.go).
func (s *Store) Update(ctx context.Context, fn func(openchime.Tx) error) error {
	opts := readWrite
	if openchime.RowLocks(ctx) {
		opts = rowLocked
	}
	var puts int
	err := s.run(ctx, opts, func(t *tx) error {
		err := fn(t)
		puts = t.puts
		return err
	})
	if err == nil && puts >= bulkUsers {
		s.analyzeUsers()
	}
	return err
}

// bulkUsers is how many users one transaction writes (a bulk seeding through
// the control plane) before the table's statistics are refreshed.
const bulkUsers = 1000

// analyzeUsers refreshes the users table's statistics in the background,
// one run at a time. Right after a bulk seeding the planner still believes an
// account has no users and lists a page by reading and sorting all of them
// (50-400 ms a page at 100k users instead of under 1 ms) until autovacuum's
// next ANALYZE, up to a minute later.
// A request while one runs makes it run once more after, so the last bulk
// write is always covered.
func (s *Store) analyzeUsers() {
	s.analyzeAgain.Store(true)
	if !s.analyzing.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer s.analyzing.Store(false)
		for s.analyzeAgain.Swap(false) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			s.pool.Exec(ctx, "ANALYZE users") // best effort: autovacuum catches up otherwise
			cancel()
		}
	}()
}

// View implements openchime.Store. It is retried like Update should a
// statement still fail with a retryable error.
func (s *Store) View(ctx context.Context, fn func(openchime.ReadTx) error) error {
	return s.run(ctx, readOnly, func(t *tx) error { return fn(t) })
}

// Reset implements openchime.Store. sqlutil.Tx.DeleteAll knows the tables.
func (s *Store) Reset(ctx context.Context) error {
	return s.run(ctx, readWrite, func(t *tx) error { return t.DeleteAll(ctx) })
}

// run runs fn in a transaction, and again after a randomised exponential
// backoff while the attempt certainly did not commit and failed for a reason
// a retry can cure: a conflict with a concurrent transaction (MaxAttempts
// times in all), or the database being unavailable (for unavailableFor, each
// time on another connection, as database/sql discards a broken one).
func (s *Store) run(ctx context.Context, opts *txMode, fn func(*tx) error) error {
	attempts := max(s.MaxAttempts, 1)
	var down time.Time // when the database was first found unavailable
	for conflicts, outages := 0, 0; ; {
		retry, err := s.attemptBounded(ctx, opts, fn)
		if err == nil || !retry || ctx.Err() != nil {
			return err
		}
		var wait time.Duration
		if unavailable(err) {
			if down.IsZero() {
				down = time.Now()
			}
			if time.Since(down) >= unavailableFor {
				return err // mapped to ServiceUnavailable already
			}
			wait = jitter(outages, unavailableBackoff, unavailableMaxBackoff)
			outages++
		} else {
			if conflicts++; conflicts >= attempts {
				return &openchime.Error{Code: openchime.ServiceUnavailable,
					Message: fmt.Sprintf("The request kept conflicting with concurrent requests (%d attempts); retry it.", attempts), Err: err}
			}
			wait = s.backoff(conflicts - 1)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

func (s *Store) backoff(retry int) time.Duration {
	return jitter(retry, s.BaseBackoff, s.MaxBackoff)
}

// attempt runs fn once. It reports retry when any statement of the attempt
// failed with a conflict or an unavailable database (retryable), or when the
// final round trip (the writes held back, then COMMIT: see commit) failed
// in a way that proves nothing was committed: the transaction was then
// rolled back, whatever fn made of the error.
func (s *Store) attempt(ctx context.Context, opts *txMode, fn func(*tx) error) (retry bool, err error) {
	pc, err := s.pool.Acquire(ctx)
	if err != nil {
		return retryable(err), fmt.Errorf("begin: %w", mapErr(err))
	}
	c := &conn{conn: pc.Conn(), begin: opts.begin}
	defer func() {
		c.rollback()
		pc.Release() // a connection still in a transaction, busy or closed is destroyed
	}()
	t := &tx{Tx: &sqlutil.Tx{Q: c, MapErr: func(err error) error {
		if retryable(err) {
			retry = true
		}
		return mapErr(err)
	}}, c: c}
	if opts == rowLocked {
		t.AccountLock, t.RowLock = forShare, forUpdate
	}
	if err := fn(t); err != nil {
		return retry || retryable(err), err
	}
	r, err := t.commit(ctx)
	return retry || r, err
}
