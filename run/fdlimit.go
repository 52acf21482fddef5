package run

import (
	"errors"
	"fmt"
	"slices"

	"github.com/hypobench/hypobench/workload"
)

// ErrTooFewFDs is returned by CheckFDs when the planned concurrency cannot
// fit in the process's file-descriptor limit.
var ErrTooFewFDs = errors.New("not enough file descriptors for the planned concurrency")

// FDSlack is the descriptors CheckFDs keeps beyond the streams: files of the
// run directory, the listener, the scraper, DNS, the Go runtime.
const FDSlack = 64

// FDCheck is what CheckFDs found.
type FDCheck struct {
	Streams int    // concurrent streams planned
	Need    int    // descriptors they need, slack included
	Soft    uint64 // the soft RLIMIT_NOFILE after raising it
	Hard    uint64
	Open    int  // descriptors open now (-1 when unknown)
	Raised  bool // the soft limit was raised to the hard one
	Known   bool // the platform reports limits (false: the check was skipped)
}

// PlannedStreams returns the most requests the suite keeps in flight at
// once: its highest concurrency level (closed loop), or its max_concurrency
// cap (open loop; 0 when uncapped, which CheckFDs cannot plan for).
func PlannedStreams(s *workload.Suite) int {
	if s.OpenLoop() {
		return s.MaxConcurrency
	}
	if len(s.Concurrency) == 0 {
		return 0
	}
	return slices.Max(s.Concurrency)
}

// CheckFDs is the one resource check before a run: it raises the soft
// RLIMIT_NOFILE to the hard limit where the platform allows (Linux; a no-op
// elsewhere), then refuses with ErrTooFewFDs, saying what to change, when
// streams concurrent connections cannot fit. Against the embedded engine
// each stream costs two descriptors — both ends of the connection live in
// this process — and against an external target one; FDSlack more are kept
// for everything else. Without the check an exhausted process either spins
// on accept(2) errors (embedded) or records every refused dial as a server
// fault (external).
func CheckFDs(streams int, embedded bool) (FDCheck, error) {
	per := 1
	if embedded {
		per = 2
	}
	c := FDCheck{Streams: streams, Need: streams*per + FDSlack, Open: -1}
	soft, hard, raised, known, err := raiseNoFile()
	if err != nil || !known {
		return c, nil // nothing to check against; the client's client_limit class still catches exhaustion
	}
	c.Soft, c.Hard, c.Raised, c.Known = soft, hard, raised, true
	c.Open = openFDs()
	free := int64(soft)
	if c.Open > 0 {
		free -= int64(c.Open)
	}
	if int64(c.Need) <= free {
		return c, nil
	}
	where := "against an external target, one per stream"
	if embedded {
		where = "against the embedded engine, two per stream (both ends of each connection are in this process)"
	}
	return c, fmt.Errorf("%w: %d concurrent streams need about %d descriptors (%s, plus %d), but the limit is %d (hard limit %d, %d open already); raise it (ulimit -n %d) or lower the concurrency",
		ErrTooFewFDs, streams, c.Need, where, FDSlack, soft, hard, max(c.Open, 0), c.Need+max(c.Open, 0))
}
