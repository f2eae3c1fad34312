package httpapi

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	openchime "github.com/openchime/openchime"
)

// The constraint errors of the generated validators. Their messages follow
// the AWS validation style ("Value at 'X' failed to satisfy constraint: ...")
// and name the member, so a person knows what to fix.

func violation(path, format string, args ...any) error {
	return openchime.Errorf(openchime.BadRequest, "1 validation error detected: Value at '%s' failed to satisfy constraint: %s", path, fmt.Sprintf(format, args...))
}

func errRequired(path string) error {
	return openchime.Errorf(openchime.BadRequest, "1 validation error detected: Value at '%s' failed to satisfy constraint: Member must not be null", path)
}

func errLenMin(path string, n, min int) error {
	return violation(path, "Member must have length greater than or equal to %d (it has %d)", min, n)
}

func errLenMax(path string, n, max int) error {
	return violation(path, "Member must have length less than or equal to %d (it has %d)", max, n)
}

func errListMin(path string, n, min int) error {
	return violation(path, "Member must have at least %d item(s) (it has %d)", min, n)
}

func errListMax(path string, n, max int) error {
	return violation(path, "Member must have at most %d items (it has %d)", max, n)
}

func errPattern(path, value, pattern string) error {
	return violation(path, "Member must satisfy regular expression pattern: %s (got %q)", pattern, truncate(value))
}

func errEnum(path, value string, enum []string) error {
	return violation(path, "Member must satisfy enum value set: [%s] (got %q)", strings.Join(enum, ", "), truncate(value))
}

func errRangeMin(path string, v, min int) error {
	return violation(path, "Member must have value greater than or equal to %d (got %d)", min, v)
}

func errRangeMax(path string, v, max int) error {
	return violation(path, "Member must have value less than or equal to %d (got %d)", max, v)
}

func indexPath(path string, i int) string { return fmt.Sprintf("%s.%d", path, i+1) }

func runeCount(s string) int { return utf8.RuneCountInString(s) }

func oneOf(v string, enum []string) bool { return slices.Contains(enum, v) }

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// hasNonSpace matches the model pattern `.*\S.*` (dot matching newlines):
// a value with a byte other than RE2's \s class [\t\n\f\r ]; an invalid
// UTF-8 byte reads as U+FFFD, which is not a space either.
type hasNonSpace struct{}

func (hasNonSpace) MatchString(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\f', '\r':
		default:
			return true
		}
	}
	return false
}
