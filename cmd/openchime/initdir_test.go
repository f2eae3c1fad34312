package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeHook writes a hook file; scripts are made executable.
func writeHook(tb testing.TB, path, content string) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	mode := os.FileMode(0o644)
	if strings.HasSuffix(path, ".sh") {
		mode = 0o755
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		tb.Fatal(err)
	}
}

// waitReady polls url's readiness until it answers 200.
func waitReady(tb testing.TB, url string) {
	tb.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(url + "/_openchime/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s/_openchime/ready did not answer 200 within 60s (last: %v)", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestServe_InitDir runs serve --init-dir over a folder in LocalStack's
// layout: a YAML fixture, then a script that lists the fixture's account
// with the AWS CLI through OPENCHIME_ENDPOINT and checks that readiness
// waits for the hooks, then ready.d's script; boot.d, a script that is not
// executable and a stray file are skipped.
func TestServe_InitDir(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI is not installed")
	}
	dir := t.TempDir()
	trace := filepath.Join(t.TempDir(), "trace")
	writeHook(t, filepath.Join(dir, "01-accounts.yaml"), "Accounts:\n  - Name: Hooked\n    AccountType: EnterpriseLWA\n    Users:\n      - {PrimaryEmail: ana@example.com}\n")
	writeHook(t, filepath.Join(dir, "02-check.sh"), `#!/bin/sh
set -e
export AWS_ACCESS_KEY_ID=123456789012 AWS_SECRET_ACCESS_KEY=x AWS_DEFAULT_REGION=us-east-1
aws chime list-accounts --endpoint-url "$OPENCHIME_ENDPOINT" --query 'Accounts[].Name' --output text >>"`+trace+`"
curl -s -o /dev/null -w 'ready %{http_code}\n' "$OPENCHIME_ENDPOINT/_openchime/ready" >>"`+trace+`"
echo "02 ran in $(pwd)"
`)
	writeHook(t, filepath.Join(dir, "03-off.sh"), "#!/bin/sh\necho 03 >>"+trace+"\n")
	if err := os.Chmod(filepath.Join(dir, "03-off.sh"), 0o644); err != nil {
		t.Fatal(err)
	}
	writeHook(t, filepath.Join(dir, "README.txt"), "not a hook")
	writeHook(t, filepath.Join(dir, "boot.d", "01.sh"), "#!/bin/sh\necho boot >>"+trace+"\n")
	writeHook(t, filepath.Join(dir, "ready.d", "01-last.sh"), "#!/bin/sh\necho ready.d >>"+trace+"\n")

	var log syncBuffer
	m := NewMain()
	m.LogOutput = &log
	if err := m.ParseFlags([]string{"--addr", "127.0.0.1:0", "--db", ":memory:", "--init-dir", dir}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	stop := func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}
	select {
	case <-m.Ready():
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}
	waitReady(t, "http://"+m.Listener.Addr().String())
	stop() // flushes the log

	got, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Hooked\nready 503\nready.d\n"; string(got) != want {
		t.Errorf("hooks ran as\n%s\nwant\n%s", got, want)
	}
	logs := log.String()
	for _, want := range []string{`"msg":"init fixture loaded"`, `"output":"02 ran in ` + dir + `"`, `"msg":"init hook skipped","file":"` + filepath.Join(dir, "03-off.sh"), `"msg":"init hook folder skipped"`, `"msg":"init hooks done"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %s:\n%s", want, logs)
		}
	}
}

// TestServe_InitDirFailure checks that a failing script or fixture stops
// the start: Run returns the error, and the hooks after it do not run.
func TestServe_InitDirFailure(t *testing.T) {
	for _, c := range []struct {
		name, file, content, want string
	}{
		{"script", "01-fail.sh", "#!/bin/sh\necho 'no luck' >&2\nexit 3\n", "exit status 3; its output:\nno luck"},
		{"fixture", "01-bad.json", `{"Accounts":[{"Name":""}]}`, "Name"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			marker := filepath.Join(t.TempDir(), "ran")
			writeHook(t, filepath.Join(dir, c.file), c.content)
			writeHook(t, filepath.Join(dir, "02-after.sh"), "#!/bin/sh\ntouch "+marker+"\n")
			m := NewMain()
			m.LogOutput = &bytes.Buffer{}
			if err := m.ParseFlags([]string{"--addr", "127.0.0.1:0", "--db", ":memory:", "--init-dir", dir}); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			err := m.Run(ctx)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Run = %v, want an error with %q", err, c.want)
			}
			if _, err := os.Stat(marker); err == nil {
				t.Error("the hook after the failed one ran")
			}
			if _, err := http.Get("http://" + m.Listener.Addr().String() + "/_openchime/health"); err == nil {
				t.Error("the server still answers after the failed start")
			}
		})
	}
}

func TestConfig_InitDirMissing(t *testing.T) {
	m := NewMain()
	err := m.ParseFlags([]string{"--init-dir", filepath.Join(t.TempDir(), "nope")})
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("ParseFlags = %v, want --init-dir ... does not exist", err)
	}
}
