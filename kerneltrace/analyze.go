package kerneltrace

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"time"

	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/stats"
)

// Options configures Analyze. The zero value is usable.
type Options struct {
	// Threshold separates long kernels (Dur >= Threshold) from short ones.
	// Zero picks it adaptively (see SplitLog10).
	Threshold time.Duration
	// TopN is how many kernel names to list per phase (default 5).
	TopN int
	// Source chooses NVTX or wall-clock phase windows (default: auto).
	Source PhaseSource
}

// DefaultOptions are the options the CLI starts from.
var DefaultOptions = Options{TopN: 5}

// Threshold is the long/short split used, and how it was chosen.
type Threshold struct {
	// Method is "stated" (Options.Threshold) or "otsu-log10" (adaptive).
	Method string        `json:"method"`
	Value  time.Duration `json:"value_ns"`
	// Separation is Otsu's effectiveness measure for the adaptive split:
	// between-class over total variance of log10 durations, in [0, 1]. Near
	// 1 the durations form two clear groups; a unimodal spread gives about
	// 0.64 (normal) to 0.75 (uniform) whatever its width. 0 when stated.
	Separation float64 `json:"separation,omitempty"`
}

func (t Threshold) String() string {
	if t.Method == "stated" {
		return fmt.Sprintf("%s %v", t.Method, t.Value)
	}
	return fmt.Sprintf("%s %v (separation %.2f)", t.Method, t.Value, t.Separation)
}

// Class is a kernel's kind, guessed from its name.
type Class string

// The kernel classes.
const (
	ClassGEMM        Class = "gemm"
	ClassAttention   Class = "attention"
	ClassElementwise Class = "elementwise"
	ClassOther       Class = "other"
)

// Classes lists the classes in report order.
var Classes = []Class{ClassGEMM, ClassAttention, ClassElementwise, ClassOther}

var (
	reGEMM = regexp.MustCompile(`(?i)gemm|gemv|matmul|cutlass|xmma|cublas|nvjet`)
	reAttn = regexp.MustCompile(`(?i)flash|attn|attention|paged|fmha`)
	reComm = regexp.MustCompile(`(?i)nccl|allreduce|all_reduce|allgather|reducescatter`)
	// reCopy names KV-cache writes and block copies, which are element-wise
	// copies even when their names mention flash attention's cache layout
	// (vllm::reshape_and_cache_flash_kernel).
	reCopy = regexp.MustCompile(`(?i)reshape_and_cache|concat_and_cache|cache_kernel|copy_blocks|swap_blocks|memcpy`)
	reElem = regexp.MustCompile(`(?i)elementwise|norm|rotary|silu|gelu|act|add|copy|reduce|softmax|cat_|fill|sampl|topk`)
)

// Classify guesses a kernel's class from its name: KV-cache writes and
// block copies (reshape_and_cache, concat_and_cache, cache_kernel,
// copy_blocks, swap_blocks, memcpy) are element-wise, checked first because
// vLLM's cache write is named reshape_and_cache_flash_kernel; then
// attention (flash, attn, attention, paged, fmha — before GEMM, because
// attention kernels are often built with CUTLASS), GEMM (gemm, gemv, matmul, cutlass, xmma, cublas, nvjet),
// element-wise (elementwise, norm, rotary, silu, gelu, act, add,
// copy, reduce, softmax, fill, sampling, topk) or other, checked in that
// order, case-insensitively. Collective communication (nccl, all-reduce,
// all-gather, reduce-scatter) is other, checked first.
func Classify(name string) Class {
	switch {
	case reComm.MatchString(name):
		return ClassOther
	case reCopy.MatchString(name):
		return ClassElementwise
	case reAttn.MatchString(name):
		return ClassAttention
	case reGEMM.MatchString(name):
		return ClassGEMM
	case reElem.MatchString(name):
		return ClassElementwise
	}
	return ClassOther
}

// NameStat is the time spent in one kernel name within a phase.
type NameStat struct {
	Name  string        `json:"name"`
	Class Class         `json:"class"`
	Count int           `json:"count"`
	Time  time.Duration `json:"time_ns"`
	Share float64       `json:"share"` // of the phase's kernel time
}

// PhaseStats are the statistics of one phase's kernels.
//
// Kernel time is the sum of kernel durations; Busy is the union of kernel
// intervals (all devices and streams), clipped to the window, so overlapping
// kernels count once. LongShare is long-kernel time over kernel time, the
// quantity H4 compares; ShortDensity is short kernels per millisecond of
// kernel time (GPU time, not wall time: a host that launches late leaves
// the GPU idle between steps, which says nothing about the kernel stream,
// and would make the density depend on the client machine's load). Percentiles are of kernel durations, linear
// interpolation between order statistics (Hyndman–Fan type 7).
type PhaseStats struct {
	Window
	Wall         time.Duration           `json:"wall_ns"`
	Kernels      int                     `json:"kernels"`
	KernelTime   time.Duration           `json:"kernel_time_ns"`
	Busy         time.Duration           `json:"busy_ns"`
	Utilization  float64                 `json:"utilization"` // Busy / Wall
	Long         int                     `json:"long_kernels"`
	LongTime     time.Duration           `json:"long_time_ns"`
	LongShare    float64                 `json:"long_share"`
	Short        int                     `json:"short_kernels"`
	ShortDensity float64                 `json:"short_per_ms"`
	P50          time.Duration           `json:"p50_ns"`
	P90          time.Duration           `json:"p90_ns"`
	P99          time.Duration           `json:"p99_ns"`
	ClassTime    map[Class]time.Duration `json:"class_time_ns"`
	Top          []NameStat              `json:"top"`
	// Events are the phase's kernels, sorted by start (not serialised).
	Events []Event `json:"-"`
}

// Analysis is a trace cut into phases, with per-phase statistics.
type Analysis struct {
	Path       string       `json:"path"`
	Format     Format       `json:"format"`
	BaseSource string       `json:"base_source"`
	Alignment  Alignment    `json:"alignment"`
	Threshold  Threshold    `json:"threshold"`
	Kernels    int          `json:"kernels"`
	Outside    int          `json:"outside"` // kernels in no phase
	Skipped    int          `json:"skipped"` // memcpy / memset rows left out
	Phases     []PhaseStats `json:"phases"`
	Warnings   []string     `json:"warnings,omitempty"`
}

// Analyze cuts tr into phases (see Phases) and computes each phase's
// statistics. The long/short threshold is opt.Threshold when set, otherwise
// SplitLog10 over the durations of every kernel inside a phase, so all
// phases share one threshold.
func Analyze(tr *Trace, phases []record.Phase, opt Options) (Analysis, error) {
	if opt.TopN <= 0 {
		opt.TopN = DefaultOptions.TopN
	}
	a := Analysis{Path: tr.Path, Format: tr.Format, Kernels: len(tr.Events), Skipped: tr.Skipped}
	a.Warnings = append(a.Warnings, tr.Warnings...)
	ws, align, warn, err := Phases(tr, phases, opt.Source)
	if err != nil {
		return a, err
	}
	a.Alignment, a.BaseSource = align, tr.BaseSource
	a.Warnings = append(a.Warnings, warn...)
	for i := 1; i < len(ws); i++ {
		if ws[i].Start < ws[i-1].End {
			a.Warnings = append(a.Warnings, fmt.Sprintf("phase %d overlaps phase %d: its window starts at the other's end", ws[i].Index, ws[i-1].Index))
			ws[i].Start = min(ws[i-1].End, ws[i].End)
		}
	}
	per, outside := cut(tr.Events, ws)
	a.Outside = outside
	if opt.Threshold > 0 {
		a.Threshold = Threshold{Method: "stated", Value: opt.Threshold}
	} else {
		var durs []time.Duration
		for _, es := range per {
			for _, e := range es {
				durs = append(durs, e.Dur)
			}
		}
		v, eta := SplitLog10(durs)
		a.Threshold = Threshold{Method: "otsu-log10", Value: v, Separation: eta}
	}
	for i, w := range ws {
		a.Phases = append(a.Phases, phaseStats(w, per[i], a.Threshold.Value, opt.TopN))
	}
	if len(tr.Events) > 0 && outside == len(tr.Events) {
		a.Warnings = append(a.Warnings, "no kernel falls inside any phase: check the time base and the phases file")
	}
	return a, nil
}

func phaseStats(w Window, es []Event, thr time.Duration, topN int) PhaseStats {
	ps := PhaseStats{Window: w, Wall: time.Duration(w.End - w.Start), Kernels: len(es), Events: es, ClassTime: map[Class]time.Duration{}}
	durs := make([]float64, len(es)) // ns
	byName := map[string]*NameStat{}
	for i, e := range es {
		durs[i] = float64(e.Dur)
		ps.KernelTime += e.Dur
		if thr > 0 && e.Dur >= thr {
			ps.Long++
			ps.LongTime += e.Dur
		} else {
			ps.Short++
		}
		ns := byName[e.Name]
		if ns == nil {
			ns = &NameStat{Name: e.Name, Class: Classify(e.Name)}
			byName[e.Name] = ns
		}
		ns.Count++
		ns.Time += e.Dur
		ps.ClassTime[ns.Class] += e.Dur
	}
	ps.Busy = unionBusy(es, w)
	if ps.Wall > 0 {
		ps.Utilization = float64(ps.Busy) / float64(ps.Wall)
	}
	if ps.KernelTime > 0 {
		ps.ShortDensity = float64(ps.Short) / (float64(ps.KernelTime) / float64(time.Millisecond))
		ps.LongShare = float64(ps.LongTime) / float64(ps.KernelTime)
	}
	slices.Sort(durs)
	if len(durs) > 0 {
		q := func(p float64) time.Duration { return time.Duration(math.Round(stats.QuantileSorted(durs, p))) }
		ps.P50, ps.P90, ps.P99 = q(0.5), q(0.9), q(0.99)
	}
	for _, ns := range byName {
		if ps.KernelTime > 0 {
			ns.Share = float64(ns.Time) / float64(ps.KernelTime)
		}
		ps.Top = append(ps.Top, *ns)
	}
	sort.Slice(ps.Top, func(i, j int) bool {
		if ps.Top[i].Time != ps.Top[j].Time {
			return ps.Top[i].Time > ps.Top[j].Time
		}
		return ps.Top[i].Name < ps.Top[j].Name
	})
	if len(ps.Top) > topN {
		ps.Top = ps.Top[:topN]
	}
	return ps
}

// unionBusy is the length of the union of the events' intervals within w.
// es is sorted by Start.
func unionBusy(es []Event, w Window) time.Duration {
	var busy, curS, curE int64
	open := false
	for _, e := range es {
		s, t := max(e.Start, w.Start), min(e.End(), w.End)
		if t <= s {
			continue
		}
		switch {
		case !open:
			curS, curE, open = s, t, true
		case s > curE:
			busy += curE - curS
			curS, curE = s, t
		case t > curE:
			curE = t
		}
	}
	if open {
		busy += curE - curS
	}
	return time.Duration(busy)
}

// SplitLog10 chooses a long/short threshold adaptively: Otsu's method on the
// log10 of the durations, computed exactly over the sorted sample (the
// split that maximises the between-class variance, which for two classes is
// also the optimal 1-D 2-means split). The threshold is the geometric mean
// of the largest short and the smallest long duration, rounded up to a
// whole nanosecond (kernels at or above it are long). eta is the split's
// separation (see Threshold.Separation). It returns 0, 0 when fewer than
// two distinct positive durations exist (no split: every kernel is short).
func SplitLog10(durs []time.Duration) (thr time.Duration, eta float64) {
	xs := make([]float64, 0, len(durs))
	for _, d := range durs {
		if d > 0 {
			xs = append(xs, math.Log10(float64(d)))
		}
	}
	slices.Sort(xs)
	n := len(xs)
	if n < 2 || xs[0] == xs[n-1] {
		return 0, 0
	}
	var total, sq float64
	for _, x := range xs {
		total += x
		sq += x * x
	}
	// n² × total variance, the scale of w0·w1·(m0 − m1)² below.
	tv := float64(n)*sq - total*total
	best, bestK := -1.0, 0
	var left float64
	for k := 1; k < n; k++ { // split between xs[k-1] and xs[k]
		left += xs[k-1]
		if xs[k] == xs[k-1] {
			continue
		}
		w0, w1 := float64(k), float64(n-k)
		m0, m1 := left/w0, (total-left)/w1
		v := w0 * w1 * (m0 - m1) * (m0 - m1)
		if v > best {
			best, bestK = v, k
		}
	}
	eta = 0
	if tv > 0 {
		eta = min(best/tv, 1)
	}
	return time.Duration(math.Ceil(math.Pow(10, (xs[bestK-1]+xs[bestK])/2))), eta
}
