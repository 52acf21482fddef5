package run

import (
	"errors"
	"fmt"
	"slices"
	"time"

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

// AssumedLatency is how long CheckFDs assumes each request of an uncapped
// open-loop phase stays in flight when it plans that phase's descriptors
// (capped by the per-request timeout): a generous LLM request, e.g. 1,800
// output tokens at 30 tokens/s. An open loop's concurrency is the rate
// times the latency, and the latency is what the run measures, so it is
// assumed rather than known; a suite that needs more set max_concurrency,
// which makes the plan exact. A request that still runs out of
// descriptors is recorded as client_limit and the run is marked (fd).
const AssumedLatency = 60 * time.Second

// PlannedStreams returns the most requests the suite keeps in flight at
// once: its highest concurrency level (closed loop); per open-loop phase
// its max_concurrency cap, or, uncapped, the most requests its schedule
// makes due within any window of min(AssumedLatency, timeout) — the
// requests in flight if each took that long (timeout ≤ 0: AssumedLatency).
// It is an estimate for an uncapped phase and says so (estimated).
func PlannedStreams(s *workload.Suite, timeout time.Duration) (streams int, estimated bool, err error) {
	if !s.OpenLoop() {
		if len(s.Concurrency) == 0 {
			return 0, false, nil
		}
		return slices.Max(s.Concurrency), false, nil
	}
	window := AssumedLatency
	if timeout > 0 {
		window = min(window, timeout)
	}
	plan, err := s.OpenPlan()
	if err != nil {
		return 0, false, err
	}
	for _, op := range plan {
		if op.MaxConcurrency > 0 {
			streams = max(streams, op.MaxConcurrency)
			continue
		}
		sched, err := op.Schedule()
		if err != nil {
			return 0, false, err
		}
		estimated = true
		streams = max(streams, peakWithin(sched, window))
	}
	return streams, estimated, nil
}

// peakWithin returns the most due offsets of sched (rising) within any
// half-open window of length w.
func peakWithin(sched []workload.Due, w time.Duration) int {
	most, lo := 0, 0
	for hi := range sched {
		for sched[hi].At-sched[lo].At >= w {
			lo++
		}
		most = max(most, hi-lo+1)
	}
	return most
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

// CheckSuiteFDs is CheckFDs for the suite's planned streams
// (PlannedStreams with the per-request timeout). When an uncapped
// open-loop phase's estimate does not fit, the error says the figure is
// an estimate and that max_concurrency bounds it.
func CheckSuiteFDs(s *workload.Suite, timeout time.Duration, embedded bool) (FDCheck, error) {
	n, estimated, err := PlannedStreams(s, timeout)
	if err != nil {
		return FDCheck{}, fmt.Errorf("planning descriptors: %w", err)
	}
	c, err := CheckFDs(n, embedded)
	if err != nil && estimated {
		w := AssumedLatency
		if timeout > 0 {
			w = min(w, timeout)
		}
		err = fmt.Errorf("%w (an open-loop phase without max_concurrency: %d is the most requests its schedule makes due within %v, the time each is assumed to stay in flight; set max_concurrency to bound it)", err, n, w)
	}
	return c, err
}
