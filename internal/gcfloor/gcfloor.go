// Package gcfloor keeps the garbage collector from running on a tiny heap.
//
// Go collects when the heap reaches live × (1 + GOGC/100). A server whose
// live data is a few megabytes (OpenChime on SQLite, PostgreSQL or no store
// at all) but which allocates tens of kilobytes per request then collects
// hundreds of times a second, and most of its CPU goes to marking, write
// barriers and assists. Go has a ceiling (GOMEMLIMIT) but no floor, so after
// every collection this package raises GOGC until the next goal is at least
// the floor, and lowers it back to the base once the live heap is large
// enough to reach the floor by itself. This is the tuning of
// bytedance/gopkg's gctuner and Uber's GOGC tuner (a goal, not a ballast:
// nothing is allocated to hold the heap up).
package gcfloor

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// maxPercent bounds the GOGC the floor may set, so a heap that is almost
// empty right after start does not get an absurd percentage.
const maxPercent = 10000

// Tuner adjusts GOGC after each collection. Stop it with Stop.
type Tuner struct {
	floor uint64
	base  int

	mu      sync.Mutex
	stopped bool
	percent int // the GOGC last set
	sample  []metrics.Sample
}

// Start sets GOGC to base and then, after each collection, to the percentage
// that makes the next goal at least floor bytes (never below base). A floor
// of 0 or a base below 0 (GOGC=off) leaves GOGC at base and starts nothing.
func Start(floor uint64, base int) *Tuner {
	t := &Tuner{floor: floor, base: base, percent: base,
		sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	debug.SetGCPercent(base)
	if floor == 0 || base < 0 {
		t.stopped = true
		return t
	}
	t.arm()
	return t
}

// Percent is the GOGC the tuner set last.
func (t *Tuner) Percent() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.percent
}

// Stop ends the tuning and puts GOGC back to base.
func (t *Tuner) Stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.stopped {
		t.stopped = true
		t.percent = t.base
		debug.SetGCPercent(t.base)
	}
}

// sentinel is garbage whose cleanup runs once a collection has found it
// unreachable: the tuner's signal that a cycle ended.
type sentinel struct{ _ [32]byte }

func (t *Tuner) arm() {
	runtime.AddCleanup(new(sentinel), func(t *Tuner) { t.tune() }, t)
}

// tune runs after a collection: it reads the live heap the cycle marked and
// sets the percentage for the next one.
func (t *Tuner) tune() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	metrics.Read(t.sample)
	if p := percentFor(t.sample[0].Value.Uint64(), t.floor, t.base); p != t.percent {
		t.percent = p
		debug.SetGCPercent(p)
	}
	t.arm()
}

// percentFor is the GOGC whose goal, live × (1 + p/100), is at least floor,
// and never below base.
func percentFor(live, floor uint64, base int) int {
	if live == 0 {
		return maxPercent
	}
	if live >= floor {
		return base
	}
	p := int(floor*100/live) - 100
	return min(max(p, base), maxPercent)
}
