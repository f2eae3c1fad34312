package openchime

import (
	"slices"
	"testing"
)

// TestPlaceUsers checks that each user lands at its id's index whatever
// order the store answered in, with nil where no user was found.
func TestPlaceUsers(t *testing.T) {
	ids := []string{"c", "a", "d", "b"}
	u := func(id string) *User { return &User{ID: id} }
	for _, c := range []struct {
		name string
		list []*User
		want []string // the ids placed, "" for nil
	}{
		{"the ids' order", []*User{u("c"), u("a"), u("d"), u("b")}, []string{"c", "a", "d", "b"}},
		{"the ids' order, some missing", []*User{u("a"), u("b")}, []string{"", "a", "", "b"}},
		{"sorted by id", []*User{u("a"), u("b"), u("c"), u("d")}, []string{"c", "a", "d", "b"}},
		{"sorted by id, some missing", []*User{u("b"), u("c")}, []string{"c", "", "", "b"}},
		{"reversed", []*User{u("b"), u("d"), u("a"), u("c")}, []string{"c", "a", "d", "b"}},
		{"none", nil, []string{"", "", "", ""}},
	} {
		out := make([]*User, len(ids))
		placeUsers(out, ids, c.list)
		got := make([]string, len(out))
		for i, p := range out {
			if p != nil {
				got[i] = p.ID
			}
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: placed %q, want %q", c.name, got, c.want)
		}
	}
}
