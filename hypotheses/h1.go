package hypotheses

import (
	"fmt"

	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/stats"
	"github.com/hypobench/hypobench/verdict"
)

// H1Claim is H1 in words.
const H1Claim = "TTFT follows prefill: the longer the prompt, the higher the TTFT (roughly linear or sub-linear)"

// H1MinGrowth is the smallest relative TTFT growth over the prompt ladder
// that counts as "TTFT grows with prompt length" (25%): a smaller effect is
// not what the claim is about, and a CI wholly below it contradicts the claim.
const H1MinGrowth = 0.25

// H1 analyses a prompt-length ladder run at concurrency 1 with tiny outputs.
//
// Checks: (trend) one-sided Kendall τ-b of TTFT on prompt tokens with a
// seeded permutation p-value — pass when p < α, otherwise inconclusive;
// (growth) the Theil–Sen slope, scaled to the relative growth of TTFT over
// the ladder, with Sen's CI at level 1 − 2α — pass when the CI lies above
// H1MinGrowth, fail when it lies below. The growth exponent (log-log
// Theil–Sen slope with CI) is reported as found: "linear or sub-linear"
// holds when it is not significantly above 1.
//
// x is the server's usage.prompt_tokens; when a server reports none, the
// prompt repetition count stands in and a warning says so.
func H1(recs []record.Record, o Options) verdict.Verdict {
	o = o.withDefaults()
	v := verdict.Verdict{ID: "H1", Claim: H1Claim, Seed: o.Seed, Alpha: o.Alpha}
	good := ok(recs)
	if n := len(recs) - len(good); n > 0 {
		v.Warnings = append(v.Warnings, stats.Warnf(stats.ErrDropped, "%d failed requests excluded", n))
	}
	xOf := promptTokens
	for i := range good {
		if good[i].PromptTokens == nil {
			xOf = func(r *record.Record) float64 { return float64(r.PromptRep) }
			v.Warnings = append(v.Warnings, stats.Warnf(ErrStandIn, "the server reported no prompt tokens: prompt_rep stands in for prompt length"))
			break
		}
	}
	gs := groupBy(good, func(r *record.Record) int { return r.PromptRep }, xOf, func(r *record.Record) (float64, bool) { return fptr(r.TTFT) })
	var xs, ys []float64
	for i := range good {
		if y, ok := fptr(good[i].TTFT); ok {
			xs = append(xs, xOf(&good[i]))
			ys = append(ys, y)
		}
	}
	v.N = len(xs)
	v.Evidence = evidence(gs, func(g group) string { return fmt.Sprintf("%.0f prompt tokens", g.x) }, "s TTFT", 0.95)
	if len(gs) < 3 {
		v.Warnings = append(v.Warnings, stats.Warnf(stats.ErrTooFewData, "%d prompt lengths; at least 3 are needed", len(gs)))
		v.Combine()
		return v
	}
	v.Checks = append(v.Checks, trendCheck("trend", "TTFT rises with prompt tokens", xs, ys, 1, o))
	base := gs[0].ys
	v.Checks = append(v.Checks, growthCheck("growth", fmt.Sprintf("TTFT grows by more than %.0f%% over the prompt ladder", H1MinGrowth*100),
		"× baseline", xs, ys, stats.Median(base), H1MinGrowth, o))
	v.Checks[1].Unit = "relative"
	if g := &v.Checks[1]; g.EffectCI.Valid() {
		g.Sentence = fmt.Sprintf("TTFT grew %s× from %s to %s prompt tokens, %g%% CI %s–%s×", verdict.Num(1+g.Effect),
			verdict.Thousands(gs[0].x), verdict.Thousands(gs[len(gs)-1].x), g.EffectCI.Level*100,
			verdict.Num(1+g.EffectCI.Lo), verdict.Num(1+g.EffectCI.Hi))
	}
	exp, ci := stats.Elasticity(xs, ys, o.level())
	shape := "sub-linear or linear (exponent not significantly above 1)"
	if ci.Valid() && ci.Lo > 1 {
		shape = "super-linear (exponent significantly above 1)"
	}
	v.Info = append(v.Info, fmt.Sprintf("growth exponent (log-log Theil–Sen slope of TTFT on prompt tokens) %s, CI %s: %s",
		verdict.Num(exp), verdict.CIString(ci.Lo, ci.Hi, ci.Level), shape))
	v.Combine()
	v.Headline(v.Checks[0], v.Checks[1])
	return v
}
