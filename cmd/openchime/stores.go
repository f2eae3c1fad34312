package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/internal/nostore"
	"github.com/openchime/openchime/logstore"
	"github.com/openchime/openchime/postgres"
	"github.com/openchime/openchime/sqlite"
)

// dbUsage is the help of every command's --db flag: they all resolve the
// value with resolveDB and open it with OpenStore, so they all accept the
// same values.
const dbUsage = "database: a path (a log store directory or a SQLite file, told apart by what it holds; a new path is a SQLite file if it ends in .db, .sqlite or .sqlite3, else a log store directory), log:DIR, sqlite:PATH, :memory:, or a postgres:// URL (env OPENCHIME_DB)"

const (
	// DefaultDB is the --db of a plain `openchime serve`: the log store in
	// this directory.
	DefaultDB = "./openchime-data"
	// legacyDefaultDB is the SQLite file that was the default before the
	// log store was: with DefaultDB absent and this file present, a plain
	// `openchime serve` keeps serving it.
	legacyDefaultDB = "./openchime.db"
)

// The kinds of store a --db value resolves to.
const (
	kindSQLite   = "sqlite"
	kindLog      = "log"
	kindPostgres = "postgres"
	kindNoStore  = "nostore"
)

// dbTarget is a resolved --db value: which store, where, and why.
type dbTarget struct {
	Kind string // kindSQLite, kindLog, kindPostgres or kindNoStore
	// Path is the SQLite file (or :memory:), the log store's directory, or
	// the URL (with its password: log it through redactDB).
	Path  string
	Query string // log: and nostore: options, after the "?"
	// Why says how the kind was chosen, for the first log line.
	Why string
}

// String is the --db value that names the target explicitly (redacted).
func (t dbTarget) String() string {
	switch t.Kind {
	case kindPostgres:
		return redactDB(t.Path)
	case kindSQLite:
		return "sqlite:" + t.Path
	}
	s := t.Kind + ":" + t.Path
	if t.Query != "" {
		s += "?" + t.Query
	}
	return s
}

const sqliteHeader = "SQLite format 3\x00"

// resolveDB tells which store a --db value names. A scheme says it
// (log:, sqlite:, postgres://, nostore:); a plain path is recognised by
// what it holds: a directory is a log store, a file that starts with
// SQLite's header (or is empty) is a SQLite database. A path that does not
// exist yet is a SQLite file when it ends in .db, .sqlite or .sqlite3 (the
// names SQLite files have always had here) and a log store directory
// otherwise. A scheme that contradicts the content is refused, naming the
// --db value that would open it.
func resolveDB(db string) (dbTarget, error) {
	switch {
	case db == "":
		return dbTarget{}, fmt.Errorf("--db must name a directory, a file, :memory: or a postgres:// URL")
	case db == ":memory:":
		return dbTarget{Kind: kindSQLite, Path: db, Why: "in memory"}, nil
	case strings.HasPrefix(db, "postgres://"), strings.HasPrefix(db, "postgresql://"):
		return dbTarget{Kind: kindPostgres, Path: db, Why: "URL"}, nil
	case strings.HasPrefix(db, "nostore:"):
		_, q, _ := strings.Cut(strings.TrimPrefix(db, "nostore:"), "?")
		return dbTarget{Kind: kindNoStore, Query: q, Why: "stores nothing"}, nil
	case strings.HasPrefix(db, "log:"):
		dir, q, _ := strings.Cut(strings.TrimPrefix(db, "log:"), "?")
		if dir == "" {
			return dbTarget{}, fmt.Errorf("--db %q: log: needs a directory, e.g. log:%s", db, DefaultDB)
		}
		switch kind, _, err := pathKind(dir); {
		case err != nil:
			return dbTarget{}, fmt.Errorf("--db %s: %w", db, err)
		case kind == kindSQLite:
			return dbTarget{}, fmt.Errorf("--db %s: %s is a SQLite database, not a log store directory; open it with --db sqlite:%s", db, dir, dir)
		}
		return dbTarget{Kind: kindLog, Path: dir, Query: q, Why: "log: scheme"}, nil
	case strings.HasPrefix(db, "sqlite:"):
		path := strings.TrimPrefix(db, "sqlite:")
		if path == ":memory:" {
			return dbTarget{Kind: kindSQLite, Path: path, Why: "in memory"}, nil
		}
		switch kind, _, err := pathKind(path); {
		case err != nil:
			return dbTarget{}, fmt.Errorf("--db %s: %w", db, err)
		case kind == kindLog:
			return dbTarget{}, fmt.Errorf("--db %s: %s is a directory (a log store?), not a SQLite file; open it with --db log:%s", db, path, path)
		}
		return dbTarget{Kind: kindSQLite, Path: path, Why: "sqlite: scheme"}, nil
	}
	if scheme, _, ok := strings.Cut(db, "://"); ok && !strings.ContainsAny(scheme, `/\.`) {
		return dbTarget{}, fmt.Errorf("--db %s: unknown scheme %s://", redactDB(db), scheme)
	}
	if db == DefaultDB {
		// The default: an existing log store wins; else an existing
		// SQLite file where the default used to be keeps being served.
		if _, err := os.Stat(DefaultDB); os.IsNotExist(err) {
			if kind, why, err := pathKind(legacyDefaultDB); err == nil && kind == kindSQLite && why != "new" {
				return dbTarget{Kind: kindSQLite, Path: legacyDefaultDB,
					Why: "default: " + DefaultDB + " does not exist and " + legacyDefaultDB + " is a SQLite database (the default before the log store was)"}, nil
			}
		}
	}
	kind, why, err := pathKind(db)
	if err != nil {
		return dbTarget{}, fmt.Errorf("--db %s: %w", db, err)
	}
	if db == DefaultDB {
		why = "default, " + why
	}
	return dbTarget{Kind: kind, Path: db, Why: why}, nil
}

// pathKind tells what path holds: kindLog for a directory, kindSQLite for a
// SQLite (or empty) file, and for a path that does not exist, the kind its
// name gives it. why says which of these it was.
func pathKind(path string) (kind, why string, err error) {
	fi, err := os.Stat(path)
	switch {
	case os.IsNotExist(err):
		switch strings.ToLower(filepath.Ext(path)) {
		case ".db", ".sqlite", ".sqlite3":
			return kindSQLite, "new", nil
		}
		return kindLog, "new", nil
	case err != nil:
		return "", "", err
	case fi.IsDir():
		if err := checkLogDir(path); err != nil {
			return "", "", err
		}
		return kindLog, "existing directory", nil
	case !fi.Mode().IsRegular():
		return "", "", fmt.Errorf("%s is neither a directory nor a regular file", path)
	case fi.Size() == 0:
		return kindSQLite, "existing empty file", nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	head := make([]byte, len(sqliteHeader))
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, []byte(sqliteHeader)) {
		return "", "", fmt.Errorf("%s is neither a SQLite database (it lacks SQLite's header) nor a log store directory", path)
	}
	return kindSQLite, "existing SQLite file", nil
}

// checkLogDir refuses a directory that holds files but none of a log
// store's, so that a mistyped --db never scatters a store among other files.
func checkLogDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if name == "LOCK" || strings.HasPrefix(name, "wal-") || strings.HasPrefix(name, "snap-") || strings.HasPrefix(name, "cold-") {
			return nil
		}
	}
	if len(entries) > 0 {
		return fmt.Errorf("%s is a directory that holds files but no log store (no LOCK, wal-*, snap-* or cold-* file); name an empty or new directory, or a log store", dir)
	}
	return nil
}

// OpenStore opens the store the --db value names.
func OpenStore(ctx context.Context, db string) (openchime.Store, error) {
	t, err := resolveDB(db)
	if err != nil {
		return nil, err
	}
	return t.open(ctx)
}

// open opens the store t names:
//
//	log:DIR[?sync=off][&checkpoint=BYTES]  the log-structured store in DIR
//	nostore:[?users=N]                     stores nothing; benchmarks only
func (t dbTarget) open(ctx context.Context) (openchime.Store, error) {
	q, err := url.ParseQuery(t.Query)
	if err != nil {
		return nil, fmt.Errorf("--db %s: %w", t, err)
	}
	switch t.Kind {
	case kindSQLite:
		return sqlite.Open(ctx, t.Path)
	case kindPostgres:
		return postgres.Open(ctx, t.Path)
	case kindNoStore:
		users := 10000
		if v := q.Get("users"); v != "" {
			if users, err = strconv.Atoi(v); err != nil || users < 0 {
				return nil, fmt.Errorf("--db %s: users must be a number", t)
			}
		}
		return nostore.New(users), nil
	}
	var opts logstore.Options
	switch q.Get("sync") {
	case "", "full":
	case "off":
		opts.NoSync = true
	default:
		return nil, fmt.Errorf("--db %s: sync must be full or off", t)
	}
	if v := q.Get("checkpoint"); v != "" {
		if opts.CheckpointBytes, err = strconv.ParseInt(v, 10, 64); err != nil || opts.CheckpointBytes <= 0 {
			return nil, fmt.Errorf("--db %s: checkpoint must be a positive number of bytes", t)
		}
	}
	return logstore.OpenOptions(t.Path, opts)
}
