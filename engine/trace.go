package engine

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Errors of the profiler endpoints.
var (
	ErrProfilerDisabled = errors.New("profiler is not enabled: set a profile directory (Config.ProfileDir, --profile-dir)")
	ErrProfilerState    = errors.New("profiler is not in the state this call needs")
)

// maxTraceEvents bounds the kernels kept by one profile (about 300 MB of
// JSON); later kernels are dropped and counted.
const maxTraceEvents = 4_000_000

// traceEvent is one kernel on the wall clock, µs from the profile's base.
type traceEvent struct {
	name string
	ts   float64
	dur  float64
}

// profiler records the kernels of every step between /start_profile and
// /stop_profile and writes them as a kineto-style Chrome trace, the
// format torch.profiler (and so vLLM's profiler) writes: traceEvents of
// ph "X", cat "kernel", ts and dur in µs, ts relative to
// baseTimeNanoseconds (Unix ns). Kernels of a step are laid back to back
// on stream 7 after the step's host overhead, ending at the step's end.
type profiler struct {
	dir     string
	gzip    bool
	cost    CostModel
	uniform bool
	speed   float64

	active  atomic.Bool
	mu      sync.Mutex
	base    time.Time
	events  []traceEvent
	dropped int
}

// start begins a profile.
func (p *profiler) start(now time.Time) error {
	if p.dir == "" {
		return ErrProfilerDisabled
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.active.Load() {
		return fmt.Errorf("starting profile: already running: %w", ErrProfilerState)
	}
	p.base, p.events, p.dropped = now, nil, 0
	p.active.Store(true)
	return nil
}

// record adds the kernels of a step that ran from wallStart.
func (p *profiler) record(res stepResult, wallEnd time.Time) {
	if !p.active.Load() {
		return
	}
	ks := stepKernels(p.cost, res, p.uniform)
	if len(ks) == 0 {
		return
	}
	var total time.Duration
	for _, k := range ks {
		total += k.dur
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.active.Load() {
		return
	}
	t := float64(wallEnd.Sub(p.base).Nanoseconds())/1e3 - total.Seconds()*1e6/p.speed
	for _, k := range ks {
		d := k.dur.Seconds() * 1e6 / p.speed
		if len(p.events) >= maxTraceEvents {
			p.dropped++
		} else {
			p.events = append(p.events, traceEvent{name: k.name, ts: t, dur: d})
		}
		t += d
	}
}

// stop ends the profile and writes it under dir, returning the file.
func (p *profiler) stop() (string, error) {
	if p.dir == "" {
		return "", ErrProfilerDisabled
	}
	p.mu.Lock()
	if !p.active.Load() {
		p.mu.Unlock()
		return "", fmt.Errorf("stopping profile: not running: %w", ErrProfilerState)
	}
	p.active.Store(false)
	events, base, dropped := p.events, p.base, p.dropped
	p.events = nil
	p.mu.Unlock()

	if err := os.MkdirAll(p.dir, 0o755); err != nil {
		return "", fmt.Errorf("writing trace: %w", err)
	}
	name := fmt.Sprintf("hypobench-engine_%d.%d.pt.trace.json", os.Getpid(), base.UnixMilli())
	if p.gzip {
		name += ".gz"
	}
	path := filepath.Join(p.dir, name)
	if err := writeTraceFile(path, p.gzip, base, events, dropped, p.cost.GPU); err != nil {
		return "", fmt.Errorf("writing trace %s: %w", path, err)
	}
	return path, nil
}

func writeTraceFile(path string, gz bool, base time.Time, events []traceEvent, dropped int, gpu GPU) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	var w io.Writer = f
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(f)
		w = zw
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	if err := writeTrace(bw, base, events, dropped, gpu); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if zw != nil {
		return zw.Close()
	}
	return nil
}

// writeTrace encodes the trace by hand: millions of small objects are
// much faster to append than to marshal by reflection.
func writeTrace(w *bufio.Writer, base time.Time, events []traceEvent, dropped int, gpu GPU) error {
	fmt.Fprintf(w, `{"schemaVersion": 1, "deviceProperties": [{"id": 0, "name": %q, "totalGlobalMem": %d}],`+"\n",
		gpu.Name, int64(gpu.MemoryBytes()))
	fmt.Fprintf(w, `"distributedInfo": {"backend": "none", "rank": 0, "world_size": 1}, "droppedKernels": %d,`+"\n", dropped)
	w.WriteString(`"traceEvents": [` + "\n")
	var buf []byte
	for i, e := range events {
		buf = buf[:0]
		if i > 0 {
			buf = append(buf, ",\n"...)
		}
		buf = append(buf, `{"ph": "X", "cat": "kernel", "name": `...)
		buf = strconv.AppendQuote(buf, e.name)
		buf = append(buf, `, "pid": 0, "tid": 7, "ts": `...)
		buf = strconv.AppendFloat(buf, e.ts, 'f', 3, 64)
		buf = append(buf, `, "dur": `...)
		buf = strconv.AppendFloat(buf, e.dur, 'f', 3, 64)
		buf = append(buf, `, "args": {"device": 0, "stream": 7, "correlation": `...)
		buf = strconv.AppendInt(buf, int64(i+1), 10)
		buf = append(buf, `}}`...)
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "\n],\n"+`"traceName": "hypobench-engine", "displayTimeUnit": "ms", "baseTimeNanoseconds": %d}`+"\n", base.UnixNano())
	return err
}
