package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/openchime/openchime/logstore"
)

// parseDBOnly parses the arguments of a command whose only flag is --db
// (repair, verify) and resolves it.
func parseDBOnly(cmd, usage string, args []string) (dbTarget, error) {
	fs := flag.NewFlagSet("openchime "+cmd, flag.ContinueOnError)
	db := fs.String("db", envOr("OPENCHIME_DB", DefaultDB), usage)
	if err := fs.Parse(args); err != nil {
		return dbTarget{}, err
	}
	if fs.NArg() > 0 {
		return dbTarget{}, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	t, err := resolveDB(*db)
	if err != nil {
		return dbTarget{}, fmt.Errorf("%s: %w", cmd, err)
	}
	return t, nil
}

// runRepair is `openchime repair --db log:DIR`: it cuts the log store's log
// at the last good frame before the damage that keeps the store from
// opening, keeps a copy of what it cuts and says how many transactions it
// drops. It refuses while a server holds the directory.
func runRepair(args []string, stdout io.Writer) error {
	t, err := parseDBOnly("repair", "the log store to repair: log:DIR or its directory (env OPENCHIME_DB)", args)
	if err != nil {
		return err
	}
	if t.Kind != kindLog {
		return fmt.Errorf("repair: --db must be a log store (log:DIR, or a directory); SQLite and PostgreSQL repair themselves from their own logs (got %s, a %s store)", t, t.Kind)
	}
	dir := t.Path
	rep, err := logstore.Repair(dir)
	if err != nil {
		return fmt.Errorf("repair: %w", err)
	}
	if rep.Cut == "" {
		fmt.Fprintf(stdout, "%s: no damage to repair; the store holds transactions up to %d\n", dir, rep.LastSeq)
		return nil
	}
	fmt.Fprintf(stdout, "cut %s at offset %d; the whole log as it was is kept in %s\n", rep.Cut, rep.Offset, rep.Kept)
	for _, p := range rep.Moved {
		fmt.Fprintf(stdout, "moved aside the later log, now %s\n", p)
	}
	fmt.Fprintf(stdout, "dropped %d transaction(s) (%d..%d: the damaged frame and the valid frames found after it); the store now ends at transaction %d\n",
		rep.Dropped, rep.LastSeq+1, rep.LastSeq+rep.Dropped, rep.LastSeq)
	fmt.Fprintln(stdout, "run `openchime verify --db log:"+dir+"` to check the rest")
	return nil
}
