package httpapi

import (
	"net/http"

	openchime "github.com/openchime/openchime"
)

// exceptionOf maps a domain code to the exception shape that carries it on
// the wire. The status of a modelled shape comes from the model
// (exceptionStatus); the front-door shapes that the model lacks have theirs in
// frontDoorStatus.
var exceptionOf = map[openchime.Code]string{
	openchime.BadRequest:                   "BadRequestException",
	openchime.Conflict:                     "ConflictException",
	openchime.Forbidden:                    "ForbiddenException",
	openchime.NotFound:                     "NotFoundException",
	openchime.ResourceLimitExceeded:        "ResourceLimitExceededException",
	openchime.ServiceFailure:               "ServiceFailureException",
	openchime.AccessDenied:                 "AccessDeniedException",
	openchime.ServiceUnavailable:           "ServiceUnavailableException",
	openchime.Throttled:                    "ThrottledClientException",
	openchime.Unauthorized:                 "UnauthorizedClientException",
	openchime.Unprocessable:                "UnprocessableEntityException",
	openchime.PreconditionFailed:           "BadRequestException",
	openchime.PhoneNumberAssociationsExist: "BadRequestException",
	openchime.UnknownOperation:             "UnknownOperationException",
	openchime.NotImplemented:               "NotImplementedException",
	openchime.MissingAuthenticationToken:   "MissingAuthenticationTokenException",
	openchime.UnrecognizedClient:           "UnrecognizedClientException",
	openchime.InvalidSignature:             "InvalidSignatureException",
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
	shape, ok := exceptionOf[openchime.ErrorCode(err)]
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
	if _, known := exceptionOf[code]; !known {
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
