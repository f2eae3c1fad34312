package postgres

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	openchime "github.com/openchime/openchime"
)

// SQLSTATE codes this store acts on.
const (
	uniqueViolation      = "23505"
	serializationFailure = "40001"
	deadlockDetected     = "40P01"
	undefinedTable       = "42P01"
	undefinedFunction    = "42883"
	featureNotSupported  = "0A000"
)

func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == serializationFailure || pe.Code == deadlockDetected)
}

// mapErr translates PostgreSQL errors, by SQLSTATE and never by message text,
// into domain codes.
func mapErr(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	switch {
	case pe.Code == uniqueViolation:
		return &openchime.Error{Code: openchime.Conflict, Message: "A record with the same key already exists.", Err: err}
	case pe.Code == serializationFailure || pe.Code == deadlockDetected:
		return &openchime.Error{Code: openchime.ServiceUnavailable, Message: "The request conflicted with a concurrent request; retry it.", Err: err}
	case strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "53") || pe.Code == "57P01" || pe.Code == "57P03":
		// connection exceptions, insufficient resources, shutdown, not yet
		// accepting connections: the database, not the request, is at fault.
		return &openchime.Error{Code: openchime.ServiceUnavailable, Message: "The database is unavailable; retry the request.", Err: err}
	}
	return err
}
