package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strings"
)

// runMigrate is `openchime migrate`: it applies the migrations the database
// lacks and exits, so that an operator can upgrade the schema once before
// rolling out nodes. Opening a store migrates it, on SQLite and PostgreSQL
// alike (PostgreSQL under an advisory lock, so running it while nodes start
// is safe).
func runMigrate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("openchime migrate", flag.ContinueOnError)
	db := fs.String("db", envOr("OPENCHIME_DB", DefaultConfig().DB), dbUsage)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if *db == "" {
		return errors.New("--db must name a file or a postgres:// URL")
	}
	store, err := OpenStore(ctx, *db)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", redactDB(*db), err)
	}
	if err := store.Close(); err != nil {
		return err
	}
	fmt.Println("openchime: migrations applied to", redactDB(*db))
	return nil
}

// redactDB hides the password of a postgres:// URL before it is logged.
func redactDB(db string) string {
	u, err := url.Parse(db)
	if err != nil || u.User == nil {
		if strings.Contains(db, "://") && err != nil {
			return "(unparsable database URL)"
		}
		return db
	}
	return u.Redacted()
}
