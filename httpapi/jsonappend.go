package httpapi

import (
	"time"

	"github.com/openchime/openchime/internal/jsonenc"
)

// The runtime of the generated appendJSON methods (zz_generated.go): they
// write the bytes encoding/json writes with SetEscapeHTML(false), without
// reflection (issue 6). TestAppendJSON_matchesEncodingJSON compares the two
// on random values of every generated type.

// jsonAppender is a value that encodes itself; writeJSON prefers it to
// encoding/json.
type jsonAppender interface {
	appendJSON(b []byte) []byte
}

// appendJSONString appends s as encoding/json does with SetEscapeHTML(false).
func appendJSONString(b []byte, s string) []byte { return jsonenc.AppendString(b, s, false) }

// closeJSONObject ends an object whose members were appended after start,
// each with a leading comma: the first comma becomes the opening brace.
func closeJSONObject(b []byte, start int) []byte {
	if len(b) == start {
		return append(b, '{', '}')
	}
	b[start] = '{'
	return append(b, '}')
}

// timestampLayout is the wire form of a Timestamp: UTC, milliseconds, "Z".
const timestampLayout = "2006-01-02T15:04:05.000Z"

// appendJSON appends t as its MarshalJSON writes it (MarshalJSON calls it).
func (t Timestamp) appendJSON(b []byte) []byte {
	u := time.Time(t).UTC()
	year, month, day := u.Date()
	if year < 0 || year > 9999 {
		// Format's own spelling of such years.
		b = append(b, '"')
		b = u.AppendFormat(b, timestampLayout)
		return append(b, '"')
	}
	// The layout written by hand: AppendFormat parses the layout on every
	// call, two timestamps per user of a page.
	hour, minute, sec := u.Clock()
	ms := u.Nanosecond() / 1e6
	return append(b, '"',
		byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+month/10), byte('0'+month%10), '-', byte('0'+day/10), byte('0'+day%10), 'T',
		byte('0'+hour/10), byte('0'+hour%10), ':', byte('0'+minute/10), byte('0'+minute%10), ':',
		byte('0'+sec/10), byte('0'+sec%10), '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z', '"')
}

// appendJSON writes every error answer, the common answer under throttling
// and fault injection.
func (e errorBody) appendJSON(b []byte) []byte {
	b = append(b, `{"Code":`...)
	b = appendJSONString(b, e.Code)
	b = append(b, `,"Message":`...)
	b = appendJSONString(b, e.Message)
	return append(b, '}')
}
