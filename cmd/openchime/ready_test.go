package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func getStatus(tb testing.TB, url string, out any) int {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			tb.Fatal(err)
		}
	}
	return resp.StatusCode
}

// TestServe_ReadyInfo runs the server on a log store: ready while the store
// is open, 503 once it is closed; info names the store and the modes.
func TestServe_ReadyInfo(t *testing.T) {
	m, stop := startMain(t, "--addr", "127.0.0.1:0", "--db", "log:"+filepath.Join(t.TempDir(), "data"), "--log-level", "error")
	defer stop()
	url := "http://" + m.Listener.Addr().String()
	var info map[string]any
	if st := getStatus(t, url+"/_openchime/info", &info); st != http.StatusOK {
		t.Fatalf("info = %d, want 200", st)
	}
	if info["Store"] != "log" || info["Auth"] != "none" || info["IAM"] != "off" || info["Version"] == "" {
		t.Errorf("info = %v, want Store log, Auth none, IAM off and a Version", info)
	}
	if st := getStatus(t, url+"/_openchime/ready", nil); st != http.StatusOK {
		t.Fatalf("ready = %d, want 200", st)
	}
	m.Store.Close()
	if st := getStatus(t, url+"/_openchime/ready", nil); st != http.StatusServiceUnavailable {
		t.Fatalf("ready with the store closed = %d, want 503", st)
	}
	if st := getStatus(t, url+"/_openchime/health", nil); st != http.StatusOK {
		t.Fatalf("health with the store closed = %d, want 200", st)
	}
}

func TestBuildOf(t *testing.T) {
	stamped := &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20300102030405-7c04587abcde+dirty"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "7c04587abcdef"}, {Key: "vcs.time", Value: "2030-01-02T03:04:05Z"}, {Key: "vcs.modified", Value: "true"}}}
	for _, c := range []struct {
		name     string
		info     *debug.BuildInfo
		override string
		want     string
	}{
		{"Installed", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "", "openchime v1.2.3"},
		{"GitBuild", stamped, "", "openchime v0.0.0-20300102030405-7c04587abcde+dirty (revision 7c04587abcdef, 2030-01-02T03:04:05Z, modified)"},
		{"Ldflags", stamped, "v9.9.9", "openchime v9.9.9 (revision 7c04587abcdef, 2030-01-02T03:04:05Z, modified)"},
		{"NoBuildInfo", nil, "", "openchime (devel)"},
	} {
		if got := buildOf(c.info, c.override).String(); got != c.want {
			t.Errorf("%s: version = %q, want %q", c.name, got, c.want)
		}
	}
}

// TestPrintHelp checks that help says what each command does.
func TestPrintHelp(t *testing.T) {
	var b strings.Builder
	printHelp(&b)
	for _, c := range commands {
		if !strings.Contains(b.String(), c.name+" "+c.args) || !strings.Contains(b.String(), c.does) {
			t.Errorf("help lacks %s and what it does:\n%s", c.name, b.String())
		}
	}
}
