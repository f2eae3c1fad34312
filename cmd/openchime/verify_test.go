package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	openchime "github.com/openchime/openchime"
)

// TestVerify_Repair runs the two commands on a log store, undamaged and
// then with a flipped byte in its log, and verify on a SQLite file.
func TestVerify_Repair(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store, err := OpenStore(ctx, "log:"+dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		err := store.Update(ctx, func(tx openchime.Tx) error {
			return tx.PutResource(ctx, &openchime.Resource{Kind: "bot", ID: string(rune('a' + i)), Scope: "s", Data: []byte(`{}`)})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	store.Close() // checkpoints: the log after it is empty
	store, _ = OpenStore(ctx, "log:"+dir)
	for i := range 3 {
		store.Update(ctx, func(tx openchime.Tx) error {
			return tx.PutResource(ctx, &openchime.Resource{Kind: "bot", ID: string(rune('x' + i)), Scope: "s", Data: []byte(`{"n":"0123456789"}`)})
		})
	}
	var out strings.Builder
	if err := runVerify(ctx, []string{"--db", "log:" + dir}, &out); err == nil {
		t.Fatal("verify ran while the store was open")
	}
	crashed := t.TempDir()
	copyStore(t, dir, crashed)
	store.Close()
	db := "log:" + crashed
	if err := runVerify(ctx, []string{"--db", db}, &out); err != nil || !strings.Contains(out.String(), "ok:") {
		t.Fatalf("verify: %v\n%s", err, out.String())
	}
	logs, _ := filepath.Glob(filepath.Join(crashed, "wal-*.log"))
	data, _ := os.ReadFile(logs[0])
	data[9] ^= 0xff // in the first frame's payload
	os.WriteFile(logs[0], data, 0o644)
	err = runVerify(ctx, []string{"--db", db}, &out)
	if err == nil || !strings.Contains(err.Error(), logs[0]) || !strings.Contains(err.Error(), "offset 0") {
		t.Fatalf("verify of a damaged log: %v", err)
	}
	out.Reset()
	if err := runRepair([]string{"--db", db}, &out); err != nil || !strings.Contains(out.String(), "dropped 3 transaction(s)") {
		t.Fatalf("repair: %v\n%s", err, out.String())
	}
	if err := runVerify(ctx, []string{"--db", db}, &out); err != nil {
		t.Fatalf("verify after repair: %v", err)
	}

	sqlitePath := filepath.Join(t.TempDir(), "o.db")
	s, err := OpenStore(ctx, sqlitePath)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	out.Reset()
	if err := runVerify(ctx, []string{"--db", sqlitePath}, &out); err != nil || !strings.Contains(out.String(), "integrity_check ok") {
		t.Fatalf("verify of SQLite: %v\n%s", err, out.String())
	}
}

func copyStore(t *testing.T, from, to string) {
	t.Helper()
	entries, _ := os.ReadDir(from)
	for _, e := range entries {
		if e.Name() == "LOCK" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(to, e.Name()), data, 0o644)
	}
}
