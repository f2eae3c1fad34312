package logstore

import (
	"fmt"
	"testing"

	openchime "github.com/openchime/openchime"
)

// TestUserSet_warm: warm only reads, whatever the ids (present, absent,
// more than its buffer holds) and however empty the set, and lookups find
// the same slots after it.
func TestUserSet_warm(t *testing.T) {
	var buf [4]uint64
	(&userSet{}).warm([]string{"a", "b"}, buf[:])
	newUserSet(0).warm([]string{"a"}, buf[:])

	s := newUserSet(0)
	var fresh []uint32
	ids := make([]string, 20)
	for i := range ids {
		ids[i] = fmt.Sprintf("u%03d", i)
		s.put(encodeUser(&openchime.User{ID: ids[i], AccountID: "a", PrimaryEmail: ids[i] + "@example.com"}), &fresh, nil)
	}
	want := make([]uint32, len(ids))
	for i, id := range ids {
		want[i], _ = s.slotOf(id)
	}
	probe := append(append([]string{}, ids...), "absent", "", "u9999")
	for n := 1; n <= len(probe); n++ {
		s.warm(probe[:n], buf[:])
	}
	for i, id := range ids {
		if got, ok := s.slotOf(id); !ok || got != want[i] {
			t.Fatalf("after warm, slotOf(%s) = %d, %v; want %d", id, got, ok, want[i])
		}
	}
}
