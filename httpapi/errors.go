package httpapi

import (
	"net/http"

	openchime "github.com/openchime/openchime"
)

// exceptionOf returns the exception shape that carries a domain code on the
// wire: the model's (Code.ExceptionShape), or one of the front door's, which
// the model lacks. The status of a modelled shape comes from the model
// (exceptionStatus); the front-door shapes have theirs in frontDoorStatus.
func exceptionOf(c openchime.Code) (string, bool) {
	if shape := c.ExceptionShape(); shape != "" {
		return shape, true
	}
	shape, ok := frontDoorShapes[c]
	return shape, ok
}

var frontDoorShapes = map[openchime.Code]string{
	openchime.UnknownOperation:           "UnknownOperationException",
	openchime.NotImplemented:             "NotImplementedException",
	openchime.MissingAuthenticationToken: "MissingAuthenticationTokenException",
	openchime.UnrecognizedClient:         "UnrecognizedClientException",
	openchime.InvalidSignature:           "InvalidSignatureException",
}

var frontDoorStatus = map[string]int{
	"UnknownOperationException":           http.StatusNotFound,
	"NotImplementedException":             http.StatusNotImplemented,
	"MissingAuthenticationTokenException": http.StatusForbidden,
	"UnrecognizedClientException":         http.StatusForbidden,
	"InvalidSignatureException":           http.StatusForbidden,
}

// Exception returns the exception shape name and HTTP status for err.
func Exception(err error) (shape string, status int) {
	shape, ok := exceptionOf(openchime.ErrorCode(err))
	if !ok {
		shape = "ServiceFailureException"
	}
	if st, ok := exceptionStatus[shape]; ok {
		return shape, st
	}
	if st, ok := frontDoorStatus[shape]; ok {
		return shape, st
	}
	return "ServiceFailureException", http.StatusInternalServerError
}

type errorBody struct {
	Code    string `json:"Code"`
	Message string `json:"Message"`
}

// WriteError writes err as an AWS JSON error (decision D1).
func WriteError(w http.ResponseWriter, err error) {
	shape, status := Exception(err)
	code := openchime.ErrorCode(err)
	if _, known := exceptionOf(code); !known {
		code = openchime.ServiceFailure
	}
	msg := openchime.ErrorMessage(err)
	if msg == "" {
		msg = string(code)
	}
	if sw, ok := w.(*statusWriter); ok {
		sw.code, sw.errType, sw.errMsg = code, shape, msg
		sw.keep = false
	}
	w.Header().Set("x-amzn-ErrorType", shape)
	writeJSON(w, status, errorBody{Code: string(code), Message: msg})
}
