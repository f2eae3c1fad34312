package logstore

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestIndex_MatchesMap drives the open-addressing index and a map with the
// same random inserts and removals. Hashes are drawn from a small set so
// that tags collide, clusters form and wrap around the table, and removal
// must shift entries back.
func TestIndex_MatchesMap(t *testing.T) {
	for _, distinct := range []uint64{3, 50, 1 << 20} {
		t.Run(fmt.Sprint("hashes=", distinct), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, distinct))
			var x index
			model := map[uint32]uint64{} // slot → hash
			hashOf := func(slot uint32) uint64 { return model[slot] }
			next := uint32(0)
			for step := 0; step < 20000; step++ {
				if len(model) > 0 && rng.IntN(3) == 0 {
					for slot, h := range model { // a random present slot
						x.remove(h, slot)
						delete(model, slot)
						break
					}
				} else {
					h := rng.Uint64N(distinct) * 0x9e3779b97f4a7c15
					x.insert(h, next)
					model[next] = h
					next++
				}
				if x.n != len(model) {
					t.Fatalf("step %d: n = %d, model has %d", step, x.n, len(model))
				}
				if step%500 != 0 {
					continue
				}
				for slot, h := range model {
					got, ok := x.find(h, func(s uint32) bool { return s == slot })
					if !ok || got != slot {
						t.Fatalf("step %d: slot %d (hash %x) not found", step, slot, h)
					}
				}
				for probe := range 20 {
					missing := next + uint32(probe)
					if _, ok := x.find(hashOf(uint32(probe)), func(s uint32) bool { return s == missing }); ok {
						t.Fatalf("step %d: found slot %d that was never inserted", step, missing)
					}
				}
			}
		})
	}
}

func TestArena_RecordsStayPut(t *testing.T) {
	var a arena
	var refs []ref
	var want []string
	for i := range 3000 {
		rec := fmt.Sprintf("record %d %s", i, make([]byte, i%300))
		refs = append(refs, a.add(rec))
		want = append(want, rec)
		if i == 1500 {
			a.seal()
		}
	}
	for i, r := range refs {
		if got := a.get(r); got != want[i] {
			t.Fatalf("record %d = %q, want %q", i, got, want[i])
		}
	}
	if len(a.chunks) < 3 {
		t.Fatalf("%d chunks: records should have spilled over several", len(a.chunks))
	}
}
