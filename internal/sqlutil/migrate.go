package sqlutil

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	openchime "github.com/openchime/openchime"
)

// Migration is one versioned schema change, read from a file named
// NNNN_description.sql.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// ReadMigrations returns the migrations of dir in fsys, ordered by version.
func ReadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, _, _ := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a version number", e.Name())
		}
		body, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: e.Name(), SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// goSteps are the parts of migrations written in Go, by file name (the two
// stores name their migrations alike), run after the file's SQL in its
// transaction: 0006 derives the index entries of the existing resources
// with openchime.IndexEntries, the function every write uses, rather than
// a second copy of it in each SQL dialect.
var goSteps = map[string]func(context.Context, Querier) error{
	"0006_resource_index.sql": BackfillIndex,
}

// Migrate applies, each in its own transaction, the migrations whose version
// is not yet recorded in schema_migrations. Callers that run several
// processes at once serialise the call themselves (PostgreSQL: advisory lock).
func Migrate(ctx context.Context, db *sql.DB, migrations []Migration) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for _, m := range migrations {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, m.Version).Scan(&n); err != nil {
			return fmt.Errorf("read schema_migrations: %w", err)
		}
		if n > 0 {
			continue
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
		if step := goSteps[m.Name]; step != nil {
			if err := step(ctx, SQLTx{Tx: tx}); err != nil {
				tx.Rollback()
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
			tx.Rollback()
			return fmt.Errorf("record migration %s: %w", m.Name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("commit migration %s: %w", m.Name, err)
		}
	}
	return nil
}

// SeedBeforeIndex brings db to the schema before migration 0006 (the
// migrations of dir in fsys up to 0005) and inserts the resources as that
// schema keeps them, without index entries: the stores' tests of 0006 then
// open the store over it.
func SeedBeforeIndex(ctx context.Context, db *sql.DB, fsys fs.FS, dir string, resources []*openchime.Resource) error {
	all, err := ReadMigrations(fsys, dir)
	if err != nil {
		return err
	}
	var before []Migration
	for _, m := range all {
		if m.Version < 6 {
			before = append(before, m)
		}
	}
	if err := Migrate(ctx, db, before); err != nil {
		return err
	}
	for _, r := range resources {
		if _, err := db.ExecContext(ctx, `INSERT INTO resources (kind, id, scope, created_at, data) VALUES ($1, $2, $3, $4, $5)`,
			r.Kind, r.ID, r.Scope, ms(r.CreatedAt), string(r.Data)); err != nil {
			return err
		}
	}
	return nil
}
