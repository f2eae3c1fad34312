package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/snapshot"
)

const snapshotUsage = `usage: openchime snapshot save [--db DB] FILE   write the whole state of DB to FILE ("-" for stdout)
       openchime snapshot load [--db DB] FILE   replace the whole state of DB with FILE ("-" for stdin)`

// runSnapshot is the snapshot command: the offline form of
// GET and PUT /_openchime/snapshot, on the database itself.
func runSnapshot(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 || (args[0] != "save" && args[0] != "load") {
		return fmt.Errorf("%s", snapshotUsage)
	}
	verb := args[0]
	fs := flag.NewFlagSet("openchime snapshot "+verb, flag.ContinueOnError)
	db := fs.String("db", envOr("OPENCHIME_DB", DefaultConfig().DB), dbUsage)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("snapshot %s takes one FILE\n%s", verb, snapshotUsage)
	}
	file := fs.Arg(0)
	if *db == ":memory:" {
		return errors.New("snapshot: --db :memory: is a fresh empty database; name a file")
	}
	if verb == "load" {
		return snapshotLoad(ctx, *db, file, stdin)
	}
	return snapshotSave(ctx, *db, file, stdout)
}

func snapshotSave(ctx context.Context, db, file string, stdout io.Writer) error {
	store, err := OpenStore(ctx, db)
	if err != nil {
		return fmt.Errorf("open %s: %w", redactDB(db), err)
	}
	defer store.Close()
	snap, err := snapshot.Take(ctx, store)
	if err != nil {
		return fmt.Errorf("snapshot save: %w", err)
	}
	b, err := json.MarshalIndent(snap, "", "  ")
	if err != nil {
		return fmt.Errorf("snapshot save: %w", err)
	}
	b = append(b, '\n')
	if file == "-" {
		_, err = stdout.Write(b)
		return err
	}
	// Write then rename, so an interrupted save never leaves half a file
	// where a good snapshot was.
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("snapshot save: %w", err)
	}
	return os.Rename(tmp, file)
}

func snapshotLoad(ctx context.Context, db, file string, stdin io.Reader) error {
	var data []byte
	var err error
	if file == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return fmt.Errorf("snapshot load: %w", err)
	}
	snap, err := snapshot.Parse(data)
	if err != nil {
		return fmt.Errorf("snapshot load %s: %s", file, openchime.ErrorMessage(err))
	}
	store, err := OpenStore(ctx, db)
	if err != nil {
		return fmt.Errorf("open %s: %w", redactDB(db), err)
	}
	defer store.Close()
	if err := snapshot.Restore(ctx, store, snap); err != nil {
		return fmt.Errorf("snapshot load %s: %s", file, openchime.ErrorMessage(err))
	}
	return nil
}
