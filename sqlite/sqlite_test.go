package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/internal/sqlutil"
	"github.com/openchime/openchime/sqlite"
	"github.com/openchime/openchime/storetest"
)

func TestStore(t *testing.T) {
	t.Run("File", func(t *testing.T) {
		storetest.Run(t, func(tb testing.TB) openchime.Store { return MustOpen(tb, filepath.Join(tb.TempDir(), "db")) })
	})
	t.Run("Memory", func(t *testing.T) {
		storetest.Run(t, func(tb testing.TB) openchime.Store { return MustOpen(tb, ":memory:") })
	})
}

// MustOpen opens a store and closes it when the test ends.
func MustOpen(tb testing.TB, path string) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// TestOpen_MigratesResourceIndex opens a database whose resources predate
// migration 0006: the index entries are derived from them.
func TestOpen_MigratesResourceIndex(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if err := sqlutil.SeedBeforeIndex(ctx, db, os.DirFS("."), "migrations", storetest.PreIndexResources()); err != nil {
		t.Fatal(err)
	}
	db.Close()
	storetest.CheckMigratedIndexes(t, MustOpen(t, path))
}
