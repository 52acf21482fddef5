package run

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hypobench/hypobench/record"
)

// progress prints a live line per phase to w: done/total, errors, stalled
// requests, elapsed.
type progress struct {
	w          io.Writer
	ph         record.Phase
	total      int
	done       *atomic.Int64
	errs       *atomic.Int64
	active     []atomic.Int64 // per worker: last sign of life, unix ns; 0 idle
	stallAfter time.Duration
	start      time.Time
	quit       chan struct{}
	wg         sync.WaitGroup
}

// newProgress starts the live line. On a terminal it is redrawn every
// half second; elsewhere (logs, CI) the final line of each phase is
// printed, and a line whenever more requests have stalled than at the last
// report — a request is stalled when it is in flight and no byte of its
// response has arrived for stallAfter.
func newProgress(w io.Writer, ph record.Phase, total int, done, errs *atomic.Int64, active []atomic.Int64, stallAfter time.Duration) *progress {
	p := &progress{w: w, ph: ph, total: total, done: done, errs: errs, active: active, stallAfter: stallAfter,
		start: time.Now(), quit: make(chan struct{})}
	if w == nil {
		return p
	}
	term := isTerminal(w)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		every := time.Second
		if term {
			every = 500 * time.Millisecond
		}
		t := time.NewTicker(every)
		defer t.Stop()
		reported := 0
		for {
			select {
			case now := <-t.C:
				if term {
					p.print("\r", now)
					continue
				}
				if n := p.stalled(now); n > reported {
					p.print("", now)
					fmt.Fprintln(p.w)
					reported = n
				} else if n < reported {
					reported = n
				}
			case <-p.quit:
				return
			}
		}
	}()
	return p
}

// stalled counts requests in flight with no response byte for stallAfter.
func (p *progress) stalled(now time.Time) int {
	n := 0
	for i := range p.active {
		if at := p.active[i].Load(); at != 0 && now.Sub(time.Unix(0, at)) > p.stallAfter {
			n++
		}
	}
	return n
}

func (p *progress) print(prefix string, now time.Time) {
	stall := ""
	if n := p.stalled(now); n > 0 {
		stall = fmt.Sprintf("  %d stalled >%s", n, p.stallAfter)
	}
	level := fmt.Sprintf("c=%-3d", p.ph.Concurrency)
	if p.ph.TargetRate > 0 {
		level = fmt.Sprintf("%.3g req/s", p.ph.TargetRate)
	}
	fmt.Fprintf(p.w, "%sphase %d  %s %-12s %s %4d/%-4d done  %d errors%s  %5.1fs", prefix,
		p.ph.Index, p.ph.Suite, p.ph.Profile, level, p.done.Load(), p.total, p.errs.Load(), stall, now.Sub(p.start).Seconds())
}

func (p *progress) stop() {
	if p.w == nil {
		return
	}
	close(p.quit)
	p.wg.Wait()
	if !isTerminal(p.w) {
		p.print("", time.Now())
		fmt.Fprintln(p.w)
		return
	}
	p.print("\r", time.Now())
	fmt.Fprintln(p.w)
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// DefaultProgressEvery is how often the design-level progress line is
// printed between phase ends (Config.ProgressEvery).
const DefaultProgressEvery = 10 * time.Second

// designProgress prints the run-level ("design") progress line to w: the
// requests done of the plan's total, the phases ended, the elapsed time
// and an estimate of the time remaining. It prints at each phase end and,
// between them, every `every`; never redrawn in place, so a log, a CI job
// and `go test -v` keep every line. It is a Hook on the run, so closed-
// and open-loop phases report alike.
//
// The estimate weighs each request by the waves it makes, 1/c in a closed
// loop phase of c workers (a phase lasts about ⌈n/c⌉ request times, so a
// ladder's c=16 phase of 32 requests costs about what its c=1 phase of 3
// does), 1 in an open-loop phase, and extrapolates the pace so far:
// remaining = elapsed × (planned weight − weight done) / weight done.
type designProgress struct {
	w      io.Writer
	suite  string
	total  int     // planned requests
	weight float64 // planned weight
	phases int
	done   func() int // measured requests written so far
	every  time.Duration
	now    func() time.Time // time.Now; a test's clock
	mu     sync.Mutex
	start  time.Time
	ended  int
	// doneWeight is the weight of the phases ended; curLines and curC the
	// requests written when the current phase started and its workers.
	doneWeight float64
	curLines   int
	curC       int
	last       time.Time // the last line's time
	quit       chan struct{}
	wg         sync.WaitGroup
	once       sync.Once
}

// plannedWork returns the requests, their weight (see designProgress) and
// the phases the run's plan holds: a closed loop's phases (this shard's
// share when sharded), or each open-loop phase's schedule.
func plannedWork(cfg *Config) (requests int, weight float64, phases int) {
	if cfg.Suite.OpenLoop() {
		plan, err := cfg.Suite.OpenPlan()
		if err != nil {
			return 0, 0, 0
		}
		for _, op := range plan {
			if sched, err := op.Schedule(); err == nil {
				requests += len(sched)
			}
		}
		return requests, float64(requests), len(plan)
	}
	plan := cfg.plan()
	for _, pp := range plan {
		requests += pp.Requests
		weight += float64(pp.Requests) / float64(max(pp.Concurrency, 1))
	}
	return requests, weight, len(plan)
}

func newDesignProgress(cfg *Config, done func() int) *designProgress {
	every := cfg.ProgressEvery
	if every <= 0 {
		every = DefaultProgressEvery
	}
	total, weight, phases := plannedWork(cfg)
	return &designProgress{w: cfg.DesignProgress, suite: cfg.Suite.Name, total: total, weight: weight, phases: phases, done: done,
		every: every, now: time.Now, curC: 1, quit: make(chan struct{})}
}

// hook starts the ticker at "run-start", notes each phase's start, prints
// at each phase "end" and prints the final line at "run-end".
func (d *designProgress) hook(_ context.Context, ph record.Phase, edge string) error {
	switch edge {
	case "run-start":
		d.mu.Lock()
		d.start = d.now()
		d.last = d.start
		d.mu.Unlock()
		fmt.Fprintf(d.w, "design %s: %d requests in %d phases planned\n", d.suite, d.total, d.phases)
		d.wg.Add(1)
		go d.tick()
	case "start":
		d.mu.Lock()
		d.curLines, d.curC = d.done(), max(ph.Concurrency, 1)
		d.mu.Unlock()
	case "end":
		d.mu.Lock()
		d.doneWeight += float64(d.done()-d.curLines) / float64(d.curC)
		d.curLines = d.done()
		d.ended++
		d.line(d.now(), fmt.Sprintf("phase %d ended", ph.Index))
		d.mu.Unlock()
	case "run-end":
		d.stop()
		d.mu.Lock()
		d.line(d.now(), "run ended")
		d.mu.Unlock()
	}
	return nil
}

// stop ends the ticker; Execute defers it for runs that end before
// "run-end" (an unreachable target).
func (d *designProgress) stop() {
	d.once.Do(func() {
		close(d.quit)
		d.wg.Wait()
	})
}

func (d *designProgress) tick() {
	defer d.wg.Done()
	t := time.NewTicker(d.every / 4)
	defer t.Stop()
	for {
		select {
		case now := <-t.C:
			d.mu.Lock()
			if now.Sub(d.last) >= d.every {
				d.line(now, "")
			}
			d.mu.Unlock()
		case <-d.quit:
			return
		}
	}
}

// line prints one progress line; d.mu is held.
func (d *designProgress) line(now time.Time, what string) {
	d.last = now
	done := d.done()
	w := d.doneWeight + float64(done-d.curLines)/float64(d.curC)
	elapsed := now.Sub(d.start)
	fmt.Fprintf(d.w, "design %s: %d/%d requests (%.0f%%), %d/%d phases, elapsed %s, remaining %s",
		d.suite, done, d.total, 100*float64(done)/float64(max(d.total, 1)), d.ended, d.phases,
		roundDuration(elapsed), remaining(elapsed, w, d.weight, done >= d.total))
	if what != "" {
		fmt.Fprintf(d.w, " (%s)", what)
	}
	fmt.Fprintln(d.w)
}

// remaining estimates the time left at the pace so far: elapsed × (total −
// done)/done in weight; "?" before any request ended, "0s" when all have.
func remaining(elapsed time.Duration, done, total float64, all bool) string {
	switch {
	case all || done >= total:
		return "0s"
	case done <= 0:
		return "?"
	}
	left := time.Duration(float64(elapsed) * (total - done) / done)
	return "~" + roundDuration(left).String() + " at the pace so far"
}

// roundDuration rounds d for a progress line: to 0.1 s under a minute, to
// the second above.
func roundDuration(d time.Duration) time.Duration {
	if d < time.Minute {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}
