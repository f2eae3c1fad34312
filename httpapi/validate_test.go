package httpapi

import (
	"regexp"
	"testing"
)

// TestHasNonSpace_MatchString checks the hand-written matcher against the
// regexp it replaces.
func TestHasNonSpace_MatchString(t *testing.T) {
	re := regexp.MustCompile(`(?s)^(?:.*\S.*)$`)
	for _, s := range []string{"", " ", "a", " a ", "\t\n\f\r ", "\v", "\x00", "\xff", " \xff", "\u00a0", "\n\nx", "ab\ncd"} {
		if got, want := (hasNonSpace{}).MatchString(s), re.MatchString(s); got != want {
			t.Errorf("MatchString(%q) = %v, regexp says %v", s, got, want)
		}
	}
}
