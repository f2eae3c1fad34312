package sqlutil

import (
	"context"
	"database/sql"
)

// Querier is what Tx runs its SQL on: a database/sql transaction (SQLTx) or
// a driver's own connection (the postgres store's, over pgx). It is the
// three calls Tx needs and nothing of either library.
type Querier interface {
	Exec(ctx context.Context, query string, args ...any) error
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	// QueryRow's Scan returns ErrNoRows when the query returned no row.
	QueryRow(ctx context.Context, query string, args ...any) Scanner
}

// Rows is the result of Querier.Query. Close returns the error that ended
// the result, if Err has not already.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close() error
}

// ErrNoRows is what a Querier's QueryRow returns for no row, whatever the
// driver's own error for it.
var ErrNoRows = sql.ErrNoRows

// SQLTx is a Querier over a database/sql transaction.
type SQLTx struct{ Tx *sql.Tx }

// Exec implements Querier.
func (q SQLTx) Exec(ctx context.Context, query string, args ...any) error {
	_, err := q.Tx.ExecContext(ctx, query, args...)
	return err
}

// Query implements Querier.
func (q SQLTx) Query(ctx context.Context, query string, args ...any) (Rows, error) {
	rows, err := q.Tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return rows, nil
}

// QueryRow implements Querier.
func (q SQLTx) QueryRow(ctx context.Context, query string, args ...any) Scanner {
	return q.Tx.QueryRowContext(ctx, query, args...)
}
