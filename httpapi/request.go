package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	openchime "github.com/openchime/openchime"
)

// Operation is one row of the operation table.
type Operation struct {
	Name       string
	Method     string
	Path       string // template, e.g. /accounts/{accountId}/users
	QueryKey   string // "operation" or "type" when the route has a fixed query pair
	QueryValue string
	Status     int  // success status
	HasBody    bool // whether the input has body members
	// EmptyOutput is set when the output has no members: success is then an
	// empty body (decision D16).
	EmptyOutput bool
	Errors      []string
	serve       func(ctx context.Context, h Handlers, rq *request) (any, error)
}

// Operations returns the operation table of the model.
func Operations() []*Operation { return operations }

type labelValue struct{ name, value string }

// request is what an operation's generated binder reads from.
type request struct {
	op     *Operation
	labels []labelValue
	q      url.Values
	body   []byte
}

func (rq *request) label(name string) string {
	for _, l := range rq.labels {
		if l.name == name {
			return l.value
		}
	}
	return ""
}

func (rq *request) query(name string) string { return rq.q.Get(name) }

// queryPresent is query that also says whether the parameter was sent, so
// "?name=" is checked against the member's constraints instead of being
// taken as absent.
func (rq *request) queryPresent(name string) (string, bool) {
	v, ok := rq.q[name]
	if !ok || len(v) == 0 {
		return "", false
	}
	return v[0], true
}

func (rq *request) queryInt(name string) (*int, error) {
	v, ok := rq.q[name]
	if !ok || len(v) == 0 {
		return nil, nil
	}
	// "?max-results=" is sent, and "" is not an integer: 400, like
	// "?name=" for a member with a minimum length.
	n, err := strconv.Atoi(v[0])
	if err != nil {
		return nil, openchime.Errorf(openchime.BadRequest, "1 validation error detected: Value %q at '%s' failed to satisfy constraint: Member must be an integer", truncate(v[0]), name)
	}
	return &n, nil
}

// decodeBody decodes the JSON body into v. An empty body is {}: clients send
// none for operations without body members, and POST with no body is normal
// (LogoutUser, ResetPersonalPIN).
func (rq *request) decodeBody(v any) error {
	if !rq.op.HasBody {
		return nil
	}
	body := bytes.TrimSpace(rq.body)
	if len(body) == 0 {
		return nil
	}
	if body[0] != '{' {
		return openchime.Errorf(openchime.BadRequest, "The request body must be a JSON object.")
	}
	if err := checkUTF8(body); err != nil {
		return err
	}
	if f, ok := v.(fastDecoder); ok && f.decodeFast(body) {
		return nil
	}
	return decodeBodyStd(body, v)
}

// checkUTF8 refuses a body that is not valid UTF-8, which JSON text must be
// (RFC 8259 section 8.1): encoding/json would store each bad byte as U+FFFD
// and answer success. utf8.Valid scans ASCII a word at a time, so a hot
// batch body of a few hundred bytes costs tens of nanoseconds.
func checkUTF8(body []byte) error {
	if utf8.Valid(body) {
		return nil
	}
	i := 0
	for i < len(body) {
		r, n := utf8.DecodeRune(body[i:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		i += n
	}
	return openchime.Errorf(openchime.BadRequest, "The request body is not valid UTF-8 (the first bad byte is at offset %d): JSON text must be UTF-8.", i)
}

// decodeBodyStd is decodeBody through encoding/json, which also words the
// errors of every malformed body.
func decodeBodyStd(body []byte, v any) error {
	return decodeOne(json.NewDecoder(bytes.NewReader(body)), v)
}

// decodeOne decodes the one JSON value of a body into v: anything after it,
// even a second value, is a BadRequest rather than silently ignored.
func decodeOne(dec *json.Decoder, v any) error {
	if err := dec.Decode(v); err != nil {
		return bodyError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return openchime.Errorf(openchime.BadRequest, "The request body holds more than one JSON value.")
	}
	return nil
}

// bodyError turns a JSON decoding failure into a BadRequest that says where.
func bodyError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "(body)"
		}
		return openchime.Errorf(openchime.BadRequest, "Invalid JSON: the member '%s' must be %s, not a JSON %s.", field, jsonKind(typeErr.Type), typeErr.Value)
	case errors.As(err, &syntaxErr):
		return openchime.Errorf(openchime.BadRequest, "Invalid JSON in the request body at byte %d: %s.", syntaxErr.Offset, strings.TrimPrefix(syntaxErr.Error(), "json: "))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return openchime.Errorf(openchime.BadRequest, "Invalid JSON in the request body: it ends too early.")
	case strings.HasPrefix(err.Error(), "json: unknown field"): // control-plane bodies disallow unknown fields
		return openchime.Errorf(openchime.BadRequest, "Invalid JSON: %s.", strings.TrimPrefix(err.Error(), "json: "))
	}
	return openchime.Errorf(openchime.BadRequest, "Invalid JSON in the request body: %v.", err)
}

func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Slice:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return fmt.Sprintf("a %s", t.Kind())
}
