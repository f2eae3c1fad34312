// Package postgrestest gives tests a fresh PostgreSQL database each: the
// server is the one OPENCHIME_TEST_POSTGRES_URL names (bash .ci/postgres.sh
// starts a throwaway one), and tests skip when the variable is unset.
package postgrestest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/openchime/openchime/postgres"
)

// EnvURL is the variable that names the test server.
const EnvURL = "OPENCHIME_TEST_POSTGRES_URL"

// Enabled reports whether EnvURL is set.
func Enabled() bool { return os.Getenv(EnvURL) != "" }

// MustCreateDatabase creates a database with a random name on the server of
// EnvURL, drops it when the test ends, and returns its URL. It skips the
// test when EnvURL is unset.
func MustCreateDatabase(tb testing.TB) string {
	tb.Helper()
	admin := os.Getenv(EnvURL)
	if admin == "" {
		tb.Skip(EnvURL + " is unset: set it to a PostgreSQL URL whose user may CREATE DATABASE (bash .ci/postgres.sh starts a throwaway cluster and sets it)")
	}
	u, err := url.Parse(admin)
	if err != nil {
		tb.Fatalf("%s: %v", EnvURL, err)
	}
	db, err := postgres.OpenDB(admin)
	if err != nil {
		tb.Fatal(err)
	}
	b := make([]byte, 8)
	rand.Read(b)
	name := "openchime_test_" + hex.EncodeToString(b)
	if _, err := db.Exec(`CREATE DATABASE ` + name); err != nil {
		db.Close()
		tb.Fatalf("create database: %v", err)
	}
	tb.Cleanup(func() {
		defer db.Close()
		// FORCE ends the sessions of nodes a test killed without closing.
		if _, err := db.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`); err != nil {
			tb.Errorf("drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// MustOpen opens a store on a fresh database and closes it when the test
// ends. It skips the test when EnvURL is unset.
func MustOpen(tb testing.TB) *postgres.Store {
	tb.Helper()
	s, err := postgres.Open(context.Background(), MustCreateDatabase(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}
