package httpapi

// A fast path for the bodies of the hot batch requests (BatchSuspendUser,
// BatchUnsuspendUser: {"UserIdList":[...]}), where encoding/json's
// reflection was a sixth of the request's CPU time (issue 6). It accepts
// only the plain form of such a body and gives up on anything else, and
// decodeBody then decodes the body with encoding/json from scratch: every
// body that is malformed, unusual or merely spelled differently (escapes,
// non-ASCII, null, other keys, a key in other case) is answered exactly as
// before. decodeBody has already refused a body that is not valid UTF-8
// (checkUTF8), and this path takes printable ASCII only, so neither path
// can store a replacement character for a bad byte.

// fastDecoder is an input that decodes its common body itself; the
// generator writes decodeFast for inputs whose body is one list of strings.
type fastDecoder interface {
	// decodeFast decodes body (trimmed, starting with '{') and reports
	// whether it did; false leaves the value untouched.
	decodeFast(body []byte) bool
}

func skipJSONSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// plainJSONString returns the end (after the closing quote) of the string
// that starts at b[i] == '"', when it holds only printable ASCII without
// escapes: such a string means its bytes, as encoding/json reads it.
func plainJSONString(b []byte, i int) (end int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return 0, false
	}
	for j := i + 1; j < len(b); j++ {
		c := b[j]
		switch {
		case c == '"':
			return j + 1, true
		case c < 0x20 || c >= 0x7f || c == '\\':
			return 0, false
		}
	}
	return 0, false
}

// parseStringListObject decodes body when it is exactly
// {"<key>":["s1","s2",...]} with JSON whitespace between the tokens and
// plain strings (see plainJSONString). An empty list is a non-nil empty
// slice, as encoding/json makes it.
func parseStringListObject(body []byte, key string) (list []string, ok bool) {
	i := skipJSONSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return nil, false
	}
	i = skipJSONSpace(body, i+1)
	end, ok := plainJSONString(body, i)
	if !ok || string(body[i+1:end-1]) != key {
		return nil, false
	}
	i = skipJSONSpace(body, end)
	if i >= len(body) || body[i] != ':' {
		return nil, false
	}
	i = skipJSONSpace(body, i+1)
	if i >= len(body) || body[i] != '[' {
		return nil, false
	}
	i = skipJSONSpace(body, i+1)
	if i >= len(body) {
		return nil, false
	}
	if body[i] == ']' {
		list = []string{}
	} else {
		// A comma per item bounds the length from above.
		n := 1
		for _, c := range body[i:] {
			if c == ',' {
				n++
			}
		}
		list = make([]string, 0, n)
		// The items are substrings of one copy of the list, not a copy
		// each: one allocation instead of one per id.
		var all string
		base := i
		for {
			end, ok := plainJSONString(body, i)
			if !ok {
				return nil, false
			}
			if all == "" {
				all = string(body[base:])
			}
			list = append(list, all[i+1-base:end-1-base])
			i = skipJSONSpace(body, end)
			if i >= len(body) {
				return nil, false
			}
			if body[i] == ']' {
				break
			}
			if body[i] != ',' {
				return nil, false
			}
			i = skipJSONSpace(body, i+1)
		}
	}
	i = skipJSONSpace(body, i+1)
	if i >= len(body) || body[i] != '}' {
		return nil, false
	}
	if skipJSONSpace(body, i+1) != len(body) {
		return nil, false
	}
	return list, true
}

// parseStringsObject decodes body when it is exactly {"Key":"value",...}
// with each key one of keys, spelled exactly, at most once, and each value
// a plain string (see plainJSONString), in any order, with JSON whitespace
// between the tokens; vals[i] is then the value of keys[i] and bit i of
// present says it was there. Anything else (another or repeated key, null,
// escapes) is ok == false. The values are substrings of one copy of the
// body.
func parseStringsObject(body []byte, keys []string, vals []string) (present uint, ok bool) {
	i := skipJSONSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return 0, false
	}
	i = skipJSONSpace(body, i+1)
	if i < len(body) && body[i] == '}' {
		return 0, skipJSONSpace(body, i+1) == len(body)
	}
	var all string
	for {
		end, ok := plainJSONString(body, i)
		if !ok {
			return 0, false
		}
		k := -1
		for j, key := range keys {
			if string(body[i+1:end-1]) == key {
				k = j
				break
			}
		}
		if k < 0 || present&(1<<k) != 0 {
			return 0, false
		}
		i = skipJSONSpace(body, end)
		if i >= len(body) || body[i] != ':' {
			return 0, false
		}
		i = skipJSONSpace(body, i+1)
		end, ok = plainJSONString(body, i)
		if !ok {
			return 0, false
		}
		if all == "" {
			all = string(body)
		}
		vals[k], present = all[i+1:end-1], present|1<<k
		i = skipJSONSpace(body, end)
		if i >= len(body) {
			return 0, false
		}
		if body[i] == '}' {
			break
		}
		if body[i] != ',' {
			return 0, false
		}
		i = skipJSONSpace(body, i+1)
	}
	if skipJSONSpace(body, i+1) != len(body) {
		return 0, false
	}
	return present, true
}
