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

// progress prints a live line per phase to w: done/total, errors, elapsed.
type progress struct {
	w     io.Writer
	ph    record.Phase
	total int
	done  *atomic.Int64
	errs  *atomic.Int64
	start time.Time
	quit  chan struct{}
	wg    sync.WaitGroup
}

// newProgress starts the live line. On a terminal it is redrawn every
// half second; elsewhere (logs, CI) only the final line of each phase is
// printed.
func newProgress(w io.Writer, ph record.Phase, total int, done, errs *atomic.Int64) *progress {
	p := &progress{w: w, ph: ph, total: total, done: done, errs: errs, start: time.Now(), quit: make(chan struct{})}
	if w == nil || !isTerminal(w) {
		return p
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				p.print("\r")
			case <-p.quit:
				return
			}
		}
	}()
	return p
}

func (p *progress) print(prefix string) {
	level := fmt.Sprintf("c=%-3d", p.ph.Concurrency)
	if p.ph.TargetRate > 0 {
		level = fmt.Sprintf("%.3g req/s", p.ph.TargetRate)
	}
	fmt.Fprintf(p.w, "%sphase %d  %s %-12s %s %4d/%-4d done  %d errors  %5.1fs", prefix,
		p.ph.Index, p.ph.Suite, p.ph.Profile, level, p.done.Load(), p.total, p.errs.Load(), time.Since(p.start).Seconds())
}

func (p *progress) stop() {
	if p.w == nil {
		return
	}
	close(p.quit)
	p.wg.Wait()
	if !isTerminal(p.w) {
		p.print("")
		fmt.Fprintln(p.w)
		return
	}
	p.print("\r")
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
