package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/httpapi"
	"github.com/openchime/openchime/sqlite"
)

// FuzzServeHTTP sends the server any method, path, query and body, and
// checks it never panics and never answers 500: bad input is the client's
// fault and gets a modelled 4xx. The seed corpus in
// testdata/fuzz/FuzzServeHTTP holds one valid request per operation (see
// TestFuzzServeHTTP_Seeds).
func FuzzServeHTTP(f *testing.F) {
	store, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { store.Close() })
	svc := openchime.NewService(store)
	srv := httpapi.NewServer(svc)
	srv.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	f.Add("GET", "/accounts", "max-results=5", []byte(nil))
	// Bad control-plane bodies and queries, so the fuzzer starts from the
	// control plane's inputs too.
	f.Add("POST", "/_openchime/clock", "", []byte(`{"Time":"9999-12-31T23:00:00Z","Advance":"2h"}`))
	f.Add("POST", "/_openchime/accounts", "", []byte(`{"Name":"fuzz"} {"Name":"again"}`))
	f.Add("PUT", "/_openchime/config", "", []byte(`{"MaxPhoneNumbers":-1}`))
	f.Add("GET", "/_openchime/audit", "since=yesterday&max-results=x", []byte(nil))
	f.Fuzz(func(t *testing.T, method, path, query string, body []byte) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		u := "http://chime.test" + path
		if query != "" {
			u += "?" + query
		}
		req, err := http.NewRequest(method, u, bytes.NewReader(body))
		if err != nil || req.URL.Host != "chime.test" {
			return // not an HTTP request a server could receive
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code >= 500 && rec.Code != http.StatusNotImplemented {
			t.Fatalf("%s %s?%s %q: status %d: %s", method, path, query, body, rec.Code, rec.Body)
		}
		// The control plane answers its errors the same way (WriteError).
		if rec.Code >= 400 && rec.Header().Get("x-amzn-ErrorType") == "" {
			t.Fatalf("%s %s?%s %q: status %d without x-amzn-ErrorType", method, path, query, body, rec.Code)
		}
	})
}

// TestFuzzServeHTTP_Seeds checks that the seed corpus holds one valid request
// per operation of the model; OPENCHIME_WRITE_FUZZ_SEEDS=1 rewrites it.
func TestFuzzServeHTTP_Seeds(t *testing.T) {
	w := &sweeper{tb: t, m: loadSweepModel(t)}
	dir := filepath.Join("testdata", "fuzz", "FuzzServeHTTP")
	write := os.Getenv("OPENCHIME_WRITE_FUZZ_SEEDS") == "1"
	for _, opName := range sortedNames(w.m.Operations) {
		req := w.validRequest(opName).httpRequest(t, "")
		var body []byte
		if req.Body != nil {
			body, _ = io.ReadAll(req.Body)
		}
		seed := fmt.Sprintf("go test fuzz v1\nstring(%q)\nstring(%q)\nstring(%q)\n[]byte(%q)\n",
			req.Method, req.URL.EscapedPath(), req.URL.RawQuery, body)
		file := filepath.Join(dir, "op-"+opName)
		if write {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, []byte(seed), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(file)
		if err != nil || string(got) != seed {
			t.Errorf("seed %s is missing or stale; run OPENCHIME_WRITE_FUZZ_SEEDS=1 go test -run TestFuzzServeHTTP_Seeds ./httpapi", file)
		}
	}
}
