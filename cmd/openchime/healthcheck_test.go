package main

import (
	"context"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
)

// TestHealthcheck probes a server as the image's HEALTHCHECK does: through
// OPENCHIME_ADDR with a wildcard host, then with the store closed (503).
func TestHealthcheck(t *testing.T) {
	m, stop := startMain(t, "--addr", "127.0.0.1:0", "--db", "log:"+filepath.Join(t.TempDir(), "data"), "--log-level", "error")
	defer stop()
	_, port, _ := net.SplitHostPort(m.Listener.Addr().String())
	t.Setenv("OPENCHIME_ADDR", "0.0.0.0:"+port)
	t.Setenv("OPENCHIME_TLS_CERT", "")
	ctx := context.Background()
	if err := runHealthcheck(ctx, nil, io.Discard); err != nil {
		t.Fatalf("healthcheck of a ready server = %v, want nil", err)
	}
	m.Store.Close()
	if err := runHealthcheck(ctx, nil, io.Discard); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("healthcheck with the store closed = %v, want a 503 error", err)
	}
	t.Setenv("OPENCHIME_ADDR", "127.0.0.1:1")
	if err := runHealthcheck(ctx, nil, io.Discard); err == nil {
		t.Fatal("healthcheck of a port nothing listens on = nil, want an error")
	}
}

func TestLocalURL(t *testing.T) {
	for _, c := range []struct {
		addr string
		tls  bool
		want string
	}{
		{"0.0.0.0:4580", false, "http://127.0.0.1:4580"},
		{":4580", false, "http://127.0.0.1:4580"},
		{"[::]:4580", true, "https://127.0.0.1:4580"},
		{"10.1.2.3:80", false, "http://10.1.2.3:80"},
		{"[::1]:4580", false, "http://[::1]:4580"},
	} {
		if got, err := localURL(c.addr, c.tls); err != nil || got != c.want {
			t.Errorf("localURL(%q, %v) = %q, %v, want %q", c.addr, c.tls, got, err, c.want)
		}
	}
	if _, err := localURL("4580", false); err == nil {
		t.Error("localURL(4580) = nil error, want one")
	}
}
