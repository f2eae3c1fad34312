package main

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestGenerate_UpToDate checks that httpapi/zz_generated.go is what the
// generator writes for the checked-in model, so an edit of either without
// `go generate ./...` fails here as well as in CI.
func TestGenerate_UpToDate(t *testing.T) {
	got := mustGenerate(t)
	want, err := os.ReadFile("../../httpapi/zz_generated.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("httpapi/zz_generated.go differs from the generator's output; run go generate ./...")
	}
}

// emptyBlock is an if or a for whose body is empty: the generator writes a
// block only when it has a check to put in it.
var emptyBlock = regexp.MustCompile(`(?m)^\s*(if|for) [^\n]*\{\n\s*\}\n`)

// TestGenerate_NoDeadCode checks the output for the leftovers of a
// generator that writes blocks before it knows they have content.
func TestGenerate_NoDeadCode(t *testing.T) {
	src := string(mustGenerate(t))
	if m := emptyBlock.FindString(src); m != "" {
		t.Errorf("output has an empty block:\n%s", m)
	}
	for _, dead := range []string{"_, _ = ", "Unimplemented"} {
		if i := strings.Index(src, dead); i >= 0 {
			t.Errorf("output contains %q at byte %d", dead, i)
		}
	}
}

func mustGenerate(tb testing.TB) []byte {
	tb.Helper()
	raw, err := os.ReadFile("../../spec/chime-2018-05-01.model.json")
	if err != nil {
		tb.Fatal(err)
	}
	src, err := generate(raw, "httpapi")
	if err != nil {
		tb.Fatal(err)
	}
	return src
}
