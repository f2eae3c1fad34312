package openchime_test

import (
	"strings"
	"testing"

	openchime "github.com/openchime/openchime"
)

// TestSeededIDs_Token pins decision D18: a bot's SecurityToken is 40
// characters of [A-Za-z0-9+/], reproducible under a seed.
func TestSeededIDs_Token(t *testing.T) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	a, b := openchime.NewSeededIDs(7), openchime.NewSeededIDs(7)
	ta, tb := a.Token(40), b.Token(40)
	if ta != tb {
		t.Fatalf("Token=%q and %q, want equal under one seed", ta, tb)
	}
	if next := a.Token(40); next == ta {
		t.Fatalf("second Token=%q, want a new value", next)
	}
	for _, tok := range []string{ta, openchime.RandomIDs{}.Token(40)} {
		if len(tok) != 40 || strings.Trim(tok, alphabet) != "" {
			t.Errorf("Token=%q, want 40 characters of [A-Za-z0-9+/]", tok)
		}
	}
}
