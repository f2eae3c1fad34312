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
		// Eight plain bytes at a time: most strings (ids, emails, names)
		// need no escaping at all.
		for i+8 <= len(s) && plain8(s[i:]) {
			i += 8
		}
		if i >= len(s) {
			break
		}
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

// plain8 reports whether the first eight bytes of s are ASCII that JSON writes
// as they are (jsonSafe): none below 0x20 or above 0x7f, no '"' and no '\\'.
// Each test is the classic "some byte is zero / below n" word trick, exact
// as a yes or no.
func plain8(s string) bool {
	x := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	if x&highs != 0 {
		return false // not ASCII
	}
	quote, backslash := x^(ones*'"'), x^(ones*'\\')
	return (x-ones*0x20)&^x&highs == 0 && // no byte below 0x20
		(quote-ones)&^quote&highs == 0 &&
		(backslash-ones)&^backslash&highs == 0
}
