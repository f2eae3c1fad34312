package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/postgres"
)

// BenchmarkDriver_Batch runs the statements of one 50-user BatchSuspendUser
// (begin READ COMMITTED, the account FOR SHARE, the users FOR UPDATE, one
// upsert from arrays, one audit insert, commit) through database/sql with
// pgx's stdlib driver, which the store uses, and through pgx's own
// interface (pgxpool), to weigh the driver layer alone:
//
//	OPENCHIME_TEST_POSTGRES_URL=... go test -run '^$' -bench Driver -benchtime 2000x ./postgres
func BenchmarkDriver_Batch(b *testing.B) {
	dbURL := MustCreateDatabase(b)
	ctx := context.Background()
	s, err := postgres.Open(ctx, dbURL)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const users = 10000
	svc := openchime.NewService(s)
	acct, err := svc.AdminCreateAccount(ctx, openchime.NewAccount{Name: "bench", Type: openchime.EnterpriseLWA})
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]string, 0, users)
	for start := 0; start < users; start += 1000 {
		var list []openchime.NewUser
		for i := start; i < start+1000; i++ {
			list = append(list, openchime.NewUser{PrimaryEmail: fmt.Sprintf("u%d@example.com", i), RegistrationStatus: openchime.Registered})
		}
		created, err := svc.AdminCreateUsers(ctx, acct.ID, list)
		if err != nil {
			b.Fatal(err)
		}
		for _, u := range created {
			ids = append(ids, u.ID)
		}
	}
	pick := func(rng *rand.Rand) []string {
		out := make([]string, 50)
		for i := range out {
			out[i] = ids[rng.IntN(len(ids))]
		}
		return out
	}
	const (
		account = `SELECT id, status FROM accounts WHERE id = $1 FOR SHARE`
		read    = `SELECT id, registration_status FROM users WHERE account_id = $1 AND id = ANY($2) ORDER BY id FOR UPDATE`
		write   = `UPDATE users SET registration_status = v.s FROM unnest($2::text[], $3::text[]) AS v(id, s)
			WHERE users.account_id = $1 AND users.id = v.id`
		audit = `INSERT INTO resources (kind, id, scope, created_at, data) VALUES ('bench', $1, $2, $3, '{}')`
	)
	next := func(status string) string {
		if status == "Suspended" {
			return "Registered"
		}
		return "Suspended"
	}

	b.Run("database-sql", func(b *testing.B) {
		db := s.DB()
		b.RunParallel(func(pb *testing.PB) {
			rng := rand.New(rand.NewPCG(rand.Uint64(), 1))
			for pb.Next() {
				err := func() error {
					tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
					if err != nil {
						return err
					}
					defer tx.Rollback()
					var id, status string
					if err := tx.QueryRowContext(ctx, account, acct.ID).Scan(&id, &status); err != nil {
						return err
					}
					rows, err := tx.QueryContext(ctx, read, acct.ID, pick(rng))
					if err != nil {
						return err
					}
					var got, to []string
					for rows.Next() {
						if err := rows.Scan(&id, &status); err != nil {
							return err
						}
						got, to = append(got, id), append(to, next(status))
					}
					if err := rows.Err(); err != nil {
						return err
					}
					if _, err := tx.ExecContext(ctx, write, acct.ID, got, to); err != nil {
						return err
					}
					if _, err := tx.ExecContext(ctx, audit, fmt.Sprint(rng.Uint64()), acct.ID, time.Now().UnixMilli()); err != nil {
						return err
					}
					return tx.Commit()
				}()
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	})

	b.Run("pgxpool", func(b *testing.B) {
		cfg, err := pgxpool.ParseConfig(dbURL)
		if err != nil {
			b.Fatal(err)
		}
		cfg.MaxConns = 16
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			b.Fatal(err)
		}
		defer pool.Close()
		b.RunParallel(func(pb *testing.PB) {
			rng := rand.New(rand.NewPCG(rand.Uint64(), 2))
			for pb.Next() {
				err := pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
					var id, status string
					if err := tx.QueryRow(ctx, account, acct.ID).Scan(&id, &status); err != nil {
						return err
					}
					rows, err := tx.Query(ctx, read, acct.ID, pick(rng))
					if err != nil {
						return err
					}
					var got, to []string
					for rows.Next() {
						if err := rows.Scan(&id, &status); err != nil {
							return err
						}
						got, to = append(got, id), append(to, next(status))
					}
					if err := rows.Err(); err != nil {
						return err
					}
					if _, err := tx.Exec(ctx, write, acct.ID, got, to); err != nil {
						return err
					}
					_, err = tx.Exec(ctx, audit, fmt.Sprint(rng.Uint64()), acct.ID, time.Now().UnixMilli())
					return err
				})
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
