package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSnapshotCommand_RedactsPassword checks that a database the snapshot
// command cannot open is named without its password, as serve and migrate
// name it.
func TestSnapshotCommand_RedactsPassword(t *testing.T) {
	db := "postgres://openchime:hunter2@127.0.0.1:1/openchime?connect_timeout=5"
	for _, verb := range []string{"save", "load"} {
		file := filepath.Join(t.TempDir(), "state.json")
		if verb == "load" {
			file = "-"
		}
		args := []string{"snapshot", verb, "--db", db, file}
		err := runSnapshot(context.Background(), args[1:], strings.NewReader(`{"Version":1}`), new(strings.Builder))
		if err == nil {
			t.Fatalf("run(%v) opened an unreachable database", args)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("snapshot %s error shows the password: %v", verb, err)
		}
	}
}

// TestSnapshotCommand_LoadsLegacy loads the repository's snapshot in the
// format before FormatVersion (../../testdata/snapshot-v1.json) into each
// embedded store with `openchime snapshot load` and saves it back: the file
// is ../../testdata/snapshot-v2.json, the same state in the format.
func TestSnapshotCommand_LoadsLegacy(t *testing.T) {
	ctx := context.Background()
	want, err := os.ReadFile("../../testdata/snapshot-v2.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, db := range []string{"log:" + filepath.Join(t.TempDir(), "data"), "sqlite:" + filepath.Join(t.TempDir(), "x.db")} {
		if err := run(ctx, []string{"snapshot", "load", "--db", db, "../../testdata/snapshot-v1.json"}); err != nil {
			t.Fatalf("%s: %v", db, err)
		}
		out := filepath.Join(t.TempDir(), "saved.json")
		if err := run(ctx, []string{"snapshot", "save", "--db", db, out}); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(out)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: the old snapshot saved again differs from testdata/snapshot-v2.json:\n%s", db, got)
		}
	}
}
