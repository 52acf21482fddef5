//go:build !linux

package engine

import "time"

// havePreciseSleep is false where nanosleep is not available through
// package syscall; the loop then waits on the runtime's timers.
const havePreciseSleep = false

func lockPrecise() {}

func preciseSleep(d time.Duration) { time.Sleep(d) }
