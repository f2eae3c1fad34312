package openchime

import (
	"errors"
	"fmt"
)

// Code is a Chime error code: the value of the model's ErrorCode enum that an
// exception carries in its body (and a per-user UserErrors entry in its
// ErrorCode), plus a few front-door codes the model does not list.
type Code string

// The codes of the model's ErrorCode enum.
const (
	BadRequest            Code = "BadRequest"
	Conflict              Code = "Conflict"
	Forbidden             Code = "Forbidden"
	NotFound              Code = "NotFound"
	PreconditionFailed    Code = "PreconditionFailed"
	ResourceLimitExceeded Code = "ResourceLimitExceeded"
	ServiceFailure        Code = "ServiceFailure"
	AccessDenied          Code = "AccessDenied"
	ServiceUnavailable    Code = "ServiceUnavailable"
	Throttled             Code = "Throttled"
	Unauthorized          Code = "Unauthorized"
	Unprocessable         Code = "Unprocessable"
	// PhoneNumberAssociationsExist is carried by a BadRequestException when
	// an associated number is deleted (decision D32).
	PhoneNumberAssociationsExist Code = "PhoneNumberAssociationsExist"
)

// Codes outside the model's enum, used by the front door (routing and
// authentication), decisions D7 and D8 of semantics.md.
const (
	UnknownOperation           Code = "UnknownOperation"
	NotImplemented             Code = "NotImplemented"
	MissingAuthenticationToken Code = "MissingAuthenticationToken"
	UnrecognizedClient         Code = "UnrecognizedClient"
	InvalidSignature           Code = "InvalidSignature"
)

// wireExceptions is, for each code of the model's enum, the model's
// exception shape that carries it on the wire. A shape's name stands for the
// first code listed with it (BadRequestException for BadRequest).
var wireExceptions = []struct {
	code  Code
	shape string
}{
	{BadRequest, "BadRequestException"},
	{Conflict, "ConflictException"},
	{Forbidden, "ForbiddenException"},
	{NotFound, "NotFoundException"},
	{ResourceLimitExceeded, "ResourceLimitExceededException"},
	{ServiceFailure, "ServiceFailureException"},
	{AccessDenied, "AccessDeniedException"},
	{ServiceUnavailable, "ServiceUnavailableException"},
	{Throttled, "ThrottledClientException"},
	{Unauthorized, "UnauthorizedClientException"},
	{Unprocessable, "UnprocessableEntityException"},
	{PreconditionFailed, "BadRequestException"},
	{PhoneNumberAssociationsExist, "BadRequestException"},
}

// ExceptionShape is the model's exception shape that carries c, or "" for the
// front door's codes, which the model has no shape for.
func (c Code) ExceptionShape() string {
	for _, e := range wireExceptions {
		if e.code == c {
			return e.shape
		}
	}
	return ""
}

// ExceptionCode returns the code of the model's enum that an exception name
// stands for: the model's shape name ("ThrottledClientException") or the
// code itself ("Throttled").
func ExceptionCode(name string) (Code, bool) {
	for _, e := range wireExceptions {
		if e.shape == name || string(e.code) == name {
			return e.code, true
		}
	}
	return "", false
}

// Error is the one error type of OpenChime. Code says what kind of failure it
// is; Message is for the person who made the request; Op names the operation
// and Err the underlying cause, both for logs only.
type Error struct {
	Code    Code
	Op      string
	Message string
	Err     error
}

// Error implements the error interface.
func (e *Error) Error() string {
	msg := string(e.Code)
	if e.Op != "" {
		msg = e.Op + ": " + msg
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, or ServiceFailure for an error that is not
// an *Error (an internal failure), or "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ServiceFailure
}

// ErrorMessage returns the message of err meant for the caller; internal
// failures never leak their details.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "The service encountered an unexpected error."
}

// IsCode reports whether err is an *Error with the given code.
func IsCode(err error, code Code) bool {
	if err == nil { // the most usual case: errors.As's target would still escape
		return false
	}
	if e, ok := err.(*Error); ok { // the usual case, without errors.As's allocation
		return e.Code == code
	}
	var e *Error
	return errors.As(err, &e) && e.Code == code
}
