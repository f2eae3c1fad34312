package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/httpapi"
	"github.com/openchime/openchime/internal/nostore"
	"github.com/openchime/openchime/logstore"
)

// The HTTP path benchmarks serve requests in process (no sockets) so that a
// CPU profile shows the handler, JSON and store costs:
//
//	go test -run '^$' -bench Server -cpuprofile cpu.out ./httpapi

const benchUsers = 10000

// A fixed SigV4 header: the server takes the tenancy from the access key;
// verifying signatures is the security layer's cost, measured separately.
const benchAuth = "AWS4-HMAC-SHA256 Credential=AKIDBENCHMARK/20250101/us-east-1/chime/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000"

func benchServer(b *testing.B, store openchime.Store) (*httpapi.Server, string, []string) {
	b.Helper()
	svc := openchime.NewService(store)
	srv := httpapi.NewServer(svc)
	srv.Logger = slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx := context.Background()
	a, err := svc.AdminCreateAccount(ctx, openchime.NewAccount{Name: "bench", Type: openchime.EnterpriseLWA})
	if err != nil {
		b.Fatal(err)
	}
	news := make([]openchime.NewUser, benchUsers)
	for i := range news {
		news[i] = openchime.NewUser{PrimaryEmail: fmt.Sprintf("user%d@bench.example.com", i)}
	}
	users, err := svc.AdminCreateUsers(ctx, a.ID, news)
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	return srv, a.ID, ids
}

func stores(b *testing.B) map[string]func() openchime.Store {
	return map[string]func() openchime.Store{
		"nostore": func() openchime.Store { return nostore.New(benchUsers) },
		"logstore": func() openchime.Store {
			s, err := logstore.Open(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			return s
		},
		"logstore-nosync": func() openchime.Store {
			s, err := logstore.OpenOptions(b.TempDir(), logstore.Options{NoSync: true})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			return s
		},
	}
}

func serve(b *testing.B, srv http.Handler, method, target string, body []byte) {
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	req.Header.Set("Authorization", benchAuth)
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		b.Fatalf("%s %s: %d %s", method, target, w.Code, w.Body)
	}
}

func BenchmarkServer_BatchSuspendUser(b *testing.B) {
	for name, open := range stores(b) {
		b.Run(name, func(b *testing.B) {
			srv, acct, ids := benchServer(b, open())
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				rng := rand.New(rand.NewPCG(rand.Uint64(), 1))
				pick := make([]string, 50)
				for i := 0; pb.Next(); i++ {
					for j := range pick {
						pick[j] = ids[rng.IntN(len(ids))]
					}
					body, _ := json.Marshal(map[string][]string{"UserIdList": pick})
					op := "suspend"
					if i%2 == 1 {
						op = "unsuspend"
					}
					serve(b, srv, "POST", "/accounts/"+acct+"/users?operation="+op, body)
				}
			})
		})
	}
}

func BenchmarkServer_ListUsers(b *testing.B) {
	for name, open := range stores(b) {
		b.Run(name, func(b *testing.B) {
			srv, acct, _ := benchServer(b, open())
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				serve(b, srv, "GET", "/accounts/"+acct+"/users?max-results=100", nil)
			}
		})
	}
}

func BenchmarkServer_GetUser(b *testing.B) {
	for name, open := range stores(b) {
		b.Run(name, func(b *testing.B) {
			srv, acct, ids := benchServer(b, open())
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				serve(b, srv, "GET", "/accounts/"+acct+"/users/"+ids[i%len(ids)], nil)
			}
		})
	}
}

// BenchmarkServer_AdminCreateUsers seeds 10,000 users per call through the
// control plane, the bulk path of `openchime bench`.
func BenchmarkServer_AdminCreateUsers(b *testing.B) {
	s, err := logstore.OpenOptions(b.TempDir(), logstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	srv, acct, _ := benchServer(b, s)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var buf bytes.Buffer
		buf.WriteString(`{"Users":[`)
		for j := 0; j < 10000; j++ {
			if j > 0 {
				buf.WriteByte(',')
			}
			fmt.Fprintf(&buf, `{"PrimaryEmail":"seed%d-%d@bench.example.com"}`, i, j)
		}
		buf.WriteString(`]}`)
		req := httptest.NewRequest("POST", "/_openchime/accounts/"+acct+"/users", &buf)
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code != http.StatusCreated {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
	b.ReportMetric(float64(b.N*10000)/b.Elapsed().Seconds(), "users/s")
}
