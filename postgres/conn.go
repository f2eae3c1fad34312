package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/openchime/openchime/internal/sqlutil"
)

// txMode is how a transaction begins (see tx.go for which path runs which).
type txMode struct{ begin string }

// rollbackTimeout bounds the ROLLBACK after a failed attempt; past it the
// connection is closed instead (the pool destroys one left in a
// transaction).
const rollbackTimeout = 5 * time.Second

// conn is the sqlutil.Querier of one transaction, on a connection acquired
// from the pool. It sends BEGIN with the transaction's first statement, in
// one pipeline (pgx.Batch: one write and one read of the socket), rather
// than in a round trip of its own; Store.attempt sends the writes held back
// with COMMIT the same way (tx.commit).
type conn struct {
	conn  *pgx.Conn
	begin string // BEGIN not sent yet; "" once it is
	wrote bool   // a statement that may write was sent (Exec)
}

var _ sqlutil.Querier = (*conn)(nil)

// takeBegin returns the BEGIN still to send, if any, and marks it sent.
func (c *conn) takeBegin() string {
	b := c.begin
	c.begin = ""
	return b
}

// Exec implements sqlutil.Querier: a Query whose rows, if any, are
// dropped, so that BEGIN is pipelined with it the same way.
func (c *conn) Exec(ctx context.Context, query string, args ...any) error {
	c.wrote = true
	rows, err := c.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	return rows.Close()
}

// Query implements sqlutil.Querier.
func (c *conn) Query(ctx context.Context, query string, args ...any) (sqlutil.Rows, error) {
	begin := c.takeBegin()
	if begin == "" {
		rows, err := c.conn.Query(ctx, query, args...)
		if err != nil {
			return nil, err
		}
		return &rowsOf{Rows: rows}, nil
	}
	b := &pgx.Batch{}
	b.Queue(begin)
	b.Queue(query, args...)
	br := c.conn.SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		br.Close()
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return nil, err
	}
	return &rowsOf{Rows: rows, batch: br}, nil
}

// QueryRow implements sqlutil.Querier.
func (c *conn) QueryRow(ctx context.Context, query string, args ...any) sqlutil.Scanner {
	rows, err := c.Query(ctx, query, args...)
	return &row{rows: rows, err: err}
}

// rowsOf is sqlutil.Rows over pgx's, and the pipeline they came in.
type rowsOf struct {
	pgx.Rows
	batch pgx.BatchResults // the pipeline of BEGIN and the query; nil for a plain query
}

func (r *rowsOf) Close() error {
	r.Rows.Close()
	err := r.Rows.Err()
	if r.batch != nil {
		if cerr := r.batch.Close(); err == nil {
			err = cerr
		}
		r.batch = nil
	}
	return err
}

// row is the single row of QueryRow; no row scans as sqlutil.ErrNoRows.
type row struct {
	rows sqlutil.Rows
	err  error
}

func (r *row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Close(); err != nil {
			return err
		}
		return sqlutil.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	return r.rows.Close()
}

// rollback ends a transaction the attempt left open (fn failed, or a
// statement of the final round trip did), so that the connection goes back
// to the pool idle. Should it fail the connection is closed, and the pool
// destroys it.
func (c *conn) rollback() {
	pg := c.conn.PgConn()
	if pg.IsClosed() || pg.TxStatus() == 'I' {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), rollbackTimeout)
	defer cancel()
	if _, err := c.conn.Exec(ctx, "ROLLBACK"); err != nil {
		pg.Close(ctx)
	}
}
