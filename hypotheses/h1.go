package hypotheses

import (
	"fmt"
	"math"

	"github.com/hypobench/hypobench/experiment"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/stats"
	"github.com/hypobench/hypobench/verdict"
)

// H1Claim is H1 in words.
const H1Claim = "TTFT follows prefill: the longer the prompt, the higher the TTFT (roughly linear or sub-linear)"

// H1MinGrowth is the smallest relative TTFT growth over the prompt ladder
// that counts as "TTFT grows with prompt length" (25%): median TTFT at the
// longest prompt must exceed 1.25 × median TTFT at the shortest. A smaller
// effect is not what the claim is about, and an interval wholly below it
// contradicts the claim. The bound is a ratio of two TTFTs measured the
// same way, so a time compression (the embedded engine's speed) drops out
// of it; only a constant overhead outside the server (the client's, the
// network's) dilutes it.
const H1MinGrowth = 0.25

// H1 analyses a prompt-length ladder run at concurrency 1 with tiny
// outputs, in rounds (H1Design).
//
// Checks:
//
//   - trend: one-sided Kendall τ-b of TTFT on prompt tokens with a seeded
//     permutation p-value. Unit: the request — at concurrency 1 requests
//     share no batch, and the design interleaves the levels at random.
//     Pass when p < α, otherwise inconclusive: no trend alone does not
//     contradict the claim.
//   - growth (deciding): per round, log(median TTFT at the longest prompt
//     / median TTFT at the shortest); the t interval over rounds (level
//     1 − 2α, see package verdict) must lie above log(1 + H1MinGrowth).
//     Unit: the round. Fail when it lies wholly below: TTFT does not
//     follow prompt length. Meant to catch an engine whose prompt
//     processing is free (the FlatPrefill knob with a free tokenizer),
//     where the ratio is 1 at every speed and profile.
//
// The growth exponent (log-log Theil–Sen slope of TTFT on prompt tokens)
// is reported as found: "linear or sub-linear" holds when it is not
// significantly above 1. What a client sees as prompt processing includes
// the server's tokenizer; TTFT cannot tell it from the GEMMs of prefill.
//
// x is the server's usage.prompt_tokens; when a server reports none, the
// prompt repetition count stands in and a warning says so.
func H1(recs []record.Record, o Options) verdict.Verdict {
	o = o.WithDefaults()
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
	ttft := func(r *record.Record) (float64, bool) { return fptr(r.TTFT) }
	gs := groupBy(good, func(r *record.Record) int { return r.PromptRep }, xOf, ttft)
	var xs, ys []float64
	for i := range good {
		if y, ok := fptr(good[i].TTFT); ok {
			xs = append(xs, xOf(&good[i]))
			ys = append(ys, y)
		}
	}
	v.N = len(xs)
	v.Evidence = evidence(gs, func(g group) string { return fmt.Sprintf("%.0f prompt tokens", g.x) }, "s TTFT", o.Level())
	if len(gs) < 3 {
		v.Warnings = append(v.Warnings, stats.Warnf(stats.ErrTooFewData, "%d prompt lengths; at least 3 are needed", len(gs)))
		v.Combine()
		return v
	}
	trend := experiment.KendallTrend("trend", "TTFT rises with prompt tokens", xs, ys, experiment.Rising, 1, o)
	trend.Sample = fmt.Sprintf("%d requests at c=1", len(xs))
	lo, hi := gs[0].key, gs[len(gs)-1].key
	growth := h1Growth(good, lo, hi, o)
	if growth.EffectCI.Valid() {
		growth.Sentence = fmt.Sprintf("TTFT grew %s× from %s to %s prompt tokens, %g%% CI %s–%s×", verdict.Num(1+growth.Effect),
			verdict.Thousands(gs[0].x), verdict.Thousands(gs[len(gs)-1].x), growth.EffectCI.Level*100,
			verdict.Num(1+growth.EffectCI.Lo), verdict.Num(1+growth.EffectCI.Hi))
	}
	v.Checks = append(v.Checks, growth, trend)
	exp, ci := stats.Elasticity(xs, ys, o.Level())
	shape := "sub-linear or linear (exponent not significantly above 1)"
	if ci.Valid() && ci.Lo > 1 {
		shape = "super-linear (exponent significantly above 1)"
	}
	v.Info = append(v.Info, fmt.Sprintf("growth exponent (log-log Theil–Sen slope of TTFT on prompt tokens) %s, CI %s: %s",
		verdict.Num(exp), verdict.CIString(ci.Lo, ci.Hi, ci.Level), shape))
	attachCalibration(&v)
	v.Combine()
	v.Headline(trend, growth)
	return v
}

// h1Growth is H1's deciding check, growth, on the successful records of
// a design whose shortest and longest prompts have lo and hi repetitions
// (H1 calls it; so does its calibration, hypotheses/h123calib_test.go).
func h1Growth(good []record.Record, lo, hi int, o Options) verdict.Check {
	var ests []float64
	perRound := 0
	for _, rr := range rounds(good) {
		ests = append(ests, h1GrowthEstimate(rr, lo, hi))
		perRound = max(perRound, countWhere(rr, func(r *record.Record) bool { return r.PromptRep == lo }))
	}
	return experiment.RoundCheck(experiment.RoundSpec{Name: "growth",
		Claim: fmt.Sprintf("median TTFT at %d repetitions exceeds that at %d by more than %.0f%%", hi, lo, H1MinGrowth*100),
		Test:  "per-round log ratio of median TTFT, longest over shortest prompt", Unit: "relative growth",
		Bound: math.Log1p(H1MinGrowth), Greater: true, Show: math.Expm1, PerRound: perRound}, ests, o)
}

// h1GrowthEstimate is one round's growth estimate: log(median TTFT at hi
// repetitions / median TTFT at lo).
func h1GrowthEstimate(round []record.Record, lo, hi int) float64 {
	ttft := func(r *record.Record) (float64, bool) { return fptr(r.TTFT) }
	at := func(rep int) float64 {
		return medianWhere(round, func(r *record.Record) bool { return r.PromptRep == rep }, ttft)
	}
	return experiment.LogRatio(at(hi), at(lo))
}

// countWhere counts the records keep selects.
func countWhere(recs []record.Record, keep func(*record.Record) bool) int {
	n := 0
	for i := range recs {
		if keep(&recs[i]) {
			n++
		}
	}
	return n
}
