// Package postgres stores OpenChime's records in PostgreSQL, so that several
// stateless openchime nodes can serve one deployment.
//
// It runs the same SQL as the SQLite store (internal/sqlutil.Tx) through
// pgx's database/sql driver, plus statements that read and write many users
// at once (tx.go). The per-user paths (openchime.WithRowLocks) run READ
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
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
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
	db *sql.DB
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

// Open connects to the database the postgres:// URL names and applies the
// migrations.
func Open(ctx context.Context, url string) (*Store, error) {
	db, err := OpenDB(url)
	if err != nil {
		return nil, err
	}
	if err := Migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return &Store{db: db, MaxAttempts: 30, BaseBackoff: 2 * time.Millisecond, MaxBackoff: 250 * time.Millisecond}, nil
}

// OpenDB opens a connection pool on the URL and checks that the server
// answers; it applies no migration.
func OpenDB(url string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		// pgx redacts the password from its message.
		return nil, fmt.Errorf("invalid PostgreSQL URL: %w", err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = connectTimeout
	}
	// pgx closes a connection after a FATAL error, and database/sql then
	// drops it (stdlib's ResetSession answers driver.ErrBadConn). A session
	// that answers read-only is also closed: it reached a standby or a
	// demoted primary, and a new connection finds the read-write host.
	onPgError := cfg.OnPgError
	cfg.OnPgError = func(c *pgconn.PgConn, pe *pgconn.PgError) bool {
		if pe.Code == readOnlyTransaction {
			return false
		}
		return onPgError == nil || onPgError(c, pe)
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
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

// DB returns the connection pool, for tests and tools.
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the connection pool.
func (s *Store) Close() error { return s.db.Close() }

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
			s.db.ExecContext(ctx, "ANALYZE users") // best effort: autovacuum catches up otherwise
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
func (s *Store) run(ctx context.Context, opts *sql.TxOptions, fn func(*tx) error) error {
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

// attempt runs fn once. It reports retry when BEGIN or any statement of the
// attempt failed with a conflict or an unavailable database (retryable):
// the transaction was then rolled back, whatever fn made of the error.
func (s *Store) attempt(ctx context.Context, opts *sql.TxOptions, fn func(*tx) error) (retry bool, err error) {
	sqlTx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return retryable(err), fmt.Errorf("begin: %w", mapErr(err))
	}
	t := &tx{Tx: &sqlutil.Tx{Q: sqlutil.SQLTx{Tx: sqlTx}, MapErr: func(err error) error {
		if retryable(err) {
			retry = true
		}
		return mapErr(err)
	}}}
	if opts == rowLocked {
		t.AccountLock, t.RowLock = forShare, forUpdate
	}
	err = fn(t)
	if err == nil {
		err = t.flush(ctx) // the resource writes the transaction held back (resources.go)
	}
	if err != nil {
		sqlTx.Rollback()
		return retry || retryable(err), err
	}
	if err := sqlTx.Commit(); err != nil {
		// A serialization failure can surface only at commit; a commit that
		// turned into a rollback means a statement failed earlier. A
		// connection lost during COMMIT leaves the outcome unknown: not
		// retried (retryableCommit).
		return retry || retryableCommit(err), fmt.Errorf("commit: %w", mapCommitErr(err))
	}
	return false, nil
}
