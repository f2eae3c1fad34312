package main

import (
	"context"
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
