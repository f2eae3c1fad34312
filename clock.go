package openchime

import (
	"sync"
	"time"
)

// Clock tells the time. Every timestamp the Service writes comes from it, so
// tests and golden files can freeze and move time.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real time, in UTC at millisecond precision (the wire's).
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// ControlClock is a clock that can be set, frozen, advanced and released. Its
// zero value runs at real time.
type ControlClock struct {
	mu     sync.Mutex
	offset time.Duration // added to real time while running
	frozen bool
	at     time.Time // the time while frozen
}

// Now returns the clock's current time.
func (c *ControlClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nowLocked()
}

func (c *ControlClock) nowLocked() time.Time {
	if c.frozen {
		return c.at
	}
	return time.Now().Add(c.offset).UTC().Truncate(time.Millisecond)
}

// Set moves the clock to t; a running clock keeps running from there.
func (c *ControlClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t = t.UTC().Truncate(time.Millisecond)
	c.at = t
	c.offset = time.Until(t)
}

// Freeze stops the clock at its current time.
func (c *ControlClock) Freeze() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = c.nowLocked()
	c.frozen = true
}

// Unfreeze lets the clock run again from where it stands.
func (c *ControlClock) Unfreeze() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen {
		c.offset = time.Until(c.at)
		c.frozen = false
	}
}

// Advance moves the clock forward by d.
func (c *ControlClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = c.at.Add(d)
	c.offset += d
}

// Frozen reports whether the clock stands still.
func (c *ControlClock) Frozen() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.frozen
}
