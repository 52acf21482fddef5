package engine

import (
	"testing"
	"time"
)

// manualClock is a Clock whose time the test sets.
type manualClock struct{ t time.Time }

func (c *manualClock) Now() time.Time                       { return c.t }
func (c *manualClock) NewTimer(d time.Duration) *time.Timer { return time.NewTimer(d) }

// TestHostStalls: a step that starts a little late is chained after the
// previous one (nothing lost); one that starts later than the loop can
// absorb is placed at the wall clock and the gap counts as a host stall.
func TestHostStalls(t *testing.T) {
	c := &manualClock{t: time.Unix(1000, 0)}
	l := &loop{speed: 10, clock: c, origin: c.t}
	l.lastEnd, l.chained = 100*time.Millisecond, true

	c.t = l.origin.Add(15 * time.Millisecond) // virtual 150 ms: 50 ms late
	if got := l.stepStart(); got != 100*time.Millisecond || l.stalled.Load() != 0 {
		t.Errorf("a little late: start %v, stalled %v; want 100ms, 0", got, time.Duration(l.stalled.Load()))
	}
	c.t = l.origin.Add(110 * time.Millisecond) // virtual 1.1 s: 1 s late
	if got := l.stepStart(); got != 1100*time.Millisecond || time.Duration(l.stalled.Load()) != time.Second {
		t.Errorf("stalled: start %v, stalled %v; want 1.1s, 1s", got, time.Duration(l.stalled.Load()))
	}
	l.chained = false // after idling, a late start is not a stall
	c.t = l.origin.Add(10 * time.Second)
	l.stepStart()
	if time.Duration(l.stalled.Load()) != time.Second {
		t.Errorf("idle gap counted as a stall: %v", time.Duration(l.stalled.Load()))
	}
}
