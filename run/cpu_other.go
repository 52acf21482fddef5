//go:build !unix

package run

import "time"

// processCPU is not available on this platform: the self-check's CPU
// signal is left out.
func processCPU() (time.Duration, bool) { return 0, false }
