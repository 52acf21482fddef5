package run

import (
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
