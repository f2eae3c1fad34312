package sigv4_test

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/openchime/openchime/sigv4"
)

var updateSeeds = flag.Bool("update-seeds", false, "rewrite testdata/fuzz seed corpora")

// seedRequests are signed requests of each form and their tampered twins.
func seedRequests(tb testing.TB) [][]byte {
	seeds := [][]byte{
		MustSign(tb, alice, "POST", acctURL, body, "chime", signTime),
		MustSign(tb, alice, "GET", base+"/accounts?name=a%20b+c&max-results=5", "", "chime", signTime),
		MustSign(tb, alice, "GET", base+"/accounts/a%2Fb%20c/users/%C3%A9", "", "chime", signTime),
		MustSign(tb, bob, "GET", base+"/accounts", "", "chime", signTime),
		MustPresign(tb, alice, base+"/accounts?max-results=2", signTime, time.Hour),
		MustPresign(tb, bob, base+"/accounts", signTime, time.Hour),
		[]byte("GET /accounts HTTP/1.1\r\nHost: x\r\n\r\n"),
		[]byte("GET /accounts HTTP/1.1\r\nHost: x\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDALICE/20260301/us-east-1/chime/aws4_request, SignedHeaders=host;x-amz-date, Signature=00\r\nX-Amz-Date: 20260301T120000Z\r\n\r\n"),
	}
	tampered := bytes.Replace(seeds[0], []byte("suspend"), []byte("unsuspend"), 1)
	return append(seeds, tampered)
}

// TestFuzzSeeds_Update rewrites the checked-in seed corpus with -update-seeds.
func TestFuzzSeeds_Update(t *testing.T) {
	if !*updateSeeds {
		t.Skip("run with -update-seeds to rewrite testdata/fuzz/FuzzVerify")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzVerify")
	for i, s := range seedRequests(t) {
		data := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%02d", i)), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzVerify feeds arbitrary requests to the verifier: it must never panic,
// must fail only with an *Error carrying a message, and must never accept a
// request that names an unknown key.
func FuzzVerify(f *testing.F) {
	v := newVerifier(signTime.Add(5 * time.Minute))
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			return
		}
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		res, err := v.Verify(r, b)
		if err != nil {
			var e *sigv4.Error
			if !errors.As(err, &e) || e.Message == "" || e.Kind == 0 {
				t.Fatalf("error %v is not a *sigv4.Error with a kind and message", err)
			}
			return
		}
		if id := res.Credentials.AccessKeyID; id != alice.AccessKeyID && id != bob.AccessKeyID {
			t.Fatalf("verified with unknown key %q", id)
		}
	})
}
