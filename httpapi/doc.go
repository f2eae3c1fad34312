// Package httpapi speaks the Amazon Chime REST-JSON wire protocol (API
// 2018-05-01) in front of an openchime.Service.
//
// # Routes
//
// Every operation of the model is a (method, path template, fixed query pair)
// triple, e.g. POST /accounts/{accountId}/users?operation=unsuspend. The
// table in zz_generated.go is derived from spec/chime-2018-05-01.model.json
// by internal/chimegen; regenerate it with
//
//	go generate ./httpapi
//
// A request is matched on its method, its escaped path split on "/" (each
// segment then unescaped, so a label may hold "%2F"), and the value of the
// operation (or type) query parameter. A leading /console is stripped
// (decision D9). No match: 404 UnknownOperationException (decision D7).
//
// # Input
//
// URI labels and query members are bound by name, body members decoded from
// JSON (an empty body is {}). Every constraint of the model (required, string
// length, pattern, enum, integer range, list length) is checked before the
// handler runs. An empty string sent for a member ("?name=", "Name": "") is
// checked like any other value, and a missing required boolean is caught.
// Malformed JSON, a JSON value of the wrong type and a body over MaxBodyBytes
// are BadRequestException. httpapi/sweep_test.go proves this for every
// constraint of every operation.
//
// # Errors
//
// An error answers with the status of its exception shape, the header
// x-amzn-ErrorType: <ShapeName> and the body {"Code":"<ErrorCode>","Message":
// "..."} (decision D1). Every response carries x-amzn-RequestId.
//
// # Output
//
// JSON with the model's member names; timestamps as 2006-01-02T15:04:05.000Z
// in UTC; lists that are empty are sent as [] where the model's examples do
// (UserErrors); operations whose success status is 204 send no body.
//
// # Tenancy
//
// The caller's AWS account is the access key id of the SigV4 Authorization
// header when that is 12 digits, otherwise the server's default account.
// With SigV4Auth (serve --auth sigv4) the signature is verified instead and
// the account comes from the credentials file; failures answer 403
// MissingAuthenticationToken, UnrecognizedClient, InvalidSignature (also a
// clock skew over 15 minutes) or AccessDenied (decision D8). AdminToken guards
// /_openchime/ (health and ready excepted, for load balancers) with a bearer
// token.
//
// # CloudTrail
//
// Every call that reaches an operation with a known caller (a successful or
// failed one, a denied one included) is recorded in Server.Trail
// (package cloudtrail) as its CloudTrail record. POST / with an X-Amz-Target
// of CloudTrail_20131101.LookupEvents (or the long form
// com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents that
// the SDKs send) is routed there before the Chime routes, authenticated the
// same way (SigV4 scoped to service "cloudtrail"), and answered in the JSON
// 1.1 protocol with the calls of the caller's AWS account; its errors are
// {"__type","message"} with x-amzn-ErrorType. LookupEvents calls are not
// themselves recorded.
package httpapi

//go:generate go run ../internal/chimegen -model ../spec/chime-2018-05-01.model.json -out zz_generated.go
