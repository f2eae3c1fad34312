package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// OpenTraced is Open on a pool whose connections report every statement
// they send (BEGIN and COMMIT included) to tracer, for tests that count
// round trips.
func OpenTraced(ctx context.Context, url string, tracer pgx.QueryTracer) (*Store, error) {
	s, err := Open(ctx, url)
	if err != nil {
		return nil, err
	}
	s.db.Close()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	cfg.Tracer = tracer
	s.db = stdlib.OpenDB(*cfg)
	return s, nil
}
