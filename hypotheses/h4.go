package hypotheses

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/hypobench/hypobench/kerneltrace"
	"github.com/hypobench/hypobench/stats"
	"github.com/hypobench/hypobench/verdict"
)

// H4Claim is H4 in words.
const H4Claim = "The kernel timeline follows the workload: prefill-heavy phases run longer compute blocks (GEMM, attention), decode-heavy phases a denser stream of short fragments (element-wise, norm, copy, sampling kernels)"

// H4 turns H4Trace's result into a verdict. How long blocks were told
// from short fragments (kernel classes by name, or the duration split and
// its threshold), the windows, the block bootstrap, whether the trace only
// checks the pipeline (the embedded engine), and the operating
// characteristics measured for each check (H4Calibrated) are written into
// the verdict.
func H4(r H4Result, seed uint64) verdict.Verdict {
	v := verdict.Verdict{ID: "H4", Claim: H4Claim, Seed: seed, Alpha: r.Alpha, N: r.PrefillKernels + r.DecodeKernels}
	w := r.PrefillWindows + r.DecodeWindows
	test := fmt.Sprintf("circular block bootstrap over time windows (%d + %d windows, blocks of %d and %d, B=%d), CI of the ratio",
		r.PrefillWindows, r.DecodeWindows, r.PrefillBlock, r.DecodeBlock, r.B)
	if r.Pipeline {
		test = "pipeline check: " + test
	}
	lb, sd := r.LongBlocks, r.ShortDensity
	v.Checks = []verdict.Check{{
		Name: "long-blocks", Claim: fmt.Sprintf("%s (ratio > %.2f)", lb.Claim, H4MinBlockRatio), Outcome: lb.Outcome, Test: test,
		Statistic: verdict.Float(lb.Diff / 1e3), Alpha: r.Alpha, Effect: verdict.Float(lb.Ratio), EffectCI: lb.RatioCI, Unit: "ratio", N: w,
		Detail: fmt.Sprintf("mean long block %s in %s, %s in %s; statistic = difference (µs); %s",
			us(lb.Prefill), r.Prefill, us(lb.Decode), r.Decode, H4Calibrated.Describe(H4CheckLongBlocks)),
	}, {
		Name: "short-density", Claim: fmt.Sprintf("%s (ratio > %.2f)", sd.Claim, H4MinDensityRatio), Outcome: sd.Outcome, Test: test,
		Statistic: verdict.Float(sd.Diff), Alpha: r.Alpha, Effect: verdict.Float(sd.Ratio), EffectCI: sd.RatioCI, Unit: "ratio", N: w,
		Detail: fmt.Sprintf("%s %s, %s %s short fragments per ms of kernel time; statistic = difference; %s",
			r.Decode, verdict.Num(sd.Decode), r.Prefill, verdict.Num(sd.Prefill), H4Calibrated.Describe(H4CheckShortDensity)),
	}}
	if r.Pipeline {
		v.Info = append(v.Info, "pipeline check, not a GPU measurement: the embedded engine emits long prefill kernels and short decode kernels by construction (engine/kernels.go), so this verdict checks the trace pipeline (profiler → reader → phases → windows → statistics), not how a GPU behaves")
	}
	v.Info = append(v.Info, fmt.Sprintf("split: %s; phases aligned by %s; prefill-heavy profile %s (phases %v), decode-heavy %s (phases %v)",
		r.Split, r.Alignment, r.Prefill, r.PrefillPhases, r.Decode, r.DecodePhases))
	v.Info = append(v.Info, "operating characteristics (virtual-time calibration, "+H4Calibrated.Setup+"): "+
		H4Calibrated.Describe(H4CheckLongBlocks)+" (long-blocks); "+H4Calibrated.Describe(H4CheckShortDensity)+" (short-density)")
	for _, p := range r.Phases {
		v.Evidence = append(v.Evidence, verdict.Level{
			Label: fmt.Sprintf("phase %d %s c=%d: %d kernels, p90 %v, %.2f short/ms (duration split)", p.Index, p.Profile, p.Concurrency, p.Kernels, p.P90, p.ShortDensity),
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
	v.Headline(v.Checks[1], v.Checks[1])
	return v
}

// The names of H4's checks.
const (
	H4CheckLongBlocks   = "long-blocks"
	H4CheckShortDensity = "short-density"
)

// H4Operating is one H4 check's operating characteristics, measured in
// virtual time by TestH4Calibration (hypotheses/h4calib_test.go): with
// the true ratio exactly at the check's bound, the share of sessions
// that passed and its exact 95% upper bound; with the true effect twice
// the bound's (ratio 1 + 2·(bound − 1)), the share that passed (power);
// and the share of intervals that covered the true ratio at the bound.
type H4Operating struct {
	Check         string  `json:"check"`
	Bound         float64 `json:"bound"`
	Sessions      int     `json:"sessions"`
	PassAtBound   float64 `json:"pass_at_bound"`
	PassAtBoundHi float64 `json:"pass_at_bound_hi"`
	PowerAtTwice  float64 `json:"power_at_twice"`
	Coverage      float64 `json:"coverage"`
}

// H4Calibration is the table of H4's operating characteristics and the
// setup they were measured in.
type H4Calibration struct {
	Setup  string        `json:"setup"`
	Checks []H4Operating `json:"checks"`
}

// Describe says in one phrase how check behaved in calibration.
func (c H4Calibration) Describe(check string) string {
	for _, o := range c.Checks {
		if o.Check == check {
			return fmt.Sprintf("at the bound ×%.2f it passed %.2f%% of %d calibration sessions (95%% upper bound %.2f%%), at twice the bound's effect %.1f%%; interval coverage %.1f%%",
				o.Bound, 100*o.PassAtBound, o.Sessions, 100*o.PassAtBoundHi, 100*o.PowerAtTwice, 100*o.Coverage)
		}
	}
	return "not calibrated"
}

// us formats nanoseconds as microseconds.
func us(ns float64) string { return verdict.Num(ns/1e3) + " µs" }

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
	// H4MinBlockRatio is the smallest ratio of mean long-block duration
	// (prefill-heavy over decode-heavy) that counts as "longer blocks":
	// 1.3, a compute block 30% longer. Kernels whose length does not
	// depend on the phase (UniformKernels, DecodeKernelMix) give 0.99–1.07
	// and fail; the embedded engine's profiles give 1.80 (h200:qwen2.5-0.5b,
	// where the step's host overhead dwarfs a 0.5B model's kernels) to 2.83
	// (TestH4Profiles).
	H4MinBlockRatio = 1.3
	// H4MinDensityRatio is the smallest ratio of short-fragment density
	// (decode-heavy over prefill-heavy, per ms of kernel time) that counts
	// as "a denser stream of short fragments": 1.3. Phase-blind kernels
	// give 1.00–1.07 and fail; the engine's profiles give 1.64
	// (h200:qwen2.5-0.5b) to 2.87.
	H4MinDensityRatio = 1.3
	// H4DefaultB is the bootstrap replicate count the CLI uses.
	H4DefaultB = 2000
	// H4DefaultPrefill and H4DefaultDecode are the seed's prefill-heavy and
	// decode-heavy profiles.
	H4DefaultPrefill = "long_short"
	H4DefaultDecode  = "short_long"
)

// The ways H4 tells long blocks from short fragments (H4Split.Method).
const (
	// H4ByName: kernel classes by name (kerneltrace.Classify). Long blocks
	// are GEMM and attention kernels — the work whose length grows with
	// the tokens of a step; short fragments are element-wise kernels
	// (norms, activations, rotary embedding, KV-cache writes and other
	// copies, sampling). Kernels of class other count in kernel time only.
	H4ByName = "kernel-class"
	// H4ByDuration: the fallback when names do not classify: long blocks
	// are kernels at or above the analysis' threshold (stated, or the
	// adaptive Otsu split), short fragments the rest.
	H4ByDuration = "duration"
)

// H4MinNamed is the smallest share of each side's kernel time that
// kerneltrace.Classify must place in GEMM, attention or element-wise for
// H4 to split by name; below it (anonymous or unknown kernel names) H4
// splits by duration.
const H4MinNamed = 0.5

// H4Split says how H4 told long blocks from short fragments.
type H4Split struct {
	Method string `json:"method"`
	// Threshold is the duration split; used only when Method is
	// H4ByDuration.
	Threshold kerneltrace.Threshold `json:"threshold"`
	// Named is the smaller of the two sides' shares of kernel time in
	// named classes.
	Named  float64 `json:"named_share"`
	Reason string  `json:"reason"`
}

func (s H4Split) String() string {
	if s.Method == H4ByName {
		return fmt.Sprintf("long blocks = GEMM + attention kernels, short fragments = element-wise/norm/copy/sampling kernels, by name (%s; %.0f%% of kernel time named)", s.Method, 100*s.Named)
	}
	return fmt.Sprintf("long blocks = kernels ≥ %v, short fragments = shorter kernels (%s split, threshold %s; %s)", s.Threshold.Value, s.Method, s.Threshold, s.Reason)
}

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
	Split         H4Split               `json:"split"`
	// Pipeline marks a trace the embedded engine wrote: its kernels follow
	// the workload by construction, so H4 checks the pipeline, not a GPU.
	// The caller sets it.
	Pipeline bool `json:"pipeline_check"`
	// Window is the window length asked for (0: H4DefaultWindows per phase).
	Window         time.Duration `json:"window_ns"`
	PrefillWindows int           `json:"prefill_windows"`
	DecodeWindows  int           `json:"decode_windows"`
	// PrefillBlock and DecodeBlock are the bootstrap's block lengths in
	// windows (H4BlockLength).
	PrefillBlock   int     `json:"prefill_block"`
	DecodeBlock    int     `json:"decode_block"`
	PrefillKernels int     `json:"prefill_kernels"`
	DecodeKernels  int     `json:"decode_kernels"`
	B              int     `json:"b"`
	Alpha          float64 `json:"alpha"`
	// Seed is not known to H4 (it receives an rng); the caller records it.
	Seed uint64 `json:"seed"`
	// LongBlocks: mean long-block duration (ns), prefill over decode.
	LongBlocks Estimate `json:"long_blocks"`
	// ShortDensity: short fragments per ms of kernel (GPU) time, decode
	// over prefill.
	ShortDensity Estimate                 `json:"short_density"`
	Phases       []kerneltrace.PhaseStats `json:"phases"`
	Warnings     verdict.Warnings         `json:"warnings,omitempty"`
}

// H4Window is one time window's sums; H4's statistics are ratios of their
// totals.
type H4Window = kerneltrace.WindowSums

// H4MeanBlock is the mean long-block duration (ns) of the windows idx of
// ws: long time over long blocks, NaN with no long block.
func H4MeanBlock(ws []H4Window, idx []int) float64 {
	var t, n float64
	for _, i := range idx {
		t += ws[i].LongTime
		n += ws[i].Long
	}
	if n == 0 {
		return math.NaN()
	}
	return t / n
}

// H4Density is the short-fragment density of the windows idx of ws: short
// fragments per ms of kernel time, NaN with no kernel time.
func H4Density(ws []H4Window, idx []int) float64 {
	var n, kt float64
	for _, i := range idx {
		n += ws[i].Short
		kt += ws[i].KernelTime
	}
	if kt == 0 {
		return math.NaN()
	}
	return n / (kt / float64(time.Millisecond))
}

// H4BlockLength is the block length, in windows, of H4's block bootstrap
// over n windows: ⌈n^(1/3)⌉ (3 for the default 20 windows), the usual
// order for a block bootstrap of a variance or interval.
func H4BlockLength(n int) int {
	return max(1, int(math.Ceil(math.Cbrt(float64(n))-1e-9)))
}

// H4ExpandedLevel is the level at which H4 takes its percentile interval
// so that it behaves as a level-`level` interval with b independent
// blocks: Hesterberg's expanded percentile interval ("What teachers
// should know about the bootstrap", The American Statistician 69(4),
// 2015), α' = 2Φ(−√(b/(b−1))·t(α/2; b−1)) with α = 1 − level. A percentile
// interval over few units is too narrow; over 20 windows in blocks of 3
// (b = 7) the 95% interval is taken at 99.2%. It returns level when b < 2.
func H4ExpandedLevel(level float64, b int) float64 {
	if b < 2 {
		return level
	}
	n := float64(b)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 1}.Quantile(1 - (1-level)/2)
	return 1 - 2*distuv.UnitNormal.CDF(-math.Sqrt(n/(n-1))*t)
}

// H4Trace tests H4 on a cut trace: that the long blocks of the
// prefill-heavy phases (profile prefill, by default long_short) last
// longer than those of the decode-heavy ones (decode, by default
// short_long), and that short fragments come denser, per ms of kernel
// (GPU) time, in the decode-heavy ones. Density is taken over GPU time
// rather than wall time so that idle gaps between steps — a host that
// launches late, a loaded client machine — do not dilute it: the claim is
// about the kernel stream, not the host.
//
// Why these statistics: every decoder layer launches the same kernels in
// a prefill step and in a decode step, so counts of long and short kernels
// per step cannot follow the workload, and neither does the share of
// kernel time in GEMMs (decode GEMMs read every weight, which keeps their
// share at 95–98% on the embedded engine's 7–8B profiles, higher than in
// prefill). What changes is the length of the compute blocks — a prefill
// GEMM over thousands of tokens against a GEMV over a few — and so how
// densely the fragments between them come. Long and short are told apart
// by kernel class (H4ByName) when at least H4MinNamed of each side's
// kernel time has a named class, by duration (H4ByDuration, the
// analysis' threshold) otherwise; the result says which.
//
// Every phase of each profile is cut into windows of length win (or, when
// win is 0, into H4DefaultWindows equal windows); each window keeps its
// sums (H4Window). A statistic over a set of windows is a ratio of sums,
// so the point estimate equals the pooled phase value. Adjacent windows
// are correlated (a prefill chunk and the decode steps after it span
// several), so the bootstrap resamples them in blocks: a circular block
// bootstrap over each side's windows in time order, blocks of
// H4BlockLength windows, separately on each side, B times. The intervals
// are percentile intervals of the ratio at level 1 − alpha (two-sided),
// expanded for the few independent blocks (H4ExpandedLevel), so a claim
// decided by the interval's lower bound is a one-sided test at alpha/2.
//
// Each claim passes when its ratio CI lies above its bound
// (H4MinBlockRatio, H4MinDensityRatio), fails when it lies at or below
// it, and is inconclusive when it straddles it. H4 passes when both
// claims pass, fails when either fails, and is inconclusive otherwise, or
// when a side has fewer than H4MinWindows windows or H4MinKernels kernels.
func H4Trace(rng *rand.Rand, a kerneltrace.Analysis, prefill, decode string, win time.Duration, B int, alpha float64) H4Result {
	res := H4Result{
		Prefill: prefill, Decode: decode, Alignment: a.Alignment,
		Window: win, B: B, Alpha: alpha, Phases: a.Phases,
		LongBlocks:   Estimate{Claim: fmt.Sprintf("long blocks last longer in %s than in %s", prefill, decode)},
		ShortDensity: Estimate{Claim: fmt.Sprintf("short fragments per ms of kernel time come denser in %s than in %s", decode, prefill)},
	}
	for _, w := range a.Warnings {
		res.Warnings = append(res.Warnings, stats.Warnf(ErrTrace, "%s", w))
	}
	res.Split = chooseSplit(a, prefill, decode)
	if res.Split.Method == H4ByDuration && a.Threshold.Value <= 0 {
		res.Warnings = append(res.Warnings, stats.Warnf(ErrTrace, "no long/short split: kernel names do not classify and every kernel has the same duration or there are fewer than two kernels"))
	}
	pw, pk := collectWindows(a, prefill, win, res.Split, &res.PrefillPhases)
	dw, dk := collectWindows(a, decode, win, res.Split, &res.DecodePhases)
	res.PrefillWindows, res.DecodeWindows = len(pw), len(dw)
	res.PrefillBlock, res.DecodeBlock = H4BlockLength(len(pw)), H4BlockLength(len(dw))
	res.PrefillKernels, res.DecodeKernels = pk, dk

	inconclusive := func(why string) H4Result {
		res.Outcome, res.Reason = verdict.Inconclusive, why
		res.LongBlocks.Outcome, res.ShortDensity.Outcome = verdict.Inconclusive, verdict.Inconclusive
		return res
	}
	switch {
	case len(res.PrefillPhases) == 0 || len(res.DecodePhases) == 0:
		return inconclusive(fmt.Sprintf("the trace has no %s phase or no %s phase", prefill, decode))
	case !(alpha > 0 && alpha < 1) || B < 1:
		return inconclusive(fmt.Sprintf("bad bootstrap settings: B=%d alpha=%v", B, alpha))
	}
	res.LongBlocks, res.ShortDensity = H4Compare(rng, res.LongBlocks, res.ShortDensity, pw, dw, B, alpha)
	switch {
	case len(pw) < H4MinWindows || len(dw) < H4MinWindows:
		return inconclusive(fmt.Sprintf("too few windows: %d %s, %d %s (need %d each)", len(pw), prefill, len(dw), decode, H4MinWindows))
	case pk < H4MinKernels || dk < H4MinKernels:
		return inconclusive(fmt.Sprintf("too few kernels: %d in %s, %d in %s (need %d each)", pk, prefill, dk, decode, H4MinKernels))
	}
	o1, o2 := res.LongBlocks.Outcome, res.ShortDensity.Outcome
	res.Outcome = verdict.Combine(o1, o2)
	res.Reason = fmt.Sprintf("long blocks %s: ratio %.3f CI [%.3f, %.3f] (claim: > %.2f); short density %s: ratio %.3f CI [%.3f, %.3f] (claim: > %.2f)",
		o1, res.LongBlocks.Ratio, res.LongBlocks.RatioCI.Lo, res.LongBlocks.RatioCI.Hi, H4MinBlockRatio,
		o2, res.ShortDensity.Ratio, res.ShortDensity.RatioCI.Lo, res.ShortDensity.RatioCI.Hi, H4MinDensityRatio)
	return res
}

// H4Compare is H4's test on two sides' windows, in time order: the point
// estimates (H4MeanBlock prefill over decode, H4Density decode over
// prefill), their differences, the circular block bootstrap's percentile
// CIs of the ratios at level 1 − alpha (one set of resamples for both),
// and each claim's outcome against its bound. blocks and density carry
// the claims' wording in. It is what H4Trace runs after cutting the
// windows, exported so that a calibration runs exactly the shipped test.
func H4Compare(rng *rand.Rand, blocks, density Estimate, pw, dw []H4Window, B int, alpha float64) (Estimate, Estimate) {
	level := 1 - alpha
	all := func(n int) []int {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	pa, da := all(len(pw)), all(len(dw))
	blocks.Prefill, blocks.Decode = H4MeanBlock(pw, pa), H4MeanBlock(dw, da)
	blocks.Diff, blocks.Ratio = blocks.Prefill-blocks.Decode, blocks.Prefill/blocks.Decode
	density.Prefill, density.Decode = H4Density(pw, pa), H4Density(dw, da)
	density.Diff, density.Ratio = density.Decode-density.Prefill, density.Decode/density.Prefill
	nan := stats.CI{Lo: math.NaN(), Hi: math.NaN(), Level: level}
	blocks.DiffCI, blocks.RatioCI, density.DiffCI, density.RatioCI = nan, nan, nan, nan
	blocks.Outcome, density.Outcome = verdict.Inconclusive, verdict.Inconclusive
	if len(pw) < 2 || len(dw) < 2 || !(alpha > 0 && alpha < 1) || B < 1 {
		return blocks, density
	}
	var bd, br, dd, dr []float64
	pi, di := make([]int, len(pw)), make([]int, len(dw))
	lp, ld := H4BlockLength(len(pw)), H4BlockLength(len(dw))
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	for range B {
		circularBlocks(rng, pi, lp)
		circularBlocks(rng, di, ld)
		if p, d := H4MeanBlock(pw, pi), H4MeanBlock(dw, di); finite(p) && finite(d) {
			bd = append(bd, p-d)
			if r := p / d; finite(r) {
				br = append(br, r)
			}
		}
		if p, d := H4Density(pw, pi), H4Density(dw, di); finite(p) && finite(d) {
			dd = append(dd, d-p)
			if r := d / p; finite(r) {
				dr = append(dr, r)
			}
		}
	}
	// Few independent blocks: expand the percentile interval (the CIs keep
	// the nominal level).
	b := min((len(pw)+lp-1)/lp, (len(dw)+ld-1)/ld)
	ex := H4ExpandedLevel(level, b)
	ci := func(reps []float64) stats.CI {
		c := stats.PercentileCI(reps, ex)
		c.Level = level
		return c
	}
	blocks.DiffCI, blocks.RatioCI = ci(bd), ci(br)
	density.DiffCI, density.RatioCI = ci(dd), ci(dr)
	blocks.Outcome = verdict.CIOutcome(blocks.RatioCI, H4MinBlockRatio, true)
	density.Outcome = verdict.CIOutcome(density.RatioCI, H4MinDensityRatio, true)
	return blocks, density
}

// circularBlocks fills idx (n = len(idx) window indices) with blocks of L
// consecutive windows, each starting at a uniformly drawn window and
// wrapping from the last window to the first; the last block is cut to
// fit.
func circularBlocks(rng *rand.Rand, idx []int, L int) {
	n := len(idx)
	for i := 0; i < n; {
		s := rng.IntN(n)
		for k := 0; k < L && i < n; k++ {
			idx[i] = (s + k) % n
			i++
		}
	}
}

// chooseSplit splits by name when at least H4MinNamed of each side's
// kernel time is GEMM, attention or element-wise by name and each side
// has both long blocks and short fragments by name; by duration
// otherwise.
func chooseSplit(a kerneltrace.Analysis, prefill, decode string) H4Split {
	named := math.Inf(1)
	both := true
	classes := map[string]kerneltrace.Class{}
	for _, prof := range []string{prefill, decode} {
		var kt, nt time.Duration
		var long, short int
		for _, p := range a.Phases {
			if p.Profile != prof {
				continue
			}
			for _, e := range p.Events {
				kt += e.Dur
				c, ok := classes[e.Name]
				if !ok {
					c = kerneltrace.Classify(e.Name)
					classes[e.Name] = c
				}
				switch c {
				case kerneltrace.ClassGEMM, kerneltrace.ClassAttention:
					nt += e.Dur
					long++
				case kerneltrace.ClassElementwise:
					nt += e.Dur
					short++
				}
			}
		}
		share := 0.0
		if kt > 0 {
			share = float64(nt) / float64(kt)
		}
		named = min(named, share)
		both = both && long > 0 && short > 0
	}
	if math.IsInf(named, 1) {
		named = 0
	}
	s := H4Split{Method: H4ByName, Named: named}
	switch {
	case named < H4MinNamed:
		s.Reason = fmt.Sprintf("kernel names classify only %.0f%% of a side's kernel time (need %.0f%%)", 100*named, 100*H4MinNamed)
	case !both:
		s.Reason = "a side has no GEMM/attention kernel or no element-wise kernel by name"
	default:
		return s
	}
	s.Method, s.Threshold = H4ByDuration, a.Threshold
	return s
}

// collectWindows cuts every phase of profile into windows and records the
// phase indices used; it also returns the number of kernels.
func collectWindows(a kerneltrace.Analysis, profile string, win time.Duration, sp H4Split, idx *[]int) ([]H4Window, int) {
	var out []H4Window
	kernels := 0
	for _, p := range a.Phases {
		if p.Profile != profile {
			continue
		}
		*idx = append(*idx, p.Index)
		kernels += len(p.Events)
		out = append(out, phaseWindows(p, win, sp)...)
	}
	return out, kernels
}

// phaseWindows cuts p into windows of length win (the last one shorter), or
// H4DefaultWindows equal windows when win is 0, and sums each.
func phaseWindows(p kerneltrace.PhaseStats, win time.Duration, sp H4Split) []H4Window {
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
	classes := map[string]kerneltrace.Class{}
	ws := make([]H4Window, n)
	for _, e := range p.Events {
		i := int(float64(e.Start-p.Start) / step)
		i = min(max(i, 0), n-1)
		d := float64(e.Dur)
		ws[i].KernelTime += d
		var long, short bool
		if sp.Method == H4ByName {
			c, ok := classes[e.Name]
			if !ok {
				c = kerneltrace.Classify(e.Name)
				classes[e.Name] = c
			}
			long = c == kerneltrace.ClassGEMM || c == kerneltrace.ClassAttention
			short = c == kerneltrace.ClassElementwise
		} else {
			thr := sp.Threshold.Value
			long = thr > 0 && e.Dur >= thr
			short = !long
		}
		if long {
			ws[i].LongTime += d
			ws[i].Long++
		}
		if short {
			ws[i].Short++
		}
	}
	return ws
}

// H4Calibrated is what TestH4Calibration measured; that test fails when
// the table and the measurement differ.
var H4Calibrated = H4Calibration{
	Setup: "rtx4090:qwen2.5-7b phases tuned to the bound, 20 windows per side, per-window composition log-sd 0.1 and clock log-sd 0.05, lag-one correlation 0.3, 5% drift, no phase-level effect",
	Checks: []H4Operating{
		{Check: H4CheckLongBlocks, Bound: H4MinBlockRatio, Sessions: 4000, PassAtBound: 0.0263, PassAtBoundHi: 0.0308, PowerAtTwice: 0.9818, Coverage: 0.9533},
		{Check: H4CheckShortDensity, Bound: H4MinDensityRatio, Sessions: 4000, PassAtBound: 0.0225, PassAtBoundHi: 0.0268, PowerAtTwice: 0.9598, Coverage: 0.9538},
	},
}
