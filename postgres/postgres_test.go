package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/internal/sqlutil"
	"github.com/openchime/openchime/postgres"
	"github.com/openchime/openchime/postgres/postgrestest"
	"github.com/openchime/openchime/storetest"
)

// MustCreateDatabase and MustOpen are postgrestest's, under short names.
var (
	MustCreateDatabase = postgrestest.MustCreateDatabase
	MustOpen           = postgrestest.MustOpen
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(tb testing.TB) openchime.Store { return MustOpen(tb) })
}

// TestMigrate_Concurrent opens several stores on one empty database at
// once, as nodes starting together do: every one succeeds and each
// migration is applied exactly once.
func TestMigrate_Concurrent(t *testing.T) {
	dbURL := MustCreateDatabase(t)
	const nodes = 5
	var wg sync.WaitGroup
	errs := make([]error, nodes)
	for i := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := postgres.Open(context.Background(), dbURL)
			if err == nil {
				err = s.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	db, err := postgres.OpenDB(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n, distinct int
	if err := db.QueryRow(`SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&n, &distinct); err != nil {
		t.Fatal(err)
	}
	if want := len(MustMigrationFiles(t, "migrations")); n != want || distinct != want {
		t.Fatalf("schema_migrations has %d rows (%d versions), want %d", n, distinct, want)
	}
}

// TestStore_Update_RetriesSerializationFailures makes two transactions
// write skew on purpose: each reads both rows and writes one. Under
// SERIALIZABLE one of them fails and is retried, so the callback runs more
// than twice in all and both writes land.
func TestStore_Update_RetriesSerializationFailures(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	for _, id := range []string{"x", "y"} {
		a := &openchime.Account{ID: id, AwsAccountID: "111111111111", Name: "0", Type: openchime.Team,
			Status: openchime.AccountActive, DefaultLicense: openchime.Pro}
		storetest.MustPutAccount(t, s, a)
	}
	// Both transactions read before either writes: the first to read waits
	// for the second's read, then both write. No sleep: channels order it.
	var mu sync.Mutex
	calls := 0
	bothRead := make(chan struct{})
	var readers sync.WaitGroup
	readers.Add(2)
	go func() { readers.Wait(); close(bothRead) }()
	var once [2]sync.Once
	run := func(i int, mine string) error {
		return s.Update(ctx, func(tx openchime.Tx) error {
			mu.Lock()
			calls++
			mu.Unlock()
			x, err := tx.Account(ctx, "x")
			if err != nil {
				return err
			}
			y, err := tx.Account(ctx, "y")
			if err != nil {
				return err
			}
			first := false
			once[i].Do(func() { first = true; readers.Done() })
			if first {
				<-bothRead
			}
			a := x
			if mine == "y" {
				a = y
			}
			a.Name = x.Name + y.Name + "+" + mine
			return tx.PutAccount(ctx, a)
		})
	}
	errs := make(chan error, 2)
	go func() { errs <- run(0, "x") }()
	go func() { errs <- run(1, "y") }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if calls < 3 {
		t.Fatalf("callbacks ran %d times, want a retry (at least 3)", calls)
	}
	var names [2]string
	err := s.View(ctx, func(tx openchime.ReadTx) error {
		for i, id := range []string{"x", "y"} {
			a, err := tx.Account(ctx, id)
			if err != nil {
				return err
			}
			names[i] = a.Name
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Serially, the second transaction sees the first one's write.
	if names != [2]string{"00+x", "00+x0+y"} && names != [2]string{"000+y+x", "00+y"} {
		t.Fatalf("names = %q, not the result of any serial order", names)
	}
}

// TestOpen_BadURL checks that a URL that cannot work fails at Open with a
// message that does not leak the password.
func TestOpen_BadURL(t *testing.T) {
	_, err := postgres.Open(context.Background(), "postgres://u:secret@127.0.0.1:bad/db")
	if err == nil {
		t.Fatal("Open succeeded on a malformed URL")
	}
	if msg := err.Error(); strings.Contains(msg, "secret") {
		t.Fatalf("error leaks the password: %s", msg)
	}
}

// MustMigrationFiles returns the names of the .sql files of dir.
func MustMigrationFiles(tb testing.TB, dir string) []string {
	tb.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") {
			names = append(names, e.Name())
		}
	}
	return names
}

// TestMigrations_MatchSQLite checks that every SQLite migration has its
// PostgreSQL twin of the same version and name, and no more: the two schemas
// must stay the same tables and columns for internal/sqlutil to serve both.
// It needs no database.
func TestMigrations_MatchSQLite(t *testing.T) {
	pg, lite := MustMigrationFiles(t, "migrations"), MustMigrationFiles(t, "../sqlite/migrations")
	if !slices.Equal(pg, lite) {
		t.Fatalf("postgres/migrations %v differ from sqlite/migrations %v: add the PostgreSQL version of each new migration", pg, lite)
	}
}

// TestStore_AnalyzesAfterBulkWrite writes a bulk of users in one transaction
// and checks that the users table's statistics are refreshed (the planner
// otherwise sorts a whole account for each ListUsers page until autovacuum
// runs).
func TestStore_AnalyzesAfterBulkWrite(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	var before sql.NullTime
	stats := "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'users'"
	if err := s.DB().QueryRowContext(ctx, stats).Scan(&before); err != nil {
		t.Fatal(err)
	}
	created := time.Now().UTC().Truncate(time.Millisecond)
	err := s.Update(ctx, func(tx openchime.Tx) error {
		if err := tx.PutAccount(ctx, &openchime.Account{ID: "bulk", AwsAccountID: "111111111111", Name: "bulk",
			Type: openchime.EnterpriseLWA, Status: openchime.AccountActive, DefaultLicense: openchime.Pro, CreatedAt: created}); err != nil {
			return err
		}
		for i := range 1500 {
			if err := tx.PutUser(ctx, &openchime.User{ID: fmt.Sprintf("u%05d", i), AccountID: "bulk", PrimaryEmail: fmt.Sprintf("u%d@bulk.example", i),
				LicenseType: openchime.Pro, UserType: openchime.PrivateUser, RegistrationStatus: openchime.Registered, CreatedAt: created}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The ANALYZE runs in the background; poll for it (no timing is
	// asserted, only that it happens).
	for range 300 {
		var after sql.NullTime
		if err := s.DB().QueryRowContext(ctx, stats).Scan(&after); err != nil {
			t.Fatal(err)
		}
		if after.Valid && (!before.Valid || after.Time.After(before.Time)) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("the users table was not analyzed after a bulk write")
}

// TestStore_ConflictAtCommit writes a user whose email another user has:
// the write is held back and sent with COMMIT, and the unique violation
// comes back as Conflict with nothing of the transaction kept. The one
// connection of the pool is rolled back and reused, not replaced.
func TestStore_ConflictAtCommit(t *testing.T) {
	ctx := context.Background()
	s, err := postgres.Open(ctx, MustCreateDatabase(t)+"&pool_max_conns=1")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a := &openchime.Account{ID: "a", AwsAccountID: "111111111111", Name: "a", Type: openchime.Team,
		Status: openchime.AccountActive, DefaultLicense: openchime.Pro}
	storetest.MustPutAccount(t, s, a)
	u1 := &openchime.User{AccountID: "a", ID: "u1", PrimaryEmail: "same@example.com", CreatedAt: time.UnixMilli(1)}
	if err := s.Update(ctx, func(tx openchime.Tx) error { return tx.PutUser(ctx, u1) }); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		err := s.Update(ctx, func(tx openchime.Tx) error {
			u2 := &openchime.User{AccountID: "a", ID: "u2", PrimaryEmail: "Same@example.com", CreatedAt: time.UnixMilli(2)}
			if err := tx.PutUser(ctx, u2); err != nil {
				return err
			}
			if got, err := tx.User(ctx, "a", "u2"); err != nil || got.PrimaryEmail != u2.PrimaryEmail {
				return fmt.Errorf("read back a held-back user: %v, %v", got, err)
			}
			return tx.PutResource(ctx, &openchime.Resource{Kind: "k", ID: "r", Scope: "a", Data: []byte(`{}`)})
		})
		if openchime.ErrorCode(err) != openchime.Conflict {
			t.Fatalf("Update: %v, want Conflict", err)
		}
	}
	err = s.View(ctx, func(tx openchime.ReadTx) error {
		if _, err := tx.Resource(ctx, "k", "r"); !openchime.IsCode(err, openchime.NotFound) {
			return fmt.Errorf("resource of the failed transaction: %v, want NotFound", err)
		}
		if _, err := tx.User(ctx, "a", "u2"); !openchime.IsCode(err, openchime.NotFound) {
			return fmt.Errorf("user of the failed transaction: %v, want NotFound", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := s.Pool().Stat().NewConnsCount(); n != 1 {
		t.Errorf("%d connections opened, want 1: a failed commit's connection was destroyed", n)
	}
}

// TestOpen_MigratesResourceIndex opens a database whose resources predate
// migration 0006: the index entries are derived from them.
func TestOpen_MigratesResourceIndex(t *testing.T) {
	ctx := context.Background()
	url := MustCreateDatabase(t)
	db, err := postgres.OpenDB(url)
	if err != nil {
		t.Fatal(err)
	}
	if err := sqlutil.SeedBeforeIndex(ctx, db, os.DirFS("."), "migrations", storetest.PreIndexResources()); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.CheckMigratedIndexes(t, s)
}
