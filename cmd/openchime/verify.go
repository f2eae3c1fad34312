package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/openchime/openchime/logstore"
)

// runVerify is `openchime verify --db DB`: it reads the whole database,
// checks every checksum and invariant it can, says what it checked, and
// fails on the first damage, naming the file and the offset.
func runVerify(ctx context.Context, args []string, stdout io.Writer) error {
	t, err := parseDBOnly("verify", dbUsage, args)
	if err != nil {
		return err
	}
	switch {
	case t.Kind == kindLog:
		if err := logstore.Verify(t.Path, stdout); err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		return nil
	case t.Kind == kindPostgres:
		return errors.New("verify: not applicable to PostgreSQL, which checks its own pages (see data_checksums and pg_amcheck)")
	case t.Kind == kindNoStore || t.Path == ":memory:":
		return fmt.Errorf("verify: --db %s stores nothing to verify", t)
	}
	return verifySQLite(ctx, t.Path, stdout)
}

// verifySQLite runs SQLite's own check of every page, index and constraint,
// read-only.
func verifySQLite(ctx context.Context, path string, stdout io.Writer) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro")
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return fmt.Errorf("verify %s: %w", path, err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return fmt.Errorf("verify %s: %w", path, err)
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("verify %s: %w", path, err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("verify: %s is damaged (PRAGMA integrity_check):\n%s\nrestore it from a backup (openchime snapshot load, or a copy of the file)", path, strings.Join(problems, "\n"))
	}
	fmt.Fprintf(stdout, "%s: PRAGMA integrity_check ok (every page, index and constraint)\n", path)
	return nil
}
