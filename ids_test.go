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

func TestIsUUID(t *testing.T) {
	for s, want := range map[string]bool{
		openchime.RandomIDs{}.UUID():           true,
		"a1b2c34d-5678-40e1-8f23-a45b67c8901d": true,
		"A1B2C34D-5678-40E1-8F23-A45B67C8901D": false,
		"a1b2c34d-5678-40e1-8f23-a45b67c8901":  false,
		"a1b2c34d_5678-40e1-8f23-a45b67c8901d": false,
		"":                                     false,
	} {
		if got := openchime.IsUUID(s); got != want {
			t.Errorf("IsUUID(%q) = %v, want %v", s, got, want)
		}
	}
}
