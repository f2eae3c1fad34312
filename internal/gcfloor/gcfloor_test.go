package gcfloor

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestPercentFor(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		live, floor uint64
		base, want  int
	}{
		{live: 4 * mib, floor: 64 * mib, base: 100, want: 1500},
		{live: 32 * mib, floor: 64 * mib, base: 100, want: 100},
		{live: 48 * mib, floor: 64 * mib, base: 25, want: 33},
		{live: 64 * mib, floor: 64 * mib, base: 25, want: 25},
		{live: 500 * mib, floor: 64 * mib, base: 25, want: 25},
		{live: 1, floor: 64 * mib, base: 100, want: maxPercent},
		{live: 0, floor: 64 * mib, base: 100, want: maxPercent},
	} {
		if got := percentFor(c.live, c.floor, c.base); got != c.want {
			t.Errorf("percentFor(%d MiB live, %d MiB floor, base %d) = %d, want %d", c.live/mib, c.floor/mib, c.base, got, c.want)
		}
	}
}

// TestStart_raisesTheGoalToTheFloor runs real collections: once one has
// ended, the heap goal the runtime reports is at least the floor, and Stop
// puts the base back.
func TestStart_raisesTheGoalToTheFloor(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	const floor = 256 << 20
	tu := Start(floor, 100)
	defer tu.Stop()
	goal := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}}
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		metrics.Read(goal)
		if goal[0].Value.Uint64() >= floor*9/10 { // the goal also counts stacks and globals
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("heap goal %d bytes after collections, want about %d (GOGC now %d)", goal[0].Value.Uint64(), floor, tu.Percent())
		}
		time.Sleep(10 * time.Millisecond) // cleanups run on their own goroutine
	}
	if tu.Percent() <= 100 {
		t.Errorf("GOGC %d, want above the base 100 on this small heap", tu.Percent())
	}
	tu.Stop()
	if p := debug.SetGCPercent(100); p != 100 {
		t.Errorf("after Stop GOGC is %d, want the base 100", p)
	}
}

func TestStart_zeroFloorOrOffLeavesTheBase(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	for _, base := range []int{25, -1} {
		floor := uint64(0)
		if base < 0 {
			floor = 64 << 20
		}
		tu := Start(floor, base)
		runtime.GC()
		time.Sleep(20 * time.Millisecond)
		runtime.GC()
		if got := debug.SetGCPercent(base); got != base {
			t.Errorf("floor %d base %d: GOGC %d, want the base", floor, base, got)
		}
		tu.Stop()
	}
}
