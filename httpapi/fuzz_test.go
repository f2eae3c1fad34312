package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/httpapi"
	"github.com/openchime/openchime/sqlite"
)

var updateSeeds = flag.Bool("update-seeds", false, "rewrite testdata/fuzz seed corpora")

// Fuzz inputs name the fixture account and user as ACCOUNT and USER, so
// checked-in seeds reach past the not-found checks.
type fuzzSeed struct {
	method, target string
	body           []byte
}

func fuzzSeeds() []fuzzSeed {
	var seeds []fuzzSeed
	for _, op := range httpapi.Operations() {
		target := op.Path
		for _, l := range []string{"{accountId}", "{userId}"} {
			target = strings.ReplaceAll(target, l, map[string]string{"{accountId}": "ACCOUNT", "{userId}": "USER"}[l])
		}
		for strings.Contains(target, "{") {
			i, j := strings.Index(target, "{"), strings.Index(target, "}")
			if j < i {
				break
			}
			target = target[:i] + "0f0e0d0c-0b0a-4908-8706-050403020100" + target[j+1:]
		}
		if op.QueryKey != "" {
			target += "?" + op.QueryKey + "=" + op.QueryValue
		}
		body := []byte(nil)
		if op.HasBody {
			body = []byte(`{}`)
		}
		seeds = append(seeds, fuzzSeed{op.Method, target, body})
	}
	return append(seeds,
		fuzzSeed{"POST", "/accounts", []byte(`{"Name":"fuzz"}`)},
		fuzzSeed{"POST", "/accounts/ACCOUNT/users?operation=suspend", []byte(`{"UserIdList":["USER","nope",""]}`)},
		fuzzSeed{"GET", "/accounts?max-results=0&next-token=%00&user-email=a%40b", nil},
		fuzzSeed{"GET", "/accounts/ACCOUNT/users?user-type=PrivateUser&max-results=200", nil},
		fuzzSeed{"GET", "/console/accounts/ACCOUNT%2F..%2Fx", nil},
		fuzzSeed{"POST", "/accounts", []byte(`{"Name":1e999,"Name":"x"}`)},
		fuzzSeed{"POST", "/accounts", []byte(`[{"Name":"x"}]`)},
		fuzzSeed{"DELETE", "/_openchime/reset", nil},
	)
}

func TestFuzzServerSeeds_Update(t *testing.T) {
	if !*updateSeeds {
		t.Skip("run with -update-seeds to rewrite testdata/fuzz/FuzzServer")
	}
	for i, s := range fuzzSeeds() {
		data := fmt.Sprintf("go test fuzz v1\nstring(%q)\nstring(%q)\n[]byte(%q)\n", s.method, s.target, s.body)
		if err := os.WriteFile(filepath.Join("testdata", "fuzz", "FuzzServer", fmt.Sprintf("seed-%02d", i)), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzServer sends arbitrary method, target and body through routing,
// decoding, validation and the Service: every answer must be a success or a
// modelled client error with x-amzn-ErrorType and a JSON {Code, Message}
// body, never a 500 (which is also what a recovered panic answers).
func FuzzServer(f *testing.F) {
	store, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		f.Fatal(err)
	}
	defer store.Close()
	svc := openchime.NewService(store)
	ctx := context.Background()
	acct, err := svc.AdminCreateAccount(ctx, openchime.NewAccount{Name: "fuzz", Type: openchime.EnterpriseLWA})
	if err != nil {
		f.Fatal(err)
	}
	users, err := svc.AdminCreateUsers(ctx, acct.ID, []openchime.NewUser{{PrimaryEmail: "fuzz@example.com"}})
	if err != nil {
		f.Fatal(err)
	}
	api := httpapi.NewServer(svc)
	api.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	api.AdminToken = "t" // the control plane's own handlers are not under test
	fix := strings.NewReplacer("ACCOUNT", acct.ID, "USER", users[0].ID)

	f.Fuzz(func(t *testing.T, method, target string, body []byte) {
		target = fix.Replace(target)
		u, err := url.ParseRequestURI(target)
		if err != nil || method == "" || strings.ContainsAny(method, " \r\n") {
			return // net/http rejects such request lines before any handler
		}
		body = []byte(fix.Replace(string(body)))
		r := &http.Request{
			Method: method, URL: u, RequestURI: target, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{"Content-Type": {"application/json"}}, Host: "fuzz",
			Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
		}
		r = r.WithContext(ctx)
		w := httptest.NewRecorder()
		api.ServeHTTP(w, r)
		if w.Code >= 500 && w.Code != http.StatusNotImplemented {
			t.Fatalf("%s %s %q: status %d %s", method, target, body, w.Code, w.Body)
		}
		if w.Code >= 400 {
			var e struct{ Code, Message string }
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Code == "" || e.Message == "" || w.Header().Get("x-amzn-ErrorType") == "" {
				t.Fatalf("%s %s: error %d without x-amzn-ErrorType or {Code, Message}: %s", method, target, w.Code, w.Body)
			}
		}
	})
}
