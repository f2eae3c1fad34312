package httpapi

import (
	"net/http"
	"testing"

	openchime "github.com/openchime/openchime"
)

// TestException_everyCode checks the one table of codes and shapes: each
// domain code has a shape whose status is the model's (or the front door's),
// an exception name stands for its code, and a code outside the table is a
// ServiceFailure.
func TestException_everyCode(t *testing.T) {
	modelled := []openchime.Code{openchime.BadRequest, openchime.Conflict, openchime.Forbidden, openchime.NotFound,
		openchime.PreconditionFailed, openchime.ResourceLimitExceeded, openchime.ServiceFailure, openchime.AccessDenied,
		openchime.ServiceUnavailable, openchime.Throttled, openchime.Unauthorized, openchime.Unprocessable,
		openchime.PhoneNumberAssociationsExist}
	for _, c := range modelled {
		shape, status := Exception(&openchime.Error{Code: c})
		if shape != c.ExceptionShape() || exceptionStatus[shape] != status || status == 0 {
			t.Errorf("%s: shape %s status %d; want the model's shape %s and its status %d", c, shape, status, c.ExceptionShape(), exceptionStatus[c.ExceptionShape()])
		}
		if got, ok := openchime.ExceptionCode(string(c)); !ok || got != c {
			t.Errorf("ExceptionCode(%q) = %s, %v", c, got, ok)
		}
		if got, _ := openchime.ExceptionCode(shape); got.ExceptionShape() != shape {
			t.Errorf("ExceptionCode(%q) = %s, whose shape is %s", shape, got, got.ExceptionShape())
		}
	}
	for _, c := range []openchime.Code{openchime.UnknownOperation, openchime.NotImplemented, openchime.MissingAuthenticationToken,
		openchime.UnrecognizedClient, openchime.InvalidSignature} {
		if c.ExceptionShape() != "" {
			t.Errorf("front-door code %s has the model shape %s", c, c.ExceptionShape())
		}
		if _, ok := openchime.ExceptionCode(string(c)); ok {
			t.Errorf("front-door code %s is accepted as a fault exception", c)
		}
		if shape, status := Exception(&openchime.Error{Code: c}); shape != string(c)+"Exception" || status != frontDoorStatus[shape] {
			t.Errorf("%s: shape %s status %d", c, shape, status)
		}
	}
	if shape, status := Exception(&openchime.Error{Code: "Invented"}); shape != "ServiceFailureException" || status != http.StatusInternalServerError {
		t.Errorf("an unknown code: %s %d, want ServiceFailureException 500", shape, status)
	}
}
