// Package sqlite is the embedded, zero-setup Store of OpenChime, on the pure
// Go SQLite of modernc.org/sqlite.
//
// A file database runs in WAL mode with synchronous=FULL: a write is
// acknowledged only after its transaction is fsynced, so it survives a crash
// of the process and a power loss. Writes go through one connection, queued
// in Go rather than spinning on busy_timeout; reads use a pool of their own.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"sync/atomic"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/internal/sqlutil"
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Store is the SQLite implementation of openchime.Store.
type Store struct {
	write *sql.DB
	read  *sql.DB
}

var _ openchime.Store = (*Store)(nil)

var memoryDBs atomic.Int64

// Open opens (creating if needed) the database at path and applies the
// migrations. The path ":memory:" opens a private in-memory database.
func Open(ctx context.Context, path string) (*Store, error) {
	s := &Store{}
	if path == ":memory:" {
		// One connection serves reads and writes: an in-memory database
		// lives and dies with its connection.
		name := fmt.Sprintf("file:openchime-mem-%d?mode=memory&cache=private", memoryDBs.Add(1))
		db, err := sql.Open("sqlite", name+"&_pragma=foreign_keys(1)")
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(1)
		db.SetConnMaxIdleTime(0)
		db.SetConnMaxLifetime(0)
		s.write, s.read = db, db
	} else {
		base := "file:" + (&url.URL{Path: path}).EscapedPath()
		pragmas := "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"
		w, err := sql.Open("sqlite", base+pragmas+"&_txlock=immediate")
		if err != nil {
			return nil, err
		}
		w.SetMaxOpenConns(1)
		r, err := sql.Open("sqlite", base+pragmas+"&_pragma=query_only(1)")
		if err != nil {
			w.Close()
			return nil, err
		}
		r.SetMaxOpenConns(8)
		s.write, s.read = w, r
	}
	migrations, err := sqlutil.ReadMigrations(migrationFS, "migrations")
	if err != nil {
		s.Close()
		return nil, err
	}
	if err := sqlutil.Migrate(ctx, s.write, migrations); err != nil {
		s.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	err := s.write.Close()
	if s.read != s.write {
		err = errors.Join(err, s.read.Close())
	}
	return err
}

// Update implements openchime.Store.
func (s *Store) Update(ctx context.Context, fn func(openchime.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(&sqlutil.Tx{Q: sqlutil.SQLTx{Tx: tx}, MapErr: mapErr}); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", mapErr(err))
	}
	return nil
}

// View implements openchime.Store.
func (s *Store) View(ctx context.Context, fn func(openchime.ReadTx) error) error {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: s.read != s.write})
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	return fn(&sqlutil.Tx{Q: sqlutil.SQLTx{Tx: tx}, MapErr: mapErr})
}

// Reset implements openchime.Store. sqlutil.Tx.DeleteAll knows the tables.
func (s *Store) Reset(ctx context.Context) error {
	return s.Update(ctx, func(tx openchime.Tx) error { return tx.DeleteAll(ctx) })
}

// mapErr translates SQLite result codes (never message text) into domain codes.
func mapErr(err error) error {
	var se *msqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return &openchime.Error{Code: openchime.Conflict, Message: "A record with the same key already exists.", Err: err}
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return &openchime.Error{Code: openchime.ServiceUnavailable, Message: "The database is busy; retry the request.", Err: err}
		}
	}
	return err
}
