package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/openchime/openchime/logstore"
	"github.com/openchime/openchime/sqlite"
)

// mkSQLite creates a SQLite database at path.
func mkSQLite(t *testing.T, path string) {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

// mkLog creates a log store in dir.
func mkLog(t *testing.T, dir string) {
	t.Helper()
	s, err := logstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

// TestResolveDB checks that a plain path is opened as what it holds,
// whatever its name, and that a scheme contradicting the content is
// refused with the --db value that would open it.
func TestResolveDB(t *testing.T) {
	dir := t.TempDir()
	sqliteNoExt := filepath.Join(dir, "data") // a SQLite file without .db
	mkSQLite(t, sqliteNoExt)
	logDotDB := filepath.Join(dir, "store.db") // a log store named .db
	mkLog(t, logDotDB)
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	other := filepath.Join(dir, "other")
	os.Mkdir(other, 0o755)
	os.WriteFile(filepath.Join(other, "notes.txt"), []byte("x"), 0o644)
	text := filepath.Join(dir, "text.db")
	os.WriteFile(text, []byte("not a database, not at all"), 0o644)

	for _, c := range []struct {
		db, kind, path, err string
	}{
		{db: sqliteNoExt, kind: kindSQLite, path: sqliteNoExt},
		{db: "sqlite:" + sqliteNoExt, kind: kindSQLite, path: sqliteNoExt},
		{db: logDotDB, kind: kindLog, path: logDotDB},
		{db: "log:" + logDotDB + "?sync=off", kind: kindLog, path: logDotDB},
		{db: filepath.Join(dir, "new.db"), kind: kindSQLite},
		{db: filepath.Join(dir, "new.sqlite3"), kind: kindSQLite},
		{db: filepath.Join(dir, "new-data"), kind: kindLog},
		{db: empty, kind: kindLog},
		{db: ":memory:", kind: kindSQLite},
		{db: "postgres://u:secret@h/db", kind: kindPostgres},
		{db: "nostore:?users=5", kind: kindNoStore},
		{db: "log:" + sqliteNoExt, err: "is a SQLite database, not a log store directory; open it with --db sqlite:" + sqliteNoExt},
		{db: "sqlite:" + logDotDB, err: "open it with --db log:" + logDotDB},
		{db: other, err: "holds files but no log store"},
		{db: text, err: "neither a SQLite database"},
		{db: "log:", err: "needs a directory"},
		{db: "mysql://h/db", err: "unknown scheme"},
		{db: "", err: "--db must name"},
	} {
		got, err := resolveDB(c.db)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("resolveDB(%q) = %+v, %v; want an error with %q", c.db, got, err, c.err)
			}
			continue
		}
		if err != nil || got.Kind != c.kind || c.path != "" && got.Path != c.path {
			t.Errorf("resolveDB(%q) = %+v, %v; want %s %s", c.db, got, err, c.kind, c.path)
		}
	}
}

// TestServe_DefaultStore runs a plain `openchime serve` (no --db) in an
// empty directory, in one where the old default's SQLite file is, and in one
// where both are: the first log line names the store and the path it uses.
func TestServe_DefaultStore(t *testing.T) {
	for _, c := range []struct {
		name          string
		setup         func(t *testing.T)
		store, path   string
		createsLogDir bool
	}{
		{name: "empty", setup: func(*testing.T) {}, store: "log", path: DefaultDB, createsLogDir: true},
		{name: "legacy SQLite", setup: func(t *testing.T) { mkSQLite(t, legacyDefaultDB) }, store: "sqlite", path: legacyDefaultDB},
		{name: "both", setup: func(t *testing.T) { mkSQLite(t, legacyDefaultDB); mkLog(t, DefaultDB) }, store: "log", path: DefaultDB},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			c.setup(t)
			logs := &syncBuffer{}
			_, stop := startMainLogging(t, logs, "--addr", "127.0.0.1:0")
			stop()
			first, _, _ := strings.Cut(logs.String(), "\n")
			var line struct{ Msg, Store, Path, Why string }
			if err := json.Unmarshal([]byte(first), &line); err != nil {
				t.Fatalf("first log line %q: %v", first, err)
			}
			if line.Msg != "store" || line.Store != c.store || line.Path != c.path || line.Why == "" {
				t.Errorf("first log line = %s; want store %s at %s, with why", first, c.store, c.path)
			}
			_, err := os.Stat(filepath.Join(DefaultDB, "LOCK"))
			if created := err == nil; created != (c.store == "log") {
				t.Errorf("%s/LOCK exists: %v, want %v", DefaultDB, created, c.store == "log")
			}
		})
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestSnapshot_BetweenStores moves a whole state (the fixture plus a
// removed user, as TestSnapshotCommand makes it) from every store to every
// other with `openchime snapshot save` and `load`: what the destination
// saves back is the same file, byte for byte. PostgreSQL joins when
// OPENCHIME_TEST_POSTGRES_URL is set.
func TestSnapshot_BetweenStores(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	fixture := filepath.Join(dir, "fixture.json")
	// A state with every kind of record: the fixture, loaded through a
	// server.
	src := filepath.Join(dir, "src.db")
	_, stop := startMain(t, "--addr", "127.0.0.1:0", "--db", src, "--log-level", "error",
		"--seed", "../../examples/fixture.json", "--clock", "2030-01-02T03:04:05Z")
	stop()
	if err := run(ctx, []string{"snapshot", "save", "--db", src, fixture}); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(fixture)
	if !bytes.Contains(want, []byte(`"Users"`)) {
		t.Fatalf("the source state has no users:\n%s", want)
	}

	stores := map[string]func(string) string{
		"sqlite":       func(name string) string { return filepath.Join(dir, name+".db") },
		"sqlite:path":  func(name string) string { return "sqlite:" + filepath.Join(dir, name+".sqlite") },
		"log":          func(name string) string { return "log:" + filepath.Join(dir, name+"-log") },
		"log dir path": func(name string) string { return filepath.Join(dir, name+"-data") },
	}
	if pg := os.Getenv("OPENCHIME_TEST_POSTGRES_URL"); pg != "" {
		stores["postgres"] = func(string) string { return pg }
	}
	for from, fromDB := range stores {
		for to, toDB := range stores {
			if from == to {
				continue
			}
			t.Run(from+" to "+to, func(t *testing.T) {
				a, b := fromDB("a-"+from+"-"+to), toDB("b-"+from+"-"+to)
				if err := run(ctx, []string{"snapshot", "load", "--db", a, fixture}); err != nil {
					t.Fatal(err)
				}
				moved := filepath.Join(dir, "moved-"+from+"-"+to+".json")
				if err := run(ctx, []string{"snapshot", "save", "--db", a, moved}); err != nil {
					t.Fatal(err)
				}
				if err := run(ctx, []string{"snapshot", "load", "--db", b, moved}); err != nil {
					t.Fatal(err)
				}
				back := filepath.Join(dir, "back-"+from+"-"+to+".json")
				if err := run(ctx, []string{"snapshot", "save", "--db", b, back}); err != nil {
					t.Fatal(err)
				}
				got, _ := os.ReadFile(back)
				if !bytes.Equal(got, want) {
					t.Fatalf("%s saved after the move differs from %s:\n%s\nwant:\n%s", to, from, got, want)
				}
			})
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]uint64{"0": 0, "64MiB": 64 << 20, "512MB": 512 << 20, "1GiB": 1 << 30, "4096": 4096, "10KiB": 10 << 10, "7B": 7} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MiB", "-1MiB", "1.5GiB", "64 mib", "99999999999GiB"} {
		if got, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) = %d, want an error", in, got)
		}
	}
}

// TestConfig_GCPercent checks where serve's GOGC comes from: --gogc, else
// the GOGC environment variable, else 25 with the log store and Go's value
// with the others.
func TestConfig_GCPercent(t *testing.T) {
	t.Setenv("GOGC", "")
	for _, c := range []struct {
		gogc, kind string
		want       int
		from       string
	}{
		{"", kindLog, logGCPercent, "the log store's default"},
		{"50", kindLog, 50, "--gogc"},
		{"off", kindSQLite, -1, "--gogc"},
		{"", kindSQLite, -2, "Go's default"},
	} {
		conf := Config{GOGC: c.gogc}
		got, from := conf.gcPercent(c.kind)
		if c.want != -2 && got != c.want || from != c.from {
			t.Errorf("GOGC %q on %s = %d from %s; want %d from %s", c.gogc, c.kind, got, from, c.want, c.from)
		}
	}
	t.Setenv("GOGC", "80")
	if _, from := (&Config{}).gcPercent(kindLog); from != "GOGC" {
		t.Errorf("with GOGC set, the log store's GOGC comes from %s", from)
	}
}

// TestServe_NoStoreWarns checks that a server on nostore: says at start, at
// warning level, that it stores nothing.
func TestServe_NoStoreWarns(t *testing.T) {
	logs := &syncBuffer{}
	_, stop := startMainLogging(t, logs, "--addr", "127.0.0.1:0", "--db", "nostore:?users=3")
	stop()
	for _, l := range strings.Split(logs.String(), "\n") {
		var line struct{ Level, Msg string }
		if json.Unmarshal([]byte(l), &line) == nil && line.Level == "WARN" && strings.Contains(line.Msg, "STORES NOTHING") {
			return
		}
	}
	t.Errorf("log %q; want a warning that nostore: stores nothing", logs.String())
}
