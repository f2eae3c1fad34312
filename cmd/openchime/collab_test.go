package main

import (
	"testing"

	openchime "github.com/openchime/openchime"
)

func TestMain_ParseFlagsRedaction(t *testing.T) {
	m := NewMain()
	if err := m.ParseFlags([]string{"--db", ":memory:", "--redaction", "lenient"}); err != nil {
		t.Fatal(err)
	}
	svc := &openchime.Service{}
	m.Config.applyCollab(svc)
	if !svc.Collab.LenientRedaction {
		t.Errorf("LenientRedaction=false, want true with --redaction lenient")
	}
	if err := NewMain().ParseFlags([]string{"--db", ":memory:", "--redaction", "loose"}); err == nil {
		t.Errorf("--redaction loose: err=nil, want an error")
	}
}
