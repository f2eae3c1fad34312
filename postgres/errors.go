package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	openchime "github.com/openchime/openchime"
)

// SQLSTATE codes this store acts on.
const (
	uniqueViolation      = "23505"
	readOnlyTransaction  = "25006"
	serializationFailure = "40001"
	deadlockDetected     = "40P01"
	undefinedTable       = "42P01"
	undefinedFunction    = "42883"
	featureNotSupported  = "0A000"
	adminShutdown        = "57P01"
	crashShutdown        = "57P02"
	cannotConnectNow     = "57P03"
	ioError              = "58030"
)

// conflicted reports a serialization failure or a deadlock: PostgreSQL
// rolled the transaction back, and running it again may succeed.
func conflicted(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == serializationFailure || pe.Code == deadlockDetected)
}

// unavailable reports whether err says that the database could not be
// reached or could not serve, rather than that the request was wrong: it
// answers 503, never 500. A context canceled by the caller is not the
// database's failure and is left alone.
func unavailable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	// A ConnectError, whatever its cause: every host of the URL refused,
	// failed, was not read-write or turned this node away.
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return unavailableState(pe.Code)
	}
	// SafeToRetry: pgx failed before sending anything (a closed
	// connection). net.Error: refused, reset, broken pipe, timeouts.
	// DeadlineExceeded: no connection obtained in time.
	var ne net.Error
	switch {
	case pgconn.SafeToRetry(err), pgconn.Timeout(err), errors.As(err, &ne),
		errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.ErrClosedPipe),
		errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ETIMEDOUT), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone):
		return true
	}
	// pgx's "failed to deallocate cached statement(s)" wraps the pipeline's
	// error with %w (conn.go), so the cases above see its cause by type.
	return false
}

// unavailableState reports the SQLSTATEs of a server that cannot serve now:
// class 08 (connection exception), class 53 (insufficient resources:
// too many connections, out of memory or disk), 57P01-57P03 (shut down,
// crashed, starting up or not accepting connections), 25006 (read-only: this
// session reached a standby or a demoted primary, as after a failover) and
// 58030 (I/O error on the server).
func unavailableState(code string) bool {
	switch {
	case strings.HasPrefix(code, "08"), strings.HasPrefix(code, "53"):
		return true
	}
	switch code {
	case adminShutdown, crashShutdown, cannotConnectNow, readOnlyTransaction, ioError:
		return true
	}
	return false
}

// retryable reports whether a transaction whose BEGIN or statement failed
// with err certainly did not commit and may run again: a conflict, or the
// database being unavailable (a transaction whose connection failed before
// COMMIT was sent is rolled back by the server).
func retryable(err error) bool {
	return conflicted(err) || unavailable(err)
}

// retryableCommit reports whether a transaction whose COMMIT failed with err
// certainly did not commit: PostgreSQL answered with a serialization failure
// or a deadlock. Any other failure, the connection lost while waiting for the
// answer above all, leaves the outcome unknown: the server may have
// committed (and, with a synchronous standby, be waiting to replicate), so
// running the request again could apply it twice.
//
// pgconn.SafeToRetry does not prove that COMMIT was not sent: in pgx v5.12,
// when the connection drops after the query was written,
// MultiResultReader.NextResult discards the read error and the next read
// fails with the "conn closed" lock error, which is SafeToRetry.
func retryableCommit(err error) bool {
	return conflicted(err)
}

// Messages of the ServiceUnavailable errors; tests match them.
const (
	msgConflict    = "The request conflicted with a concurrent request; retry it."
	msgUnavailable = "The database is unavailable (unreachable, restarting or failing over); retry the request with backoff."
	msgReadOnly    = "The database is read-only (a failover may be under way); retry the request with backoff."
	msgResources   = "The database is out of resources (connections, memory or disk); retry the request later."
	msgUnknown     = "The database connection was lost while committing: the request may or may not have been applied. Read the resource back before retrying."
)

// mapErr translates PostgreSQL errors, by SQLSTATE and by the driver's error
// types, never by message text, into domain codes.
func mapErr(err error) error {
	var pe *pgconn.PgError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &pe) && pe.Code == uniqueViolation:
		return &openchime.Error{Code: openchime.Conflict, Message: "A record with the same key already exists.", Err: err}
	case conflicted(err):
		return &openchime.Error{Code: openchime.ServiceUnavailable, Message: msgConflict, Err: err}
	case !unavailable(err):
		return err
	case pe != nil && pe.Code == readOnlyTransaction:
		return &openchime.Error{Code: openchime.ServiceUnavailable, Message: msgReadOnly, Err: err}
	case pe != nil && strings.HasPrefix(pe.Code, "53"):
		return &openchime.Error{Code: openchime.ServiceUnavailable, Message: msgResources, Err: err}
	}
	return &openchime.Error{Code: openchime.ServiceUnavailable, Message: msgUnavailable, Err: err}
}

// mapCommitErr is mapErr for the error of a COMMIT: an unavailable database
// there leaves the outcome unknown (see retryableCommit), and the message
// says so.
func mapCommitErr(err error) error {
	if unavailable(err) && !retryableCommit(err) {
		return &openchime.Error{Code: openchime.ServiceUnavailable, Message: msgUnknown, Err: err}
	}
	return mapErr(err)
}
