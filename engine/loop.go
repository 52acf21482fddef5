package engine

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Clock is the real-time loop's source of wall time: time.Now and a timer.
// Tests of the core need none; they run it in virtual time.
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) *time.Timer
}

type systemClock struct{}

func (systemClock) Now() time.Time                       { return time.Now() }
func (systemClock) NewTimer(d time.Duration) *time.Timer { return time.NewTimer(d) }

// delivered is one token handed to a request's stream.
type delivered struct {
	index    int
	finished bool
	reason   string
	cached   int // prompt tokens found in the prefix cache (first token only)
	// at is the virtual time the token was sampled: its step's end.
	at time.Duration
}

// stream is one request's mailbox between the loop and its HTTP handler:
// the loop appends without blocking, the handler takes whatever is there.
type stream struct {
	req    coreRequest
	notify chan struct{}

	mu     sync.Mutex
	events []delivered
	done   bool

	at time.Duration // virtual arrival, stamped by submit
	s  *seq          // owned by the loop
}

func newStream(r coreRequest) *stream {
	st := &stream{req: r, notify: make(chan struct{}, 1)}
	st.req.Tag = st
	return st
}

func (st *stream) push(d delivered) {
	st.mu.Lock()
	st.events = append(st.events, d)
	if d.finished {
		st.done = true
	}
	st.mu.Unlock()
	select {
	case st.notify <- struct{}{}:
	default:
	}
}

// take returns the tokens delivered since the last call.
func (st *stream) take() []delivered {
	st.mu.Lock()
	defer st.mu.Unlock()
	ev := st.events
	st.events = nil
	return ev
}

type loopMsg struct {
	add   *stream
	abort *stream
}

// loop runs the core in real time: each step sleeps (on a timer, never
// spinning) until its end, the step's cost divided by the speed factor
// after its start; then its tokens are delivered. Virtual time is wall
// time since the loop started times the speed factor. An idle loop blocks
// on its inbox.
type loop struct {
	core    *Core
	speed   float64
	clock   Clock
	origin  time.Time
	inbox   chan loopMsg
	done    chan struct{} // closed when run returns
	metrics *metrics
	prof    *profiler
	// onStep, when set, sees every step with its planned and actual wall
	// end (benchmarks measure step-time error with it).
	onStep func(res stepResult, planned, actual time.Time)
	// wakeups counts passes through the loop; an idle loop adds none.
	wakeups atomic.Uint64
	idle    atomic.Bool // blocked on the inbox with nothing to run

	lastEnd     time.Duration // virtual end of the previous step
	lastArrival time.Duration // virtual arrival of the newest request
	chained     bool          // the previous step ran and nothing idled since
	// stalled is the virtual time lost to host stalls: steps that started
	// more than maxCatchUp late were placed at the wall clock, not after
	// the previous step.
	stalled atomic.Int64
}

// maxCatchUp is how late, in wall time, a step may start and still be
// placed right after the previous one in virtual time. Waking from a timer
// and delivering tokens take time the model does not count; chaining
// steps absorbs it, so over many steps the wall clock tracks the model as
// long as the host keeps up on average. A longer stall (a suspended
// process) is not made up for.
const maxCatchUp = 20 * time.Millisecond

// stepStart returns the virtual start of the next step: right after the
// previous step when the loop is only a little late, never before the
// newest arrival, otherwise now.
func (l *loop) stepStart() time.Duration {
	now := l.vnow()
	if !l.chained {
		return now
	}
	if late := now - l.lastEnd; late > time.Duration(float64(maxCatchUp)*l.speed) {
		// Work was waiting since lastEnd: the host kept the loop away.
		l.stalled.Add(int64(late))
		l.metrics.observeStall(late)
		return now
	}
	return max(l.lastEnd, l.lastArrival)
}

func (l *loop) vnow() time.Duration {
	return time.Duration(float64(l.clock.Now().Sub(l.origin)) * l.speed)
}

func (l *loop) wall(v time.Duration) time.Time {
	return l.origin.Add(time.Duration(float64(v) / l.speed))
}

// submit hands a request to the loop; it fails only when ctx ends first.
func (l *loop) submit(ctx context.Context, st *stream) error {
	st.at = l.vnow()
	select {
	case l.inbox <- loopMsg{add: st}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-l.done:
		return ErrClosed
	}
}

// cancel tells the loop a request's client has gone.
func (l *loop) cancel(st *stream) {
	go func() {
		select {
		case l.inbox <- loopMsg{abort: st}:
		case <-l.done:
		}
	}()
}

func (l *loop) handle(m loopMsg) {
	switch {
	case m.add != nil:
		l.lastArrival = max(l.lastArrival, m.add.at)
		m.add.s = l.core.add(m.add.req, m.add.at)
	case m.abort != nil:
		if s := m.abort.s; s != nil && s.state != stateFinished {
			l.core.abort(s)
			l.metrics.observeAbort(len(l.core.sched.running), len(l.core.sched.waiting), l.core.sched.kv.usage())
		}
	}
}

// maxPreciseSlice bounds one precise sleep, so a long step still notices
// a cancelled context.
const maxPreciseSlice = 20 * time.Millisecond

// run steps the core until ctx ends. On the system clock the loop waits
// for a step's end with preciseSleep on its own OS thread (see
// havePreciseSleep); it never spins, and it blocks on its inbox when idle.
func (l *loop) run(ctx context.Context) {
	defer close(l.done)
	_, precise := l.clock.(systemClock)
	precise = precise && havePreciseSleep
	if precise {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		lockPrecise()
	}
	timer := l.clock.NewTimer(time.Hour)
	timer.Stop()
	for {
		l.wakeups.Add(1)
		if !l.core.busy() {
			l.chained = false
			l.idle.Store(true)
			select {
			case m := <-l.inbox:
				l.idle.Store(false)
				l.handle(m)
			case <-ctx.Done():
				return
			}
		}
	drain:
		for {
			select {
			case m := <-l.inbox:
				l.handle(m)
			default:
				break drain
			}
		}
		if !l.core.busy() {
			continue
		}
		res := l.core.step(l.stepStart())
		if len(res.Work) == 0 && res.Preempted == 0 {
			// Nothing can run until a request arrives or leaves.
			l.chained = false
			select {
			case m := <-l.inbox:
				l.handle(m)
			case <-ctx.Done():
				return
			}
			continue
		}
		l.lastEnd, l.chained = res.End(), true
		end := l.wall(res.End())
		for precise {
			d := end.Sub(l.clock.Now())
			if d <= 0 {
				break
			}
			if ctx.Err() != nil {
				return
			}
			preciseSleep(min(d, maxPreciseSlice))
		}
		if d := end.Sub(l.clock.Now()); d > 0 && !precise {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-ctx.Done():
				timer.Stop()
				return
			}
		}
		// Metrics and trace first, so a client that has its last token
		// finds them up to date.
		l.metrics.observeStep(res)
		l.prof.record(res, end)
		for _, ev := range res.Events {
			if st, ok := ev.s.tag.(*stream); ok {
				st.push(delivered{index: ev.index, finished: ev.finished, reason: ev.reason, cached: ev.s.cachedTokens, at: res.End()})
			}
		}
		if l.onStep != nil {
			l.onStep(res, end, l.clock.Now())
		}
	}
}
