package main

import (
	"context"
	"testing"
)

// TestRun_Help checks that help, -h and --help list the commands (exit 0)
// rather than being read as serve's flags.
func TestRun_Help(t *testing.T) {
	for _, arg := range []string{"help", "-h", "--help"} {
		if err := run(context.Background(), []string{arg}); err != nil {
			t.Errorf("run(%q) = %v, want the list of commands", arg, err)
		}
	}
}
