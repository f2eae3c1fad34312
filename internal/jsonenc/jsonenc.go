// Package jsonenc is the JSON string escaper that OpenChime's hand-written
// encoders share (the wire's generated appendJSON methods in httpapi and the
// audit log's in the root package): one implementation, byte for byte what
// encoding/json writes, with or without its HTML escaping.
package jsonenc

import "unicode/utf8"

// jsonSafe marks the ASCII bytes encoding/json copies into a string as they
// are when HTML escaping is off: printable ones and DEL, but not '"' or '\'.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string exactly as encoding/json's
// appendString does: with escapeHTML false (an Encoder after
// SetEscapeHTML(false)) or true (json.Marshal, which also writes <, > and &
// as \u003c, \u003e, \u0026): \" \\ \b \f \n \r \t, other
// control bytes as \u00XX, each byte of invalid UTF-8 as \ufffd, and U+2028
// and U+2029 escaped (they end lines in JavaScript).
func AppendString(b []byte, s string, escapeHTML bool) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		// Eight plain bytes at a time: most strings (ids, emails, names)
		// need no escaping at all.
		for i+8 <= len(s) && plain8(s[i:]) && !(escapeHTML && htmlIn8(s[i:])) {
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] && !(escapeHTML && (c == '<' || c == '>' || c == '&')) {
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

// htmlIn8 reports whether the first eight bytes of s hold a <, > or &.
func htmlIn8(s string) bool {
	for _, c := range []byte(s[:8]) {
		if c == '<' || c == '>' || c == '&' {
			return true
		}
	}
	return false
}
