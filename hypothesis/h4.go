package hypothesis

import (
	"fmt"
	"math"

	"github.com/hypobench/hypobench/kerneltrace"
	"github.com/hypobench/hypobench/stats"
)

// H4Claim is H4 in words.
const H4Claim = "The kernel timeline follows the workload: prefill-heavy phases have a larger share of GPU time in long kernels, decode-heavy phases a denser stream of short kernels"

// H4 turns kerneltrace's analysis into a verdict. The long/short threshold
// (stated or adaptive, with its value), the windows and the bootstrap
// settings are written into the verdict.
func H4(r kerneltrace.H4Result, seed uint64) Verdict {
	v := Verdict{ID: "H4", Claim: H4Claim, Seed: seed, Alpha: r.Alpha, N: r.PrefillKernels + r.DecodeKernels}
	w := r.PrefillWindows + r.DecodeWindows
	test := fmt.Sprintf("bootstrap over time windows (%d + %d windows, B=%d)", r.PrefillWindows, r.DecodeWindows, r.B)
	ls, sd := r.LongShare, r.ShortDensity
	v.Checks = []Check{{
		Name: "long-share", Claim: ls.Claim + " (difference > 0)", Outcome: Outcome(ls.Outcome), Test: test + ", CI of the difference",
		Statistic: Float(ls.Ratio), Alpha: r.Alpha, Effect: Float(ls.Diff), EffectCI: ls.DiffCI, Unit: "share", N: w,
		Detail: fmt.Sprintf("prefill-heavy %s, decode-heavy %s; statistic = ratio", Num(ls.Prefill), Num(ls.Decode)),
	}, {
		Name: "short-density", Claim: fmt.Sprintf("%s (ratio > %.2f)", sd.Claim, kerneltrace.MinDensityRatio), Outcome: Outcome(sd.Outcome), Test: test + ", CI of the ratio",
		Statistic: Float(sd.Diff), Alpha: r.Alpha, Effect: Float(sd.Ratio), EffectCI: sd.RatioCI, Unit: "ratio", N: w,
		Detail: fmt.Sprintf("decode-heavy %s, prefill-heavy %s short kernels/ms; statistic = difference", Num(sd.Decode), Num(sd.Prefill)),
	}}
	v.Info = append(v.Info, fmt.Sprintf("long kernels: ≥ %s (%s threshold); phases aligned by %s; prefill-heavy profile %s (phases %v), decode-heavy %s (phases %v)",
		r.Threshold.Value, r.Threshold.Method, r.Alignment, r.Prefill, r.PrefillPhases, r.Decode, r.DecodePhases))
	for _, p := range r.Phases {
		v.Evidence = append(v.Evidence, Level{
			Label: fmt.Sprintf("phase %d %s c=%d: %d kernels, long share %.3f, %.2f short/ms", p.Index, p.Profile, p.Concurrency, p.Kernels, p.LongShare, p.ShortDensity),
			N:     p.Kernels, Median: Float(p.P50.Seconds()), MedianCI: stats.CI{Lo: math.NaN(), Hi: math.NaN()}, Unit: "s (kernel duration)",
		})
	}
	v.Warnings = append(v.Warnings, r.Warnings...)
	if r.Reason != "" {
		v.Info = append(v.Info, r.Reason)
	}
	v.Combine()
	if r.Outcome == kerneltrace.Inconclusive && v.Outcome != Fail {
		v.Outcome = Inconclusive
	}
	v.Headline(v.Checks[0], v.Checks[0])
	return v
}

// H4Unavailable is H4's verdict when no kernel trace could be had: it says
// why and is inconclusive, never a pass.
func H4Unavailable(why string, seed uint64) Verdict {
	nan := math.NaN()
	return Verdict{ID: "H4", Claim: H4Claim, Outcome: Inconclusive, Seed: seed, Test: "none: no kernel trace",
		Statistic: Float(nan), Effect: Float(nan), EffectCI: stats.CI{Lo: nan, Hi: nan},
		Info: []string{"H4 could not run: " + why}}
}
