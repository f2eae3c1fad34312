package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// OpenTraced is Open on a pool whose connections report every statement
// they send (BEGIN and COMMIT included) to tracer, for tests that count
// statements and round trips; a tracer that is also a pgx.BatchTracer sees
// the pipelined ones.
func OpenTraced(ctx context.Context, url string, tracer pgx.QueryTracer) (*Store, error) {
	return open(ctx, url, func(cfg *pgxpool.Config) { cfg.ConnConfig.Tracer = tracer })
}
