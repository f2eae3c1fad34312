package main

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCrash_DamageAfterKill is the outside corruption check: acknowledged
// single-user transactions, kill -9, then one byte flipped a third of the
// way into the log's frames, or in the middle of the snapshot. The restart
// must refuse to start and say why (openchime verify names the file and the
// offset), or start with every acknowledged write.
func TestCrash_DamageAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a server: skipped with -short")
	}
	bin := MustBuild(t)
	for _, target := range []string{"log", "snapshot"} {
		t.Run(target, func(t *testing.T) {
			dir := t.TempDir()
			db := "log:" + dir + "?checkpoint=8192"
			srv, err := startServer(bin, db)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { srv.kill() })
			ctx := context.Background()
			cl := newBenchClient(srv.url, 1)
			acct, ids, err := cl.seed(ctx, 40, 1)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{}
			for i := range 120 {
				id := ids[i%len(ids)]
				q, st := "operation=suspend", "Suspended"
				if i/len(ids)%2 == 1 {
					q, st = "operation=unsuspend", "Registered"
				}
				status, body, err := cl.do(ctx, "POST", "/accounts/"+acct+"/users", q, batchBody([]string{id}))
				if err != nil || status != http.StatusOK {
					t.Fatalf("batch: %d %s %v", status, body, err)
				}
				want[id] = st
			}
			srv.kill()

			pattern := map[string]string{"log": "wal-*.log", "snapshot": "snap-*.bin"}[target]
			files, _ := filepath.Glob(filepath.Join(dir, pattern))
			if len(files) == 0 {
				t.Fatalf("no %s file", pattern)
			}
			path := files[len(files)-1]
			data, _ := os.ReadFile(path)
			end := len(data)
			for end > 0 && data[end-1] == 0 {
				end-- // the log's zeroed preallocation
			}
			if end == 0 {
				t.Skipf("%s holds no frames after the last checkpoint", path)
			}
			at := end / 3
			if target == "snapshot" {
				at = end / 2
			}
			data[at] ^= 0x20
			os.WriteFile(path, data, 0o644)

			srv2, err := startServer(bin, db)
			if err != nil {
				out, verr := exec.Command(bin, "verify", "--db", db).CombinedOutput()
				if verr == nil || !strings.Contains(string(out), filepath.Base(path)) || !strings.Contains(string(out), "offset") {
					t.Fatalf("the restart failed (%v) but verify does not say why: %v\n%s", err, verr, out)
				}
				t.Logf("the restart refused: %s", out)
				return
			}
			t.Cleanup(func() { srv2.kill() })
			got := listStatuses(t, newBenchClient(srv2.url, 1), acct)
			for id, st := range want {
				if got[id] != st {
					t.Errorf("the restart started, but %s is %s; an acknowledged call left it %s", id, got[id], st)
				}
			}
		})
	}
}
