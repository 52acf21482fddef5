package hypotheses

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/hypobench/hypobench/kerneltrace"
	"github.com/hypobench/hypobench/stats"
	"github.com/hypobench/hypobench/verdict"
)

// H4Claim is H4 in words.
const H4Claim = "The kernel timeline follows the workload: prefill-heavy phases have a larger share of GPU time in long kernels, decode-heavy phases a denser stream of short kernels"

// H4 turns H4Trace's result into a verdict. The long/short threshold
// (stated or adaptive, with its value), the windows and the bootstrap
// settings are written into the verdict.
func H4(r H4Result, seed uint64) verdict.Verdict {
	v := verdict.Verdict{ID: "H4", Claim: H4Claim, Seed: seed, Alpha: r.Alpha, N: r.PrefillKernels + r.DecodeKernels}
	w := r.PrefillWindows + r.DecodeWindows
	test := fmt.Sprintf("bootstrap over time windows (%d + %d windows, B=%d)", r.PrefillWindows, r.DecodeWindows, r.B)
	ls, sd := r.LongShare, r.ShortDensity
	v.Checks = []verdict.Check{{
		Name: "long-share", Claim: ls.Claim + " (difference > 0)", Outcome: ls.Outcome, Test: test + ", CI of the difference",
		Statistic: verdict.Float(ls.Ratio), Alpha: r.Alpha, Effect: verdict.Float(ls.Diff), EffectCI: ls.DiffCI, Unit: "share", N: w,
		Detail: fmt.Sprintf("prefill-heavy %s, decode-heavy %s; statistic = ratio", verdict.Num(ls.Prefill), verdict.Num(ls.Decode)),
	}, {
		Name: "short-density", Claim: fmt.Sprintf("%s (ratio > %.2f)", sd.Claim, H4MinDensityRatio), Outcome: sd.Outcome, Test: test + ", CI of the ratio",
		Statistic: verdict.Float(sd.Diff), Alpha: r.Alpha, Effect: verdict.Float(sd.Ratio), EffectCI: sd.RatioCI, Unit: "ratio", N: w,
		Detail: fmt.Sprintf("decode-heavy %s, prefill-heavy %s short kernels/ms; statistic = difference", verdict.Num(sd.Decode), verdict.Num(sd.Prefill)),
	}}
	v.Info = append(v.Info, fmt.Sprintf("long kernels: ≥ %s (%s threshold); phases aligned by %s; prefill-heavy profile %s (phases %v), decode-heavy %s (phases %v)",
		r.Threshold.Value, r.Threshold.Method, r.Alignment, r.Prefill, r.PrefillPhases, r.Decode, r.DecodePhases))
	for _, p := range r.Phases {
		v.Evidence = append(v.Evidence, verdict.Level{
			Label: fmt.Sprintf("phase %d %s c=%d: %d kernels, long share %.3f, %.2f short/ms", p.Index, p.Profile, p.Concurrency, p.Kernels, p.LongShare, p.ShortDensity),
			N:     p.Kernels, Median: verdict.Float(p.P50.Seconds()), MedianCI: stats.CI{Lo: math.NaN(), Hi: math.NaN()}, Unit: "s (kernel duration)",
		})
	}
	v.Warnings = append(v.Warnings, r.Warnings...)
	if r.Reason != "" {
		v.Info = append(v.Info, r.Reason)
	}
	v.Combine()
	if r.Outcome == verdict.Inconclusive && v.Outcome != verdict.Fail {
		v.Outcome = verdict.Inconclusive
	}
	v.Headline(v.Checks[0], v.Checks[0])
	return v
}

// H4Unavailable is H4's verdict when no kernel trace could be had: it says
// why and is inconclusive, never a pass.
func H4Unavailable(why string, seed uint64) verdict.Verdict {
	nan := math.NaN()
	return verdict.Verdict{ID: "H4", Claim: H4Claim, Outcome: verdict.Inconclusive, Seed: seed, Test: "none: no kernel trace",
		Statistic: verdict.Float(nan), Effect: verdict.Float(nan), EffectCI: stats.CI{Lo: nan, Hi: nan},
		Info: []string{"H4 could not run: " + why}}
}

// Defaults and minimums for H4.
const (
	// H4DefaultWindows is how many equal windows each phase is cut into when
	// H4 is given no window length.
	H4DefaultWindows = 20
	// H4MinWindows is the fewest windows per side H4 decides on.
	H4MinWindows = 5
	// H4MinKernels is the fewest kernels per side H4 decides on.
	H4MinKernels = 20
	// H4MinDensityRatio is the smallest ratio of short-kernel density
	// (decode-heavy over prefill-heavy) that counts as "a denser stream of
	// short kernels": 1.5. A trace whose kernels say nothing about the
	// work (every kernel alike) gives a ratio near 1 and a CI below 1.5,
	// which contradicts the claim; real decode phases run several times
	// denser.
	H4MinDensityRatio = 1.5
	// H4DefaultB is the bootstrap replicate count the CLI uses.
	H4DefaultB = 2000
	// H4DefaultPrefill and H4DefaultDecode are the seed's prefill-heavy and
	// decode-heavy profiles.
	H4DefaultPrefill = "long_short"
	H4DefaultDecode  = "short_long"
)

// Estimate is one H4 claim: a statistic in the prefill-heavy and the
// decode-heavy phases, the claimed-positive difference with its bootstrap
// CI, the ratio with its CI, and the claim's outcome.
type Estimate struct {
	Claim   string          `json:"claim"`
	Prefill float64         `json:"prefill"`
	Decode  float64         `json:"decode"`
	Diff    float64         `json:"diff"` // claimed > 0
	DiffCI  stats.CI        `json:"diff_ci"`
	Ratio   float64         `json:"ratio"` // claimed > 1
	RatioCI stats.CI        `json:"ratio_ci"`
	Outcome verdict.Outcome `json:"outcome"`
}

// MarshalJSON encodes e with null for every value that is not finite (a
// ratio over a zero, an interval that could not be computed), which
// encoding/json would otherwise refuse.
func (e Estimate) MarshalJSON() ([]byte, error) {
	f := func(x float64) *float64 {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return &x
	}
	type ci struct {
		Lo    *float64 `json:"lo"`
		Hi    *float64 `json:"hi"`
		Level float64  `json:"level"`
	}
	return json.Marshal(struct {
		Claim   string          `json:"claim"`
		Prefill *float64        `json:"prefill"`
		Decode  *float64        `json:"decode"`
		Diff    *float64        `json:"diff"`
		DiffCI  ci              `json:"diff_ci"`
		Ratio   *float64        `json:"ratio"`
		RatioCI ci              `json:"ratio_ci"`
		Outcome verdict.Outcome `json:"outcome"`
	}{e.Claim, f(e.Prefill), f(e.Decode), f(e.Diff), ci{f(e.DiffCI.Lo), f(e.DiffCI.Hi), e.DiffCI.Level},
		f(e.Ratio), ci{f(e.RatioCI.Lo), f(e.RatioCI.Hi), e.RatioCI.Level}, e.Outcome})
}

// H4Result is H4's outcome with the evidence a verdict needs.
type H4Result struct {
	Outcome verdict.Outcome `json:"outcome"`
	Reason  string          `json:"reason"`
	Prefill string          `json:"prefill_profile"`
	Decode  string          `json:"decode_profile"`
	// PrefillPhases and DecodePhases are the phase indices pooled per side.
	PrefillPhases []int                 `json:"prefill_phases"`
	DecodePhases  []int                 `json:"decode_phases"`
	Alignment     kerneltrace.Alignment `json:"alignment"`
	Threshold     kerneltrace.Threshold `json:"threshold"`
	// Window is the window length asked for (0: H4DefaultWindows per phase).
	Window         time.Duration `json:"window_ns"`
	PrefillWindows int           `json:"prefill_windows"`
	DecodeWindows  int           `json:"decode_windows"`
	PrefillKernels int           `json:"prefill_kernels"`
	DecodeKernels  int           `json:"decode_kernels"`
	B              int           `json:"b"`
	Alpha          float64       `json:"alpha"`
	// Seed is not known to H4 (it receives an rng); the caller records it.
	Seed uint64 `json:"seed"`
	// LongShare: long-kernel share of kernel time, prefill − decode.
	LongShare Estimate `json:"long_share"`
	// ShortDensity: short kernels per ms of kernel (GPU) time, decode −
	// prefill.
	ShortDensity Estimate                 `json:"short_density"`
	Phases       []kerneltrace.PhaseStats `json:"phases"`
	Warnings     verdict.Warnings         `json:"warnings,omitempty"`
}

// window is one time window's sums.
type window struct {
	kt, long float64 // kernel time, long-kernel time (ns)
	short    float64 // short kernels
}

// H4Trace tests that the long-kernel share of kernel time is larger in the
// prefill-heavy phases (profile prefill, by default long_short) than in the
// decode-heavy ones (decode, by default short_long), and that short kernels
// are denser (per ms of kernel time, i.e. of GPU time) in the decode-heavy
// ones. Density is taken over GPU time rather than wall time so that idle
// gaps between steps — a host that launches late, a loaded client machine —
// do not dilute it: the claim is about the kernel stream, not the host.
//
// Every phase of each profile is cut into windows of length win (or, when
// win is 0, into H4DefaultWindows equal windows); each window keeps its kernel
// time, long-kernel time and short-kernel count. A statistic over a set of
// windows is a ratio of sums (long time / kernel time, short count / kernel
// ms), so the point estimate equals the pooled phase value. The
// bootstrap resamples windows with replacement, separately on each side, B
// times; the intervals are percentile intervals at level 1 − alpha
// (two-sided), so a claim decided by the interval's lower bound is a
// one-sided test at alpha/2.
//
// The long-share claim passes when its difference CI lies above 0 and fails
// when it lies at or below 0; the density claim passes when its ratio CI
// lies above H4MinDensityRatio and fails when it lies at or below it; each is
// inconclusive when its CI straddles the bound. H4 passes when both
// claims pass, fails when either fails, and is inconclusive otherwise, or
// when a side has fewer than H4MinWindows windows or H4MinKernels kernels.
func H4Trace(rng *rand.Rand, a kerneltrace.Analysis, prefill, decode string, win time.Duration, B int, alpha float64) H4Result {
	res := H4Result{
		Prefill: prefill, Decode: decode, Alignment: a.Alignment, Threshold: a.Threshold,
		Window: win, B: B, Alpha: alpha, Phases: a.Phases,
		LongShare:    Estimate{Claim: fmt.Sprintf("long-kernel share of kernel time is higher in %s than in %s", prefill, decode)},
		ShortDensity: Estimate{Claim: fmt.Sprintf("short kernels per ms are more frequent in %s than in %s", decode, prefill)},
	}
	for _, w := range a.Warnings {
		res.Warnings = append(res.Warnings, stats.Warnf(ErrTrace, "%s", w))
	}
	if a.Threshold.Value <= 0 {
		res.Warnings = append(res.Warnings, stats.Warnf(ErrTrace, "no long/short split: every kernel has the same duration or there are fewer than two kernels"))
	}
	pw, pk := collectWindows(a, prefill, win, &res.PrefillPhases)
	dw, dk := collectWindows(a, decode, win, &res.DecodePhases)
	res.PrefillWindows, res.DecodeWindows = len(pw), len(dw)
	res.PrefillKernels, res.DecodeKernels = pk, dk

	inconclusive := func(why string) H4Result {
		res.Outcome, res.Reason = verdict.Inconclusive, why
		res.LongShare.Outcome, res.ShortDensity.Outcome = verdict.Inconclusive, verdict.Inconclusive
		return res
	}
	switch {
	case len(res.PrefillPhases) == 0 || len(res.DecodePhases) == 0:
		return inconclusive(fmt.Sprintf("the trace has no %s phase or no %s phase", prefill, decode))
	case !(alpha > 0 && alpha < 1) || B < 1:
		return inconclusive(fmt.Sprintf("bad bootstrap settings: B=%d alpha=%v", B, alpha))
	}

	longShare := func(ws []window, idx []int) float64 {
		var kt, long float64
		for _, i := range idx {
			kt += ws[i].kt
			long += ws[i].long
		}
		if kt == 0 {
			return math.NaN()
		}
		return long / kt
	}
	density := func(ws []window, idx []int) float64 {
		var n, ms float64
		for _, i := range idx {
			n += ws[i].short
			ms += ws[i].kt / float64(time.Millisecond)
		}
		if ms == 0 {
			return math.NaN()
		}
		return n / ms
	}
	res.LongShare = twoSample(rng, res.LongShare, pw, dw, longShare, true, B, alpha)
	res.ShortDensity = twoSample(rng, res.ShortDensity, pw, dw, density, false, B, alpha)

	switch {
	case len(pw) < H4MinWindows || len(dw) < H4MinWindows:
		return inconclusive(fmt.Sprintf("too few windows: %d %s, %d %s (need %d each)", len(pw), prefill, len(dw), decode, H4MinWindows))
	case pk < H4MinKernels || dk < H4MinKernels:
		return inconclusive(fmt.Sprintf("too few kernels: %d in %s, %d in %s (need %d each)", pk, prefill, dk, decode, H4MinKernels))
	}
	res.LongShare.Outcome = verdict.CIOutcome(res.LongShare.DiffCI, 0, true)
	res.ShortDensity.Outcome = verdict.CIOutcome(res.ShortDensity.RatioCI, H4MinDensityRatio, true)
	o1, o2 := res.LongShare.Outcome, res.ShortDensity.Outcome
	res.Outcome = verdict.Combine(o1, o2)
	res.Reason = fmt.Sprintf("long share %s: diff %.3f CI [%.3f, %.3f] (claim: > 0); short density %s: ratio %.3f CI [%.3f, %.3f] (claim: > %.2f)",
		o1, res.LongShare.Diff, res.LongShare.DiffCI.Lo, res.LongShare.DiffCI.Hi,
		o2, res.ShortDensity.Ratio, res.ShortDensity.RatioCI.Lo, res.ShortDensity.RatioCI.Hi, H4MinDensityRatio)
	return res
}

// twoSample fills e with the point estimates and the stratified percentile
// bootstrap CIs of the difference and the ratio. prefillFirst orients the
// claim: prefill − decode when true, decode − prefill otherwise.
func twoSample(rng *rand.Rand, e Estimate, pw, dw []window, stat func([]window, []int) float64, prefillFirst bool, B int, alpha float64) Estimate {
	level := 1 - alpha
	orient := func(p, d float64) (diff, ratio float64) {
		if prefillFirst {
			return p - d, p / d
		}
		return d - p, d / p
	}
	all := func(n int) []int {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	e.Prefill, e.Decode = stat(pw, all(len(pw))), stat(dw, all(len(dw)))
	e.Diff, e.Ratio = orient(e.Prefill, e.Decode)
	nan := stats.CI{Lo: math.NaN(), Hi: math.NaN(), Level: level}
	e.DiffCI, e.RatioCI = nan, nan
	if len(pw) < 2 || len(dw) < 2 || !(alpha > 0 && alpha < 1) {
		return e
	}
	// One set of resamples gives both intervals.
	diffs := make([]float64, 0, B)
	ratios := make([]float64, 0, B)
	stats.ResampleTwo(rng, len(pw), len(dw), B, func(pi, di []int) {
		d, r := orient(stat(pw, pi), stat(dw, di))
		if !math.IsNaN(d) {
			diffs = append(diffs, d)
		}
		if !math.IsNaN(r) && !math.IsInf(r, 0) {
			ratios = append(ratios, r)
		}
	})
	e.DiffCI, e.RatioCI = stats.PercentileCI(diffs, level), stats.PercentileCI(ratios, level)
	return e
}

// collectWindows cuts every phase of profile into windows and records the
// phase indices used; it also returns the number of kernels.
func collectWindows(a kerneltrace.Analysis, profile string, win time.Duration, idx *[]int) ([]window, int) {
	var out []window
	kernels := 0
	for _, p := range a.Phases {
		if p.Profile != profile {
			continue
		}
		*idx = append(*idx, p.Index)
		kernels += len(p.Events)
		out = append(out, phaseWindows(p, win, a.Threshold.Value)...)
	}
	return out, kernels
}

// phaseWindows cuts p into windows of length win (the last one shorter), or
// H4DefaultWindows equal windows when win is 0, and sums each.
func phaseWindows(p kerneltrace.PhaseStats, win time.Duration, thr time.Duration) []window {
	wall := p.End - p.Start
	if wall <= 0 {
		return nil
	}
	n := H4DefaultWindows
	step := float64(wall) / float64(n)
	if win > 0 {
		n = int((wall + int64(win) - 1) / int64(win))
		step = float64(win)
	}
	ws := make([]window, n)
	for _, e := range p.Events {
		i := int(float64(e.Start-p.Start) / step)
		i = min(max(i, 0), n-1)
		d := float64(e.Dur)
		ws[i].kt += d
		if thr > 0 && e.Dur >= thr {
			ws[i].long += d
		} else {
			ws[i].short++
		}
	}
	return ws
}
