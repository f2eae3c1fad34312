package httpapi

import (
	"time"
	"unicode/utf8"
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

// jsonSafe marks the ASCII bytes encoding/json copies into a string as they
// are when HTML escaping is off: printable ones and DEL, but not '"' or '\'.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string exactly as encoding/json's
// appendString does with escapeHTML false: \" \\ \b \f \n \r \t, other
// control bytes as \u00XX, each byte of invalid UTF-8 as \ufffd, and U+2028
// and U+2029 escaped (they end lines in JavaScript).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

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
