package jsonenc

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// marshal is what encoding/json writes for s, with or without HTML escaping.
func marshal(t *testing.T, s string, escapeHTML bool) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// FuzzAppendString compares the escaper with encoding/json in both modes.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "user12345@bench.example.com", "a\u2028b\xffc<d>&\"\\\x00\x7f",
		"<<<<<<<<&&&&&&&&>>>>>>>>", "12345678<", "Zoë Müller", "\u2029\xc3", "tab\there\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, html := range []bool{false, true} {
			if got, want := AppendString(nil, s, html), marshal(t, s, html); !bytes.Equal(got, want) {
				t.Fatalf("AppendString(%q, escapeHTML %v) = %s, encoding/json %s", s, html, got, want)
			}
		}
	})
}

// TestPlain8_MatchesJSONSafe puts every byte value at every position of an
// otherwise plain word and checks the word test against jsonSafe.
func TestPlain8_MatchesJSONSafe(t *testing.T) {
	for pos := range 8 {
		for c := range 256 {
			w := []byte("abcdefgh")
			w[pos] = byte(c)
			want := c < utf8.RuneSelf && jsonSafe[c]
			if got := plain8(string(w)); got != want {
				t.Errorf("plain8(%q) = %v, want %v", w, got, want)
			}
		}
	}
}
