package postgres_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/postgres"
)

// statements counts the statements a pool sends, BEGIN and COMMIT
// included, and the round trips they take: one for a statement sent alone,
// one for a pipeline (pgx.Batch) of several.
type statements struct{ n, trips atomic.Int64 }

func (c *statements) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	c.trips.Add(1)
	return ctx
}

func (c *statements) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (c *statements) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	c.trips.Add(1)
	return ctx
}

func (c *statements) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) { c.n.Add(1) }

func (c *statements) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// mustServiceCounting opens a store on a fresh database whose statements
// are counted, and a Service on it.
func mustServiceCounting(b *testing.B) (*openchime.Service, *statements) {
	b.Helper()
	c := &statements{}
	s, err := postgres.OpenTraced(context.Background(), MustCreateDatabase(b), c)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return openchime.NewService(s), c
}

// measure runs op b.N times and reports the statements and round trips of
// each run; setup runs before each op, untimed and uncounted.
func measure(b *testing.B, c *statements, setup func(i int), op func(i int) error) {
	b.Helper()
	var stmts, trips int64
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		setup(i)
		before, tripsBefore := c.n.Load(), c.trips.Load()
		b.StartTimer()
		if err := op(i); err != nil {
			b.Fatal(err)
		}
		stmts += c.n.Load() - before
		trips += c.trips.Load() - tripsBefore
	}
	b.ReportMetric(float64(stmts)/float64(b.N), "stmts/op")
	b.ReportMetric(float64(trips)/float64(b.N), "trips/op")
}

// BenchmarkPostgres_BatchSuspendUser50 suspends or unsuspends 50 users, each
// changed every run: BEGIN with the account, the users, their upsert and
// the audit event with COMMIT.
func BenchmarkPostgres_BatchSuspendUser50(b *testing.B) {
	ctx := context.Background()
	svc, c := mustServiceCounting(b)
	a, err := svc.AdminCreateAccount(ctx, openchime.NewAccount{Name: "b", Type: openchime.EnterpriseLWA})
	if err != nil {
		b.Fatal(err)
	}
	news := make([]openchime.NewUser, 50)
	for i := range news {
		news[i] = openchime.NewUser{PrimaryEmail: fmt.Sprintf("u%d@example.com", i), RegistrationStatus: openchime.Registered}
	}
	users, err := svc.AdminCreateUsers(ctx, a.ID, news)
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	measure(b, c, func(int) {}, func(i int) error {
		var errs []openchime.UserError
		var err error
		if i%2 == 0 {
			errs, err = svc.BatchSuspendUser(ctx, a.ID, ids)
		} else {
			errs, err = svc.BatchUnsuspendUser(ctx, a.ID, ids)
		}
		if err == nil && len(errs) > 0 {
			err = fmt.Errorf("item errors: %v", errs)
		}
		return err
	})
}

// seedNumbers seeds n Unassigned numbers of the default AWS account.
func seedNumbers(b *testing.B, svc *openchime.Service, n int) []string {
	b.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("+1312555%04d", i)
		if _, err := svc.AdminSeedPhoneNumber(context.Background(), openchime.SeedPhoneNumber{E164PhoneNumber: ids[i]}); err != nil {
			b.Fatal(err)
		}
	}
	return ids
}

// BenchmarkPostgres_BatchUpdatePhoneNumber50 flips the product type of 50
// numbers, each changed every run.
func BenchmarkPostgres_BatchUpdatePhoneNumber50(b *testing.B) {
	ctx := context.Background()
	svc, c := mustServiceCounting(b)
	ids := seedNumbers(b, svc, 50)
	products := []string{openchime.VoiceConnector, openchime.BusinessCalling}
	measure(b, c, func(int) {}, func(i int) error {
		items := make([]openchime.PhoneNumberUpdate, len(ids))
		for j, id := range ids {
			items[j] = openchime.PhoneNumberUpdate{ID: id, ProductType: products[i%2]}
		}
		errs, err := svc.BatchUpdatePhoneNumber(ctx, items)
		if err == nil && len(errs) > 0 {
			err = fmt.Errorf("item errors: %v", errs)
		}
		return err
	})
}

// BenchmarkPostgres_BatchDeletePhoneNumber50 moves 50 numbers to the
// deletion queue; they are restored, uncounted, before each run.
func BenchmarkPostgres_BatchDeletePhoneNumber50(b *testing.B) {
	ctx := context.Background()
	svc, c := mustServiceCounting(b)
	ids := seedNumbers(b, svc, 50)
	measure(b, c, func(i int) {
		if i == 0 {
			return
		}
		for _, id := range ids {
			if _, err := svc.RestorePhoneNumber(ctx, id); err != nil {
				b.Fatal(err)
			}
		}
	}, func(int) error {
		errs, err := svc.BatchDeletePhoneNumber(ctx, ids)
		if err == nil && len(errs) > 0 {
			err = fmt.Errorf("item errors: %v", errs)
		}
		return err
	})
}

// BenchmarkPostgres_BatchCreateRoomMembership50 adds 50 users to a new room
// (created, uncounted, before each run).
func BenchmarkPostgres_BatchCreateRoomMembership50(b *testing.B) {
	ctx := context.Background()
	svc, c := mustServiceCounting(b)
	svc.Collab.RoomsPerMember = 1 << 30
	a, err := svc.AdminCreateAccount(ctx, openchime.NewAccount{Name: "b", Type: openchime.EnterpriseLWA})
	if err != nil {
		b.Fatal(err)
	}
	news := make([]openchime.NewUser, 50)
	for i := range news {
		news[i] = openchime.NewUser{PrimaryEmail: fmt.Sprintf("u%d@example.com", i)}
	}
	users, err := svc.AdminCreateUsers(ctx, a.ID, news)
	if err != nil {
		b.Fatal(err)
	}
	items := make([]openchime.MembershipItem, len(users))
	for i, u := range users {
		items[i] = openchime.MembershipItem{MemberID: u.ID}
	}
	var room *openchime.Room
	measure(b, c, func(i int) {
		if room, err = svc.CreateRoom(ctx, a.ID, fmt.Sprint("room ", i), ""); err != nil {
			b.Fatal(err)
		}
	}, func(int) error {
		errs, err := svc.BatchCreateRoomMembership(ctx, a.ID, room.ID, items)
		if err == nil && len(errs) > 0 {
			err = fmt.Errorf("item errors: %v", errs)
		}
		return err
	})
}
