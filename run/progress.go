package run

import (
	"fmt"
	"io"
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

func newProgress(w io.Writer, ph record.Phase, total int, done, errs *atomic.Int64) *progress {
	p := &progress{w: w, ph: ph, total: total, done: done, errs: errs, start: time.Now(), quit: make(chan struct{})}
	if w == nil {
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
	fmt.Fprintf(p.w, "%sphase %d  %s %-12s c=%-3d %4d/%-4d done  %d errors  %5.1fs", prefix,
		p.ph.Index, p.ph.Suite, p.ph.Profile, p.ph.Concurrency, p.done.Load(), p.total, p.errs.Load(), time.Since(p.start).Seconds())
}

func (p *progress) stop() {
	if p.w == nil {
		return
	}
	close(p.quit)
	p.wg.Wait()
	p.print("\r")
	fmt.Fprintln(p.w)
}
