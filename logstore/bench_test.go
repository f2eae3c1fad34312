package logstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/logstore"
)

// Store benchmarks at OPENCHIME_BENCH_USERS users (default 100,000):
//
//	go test -run '^$' -bench Store ./logstore
//	OPENCHIME_BENCH_USERS=1000000 go test -run '^$' -bench Store ./logstore

func benchUsers() int {
	if n, err := strconv.Atoi(os.Getenv("OPENCHIME_BENCH_USERS")); err == nil && n > 0 {
		return n
	}
	return 100000
}

func seedBench(b *testing.B, opts logstore.Options) (*logstore.Store, string, []string) {
	b.Helper()
	dir := b.TempDir()
	s := MustOpen(b, dir, opts)
	svc := openchime.NewService(s)
	ctx := context.Background()
	a, err := svc.AdminCreateAccount(ctx, openchime.NewAccount{Name: "bench", Type: openchime.EnterpriseLWA})
	if err != nil {
		b.Fatal(err)
	}
	n := benchUsers()
	ids := make([]string, 0, n)
	for from := 0; from < n; from += 10000 {
		news := make([]openchime.NewUser, min(10000, n-from))
		for i := range news {
			news[i].PrimaryEmail = fmt.Sprintf("user%d@bench.example.com", from+i)
		}
		users, err := svc.AdminCreateUsers(ctx, a.ID, news)
		if err != nil {
			b.Fatal(err)
		}
		for _, u := range users {
			ids = append(ids, u.ID)
		}
	}
	return s, a.ID, ids
}

// BenchmarkStore_Batch runs the Service's 50-user batch transition, the
// workload's write, from parallel goroutines (so group commit applies).
func BenchmarkStore_Batch(b *testing.B) {
	for _, opts := range []struct {
		name string
		o    logstore.Options
	}{{"fsync", logstore.Options{}}, {"nosync", logstore.Options{NoSync: true}}} {
		b.Run(opts.name, func(b *testing.B) {
			s, acct, ids := seedBench(b, opts.o)
			svc := openchime.NewService(s)
			b.SetParallelism(8)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				rng := rand.New(rand.NewPCG(rand.Uint64(), 1))
				pick := make([]string, 50)
				ctx := context.Background()
				for i := 0; pb.Next(); i++ {
					for j := range pick {
						pick[j] = ids[rng.IntN(len(ids))]
					}
					var err error
					if i%2 == 0 {
						_, err = svc.BatchSuspendUser(ctx, acct, pick)
					} else {
						_, err = svc.BatchUnsuspendUser(ctx, acct, pick)
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// BenchmarkStore_ListUsersPage reads a page of 100 from a random position.
func BenchmarkStore_ListUsersPage(b *testing.B) {
	s, acct, _ := seedBench(b, logstore.Options{})
	ctx := context.Background()
	var cursors []*openchime.Cursor
	s.View(ctx, func(tx openchime.ReadTx) error {
		list, _ := tx.Users(ctx, openchime.UserFilter{AccountID: acct})
		for i := 0; i < len(list); i += 997 {
			cursors = append(cursors, &openchime.Cursor{CreatedAt: list[i].CreatedAt, ID: list[i].ID})
		}
		return nil
	})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		err := s.View(ctx, func(tx openchime.ReadTx) error {
			list, err := tx.Users(ctx, openchime.UserFilter{AccountID: acct, After: cursors[i%len(cursors)], Limit: 101})
			if err == nil && len(list) == 0 {
				err = fmt.Errorf("empty page")
			}
			return err
		})
		if err != nil && i%len(cursors) != len(cursors)-1 {
			b.Fatal(err)
		}
	}
}

// BenchmarkStore_Open measures start-up: loading the snapshot of the seeded
// store (and the log written since).
func BenchmarkStore_Open(b *testing.B) {
	dir := b.TempDir()
	s, err := logstore.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	svc := openchime.NewService(s)
	ctx := context.Background()
	a, _ := svc.AdminCreateAccount(ctx, openchime.NewAccount{Name: "bench", Type: openchime.EnterpriseLWA})
	n := benchUsers()
	for from := 0; from < n; from += 10000 {
		news := make([]openchime.NewUser, min(10000, n-from))
		for i := range news {
			news[i].PrimaryEmail = fmt.Sprintf("user%d@bench.example.com", from+i)
		}
		if _, err := svc.AdminCreateUsers(ctx, a.ID, news); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		s, err := logstore.Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(time.Since(t0).Milliseconds()), "ms/open")
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
}

// BenchmarkTx_Read50Users reads 50 random users in a write transaction that
// writes nothing, the batch calls' read under the writer lock: one User call
// per id against one UsersByID.
func BenchmarkTx_Read50Users(b *testing.B) {
	s, acct, ids := seedBench(b, logstore.Options{NoSync: true})
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	pick := make([]string, 50)
	for _, batch := range []bool{false, true} {
		name := map[bool]string{false: "User", true: "UsersByID"}[batch]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for j := range pick {
					pick[j] = ids[rng.IntN(len(ids))]
				}
				err := s.Update(ctx, func(tx openchime.Tx) error {
					if batch {
						_, err := tx.(openchime.UserBatchReader).UsersByID(ctx, acct, pick)
						return err
					}
					for _, id := range pick {
						if _, err := tx.User(ctx, acct, id); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
