package logstore

import (
	"testing"
	"time"

	openchime "github.com/openchime/openchime"
)

// TestApplier_ResourceIndex: the index is derived from the records as they
// apply, as a log or snapshot of any version loads: a record of a legacy
// kind (written before the indexes existed) is dropped, a rewrite moves the
// keys, a deletion frees them.
func TestApplier_ResourceIndex(t *testing.T) {
	a := &applier{st: newState()}
	apply := func(r *openchime.Resource) {
		t.Helper()
		if err := a.apply(kindResource, string(appendResource(nil, r))); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)
	apply(&openchime.Resource{Kind: "member-room", ID: "m1/r1", Scope: "m1", CreatedAt: at, Data: []byte(`{"RoomID":"r1"}`)})
	apply(&openchime.Resource{Kind: "room-token", ID: "a/t", Scope: "a", CreatedAt: at, Data: []byte(`{"RoomID":"r1"}`)})
	if len(a.st.resources["member-room"])+len(a.st.resources["room-token"]) != 0 {
		t.Errorf("legacy records kept: %v", a.st.resources)
	}
	room := func(token string) *openchime.Resource {
		return &openchime.Resource{Kind: "room", ID: "r1", Scope: "a", CreatedAt: at,
			Data: []byte(`{"AccountID":"a","ClientRequestToken":"` + token + `"}`)}
	}
	tokens := func() map[string]string { return a.st.index[ixName{"room", "token"}] }
	apply(room("t1"))
	if got := tokens()["a/t1"]; got != "r1" {
		t.Errorf("holder of a/t1 = %q, want r1", got)
	}
	apply(room("t2"))
	if _, ok := tokens()["a/t1"]; ok || tokens()["a/t2"] != "r1" {
		t.Errorf("after the rewrite, tokens = %v, want only a/t2", tokens())
	}
	e := encoder{}
	e.str("room")
	e.str("r1")
	if err := a.apply(kindDelResource, string(e.b)); err != nil {
		t.Fatal(err)
	}
	if len(tokens()) != 0 {
		t.Errorf("after the deletion, tokens = %v, want none", tokens())
	}
}
