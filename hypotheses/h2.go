package hypotheses

import (
	"fmt"
	"math"

	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/stats"
	"github.com/hypobench/hypobench/verdict"
)

// H2Claim is H2 in words.
const H2Claim = "TPOT follows decode: E2E latency tracks output tokens, TPOT settles over long outputs, and rises with concurrency at most linearly"

// H2MinGrowth is the smallest relative growth of E2E over the output ladder
// that counts as "latency tracks max_tokens": E2E must at least double from
// one output token to the longest output. Real servers grow by two orders of
// magnitude over 1 → 512 tokens; a server whose decode is free still grows a
// little from the cost of streaming the events, which must not count.
const H2MinGrowth = 1.0

// H2SettleBand is the equivalence band for "TPOT is settled": the ratio of
// median TPOT at the two longest outputs must lie within [1/band, band].
const H2SettleBand = 1.25

// H2 analyses an output-length ladder at concurrency 1 (ladder) and a
// concurrency ladder of one decode-heavy profile (conc).
//
// Checks: (e2e-trend) one-sided Kendall τ-b of E2E on output tokens;
// (e2e-growth) Theil–Sen relative growth of E2E over the ladder above
// H2MinGrowth; (settle) bootstrap CI of the ratio of median TPOT at the two
// longest outputs inside [1/H2SettleBand, H2SettleBand] — pass inside, fail
// wholly outside; (concurrency) log-log Theil–Sen elasticity of TPOT on
// concurrency with its CI below 1 (sub-linear) — fail when the CI lies at or
// above 1. TPOT of requests with fewer than 2 output tokens is undefined:
// such requests are excluded and counted, never averaged in (the seed's
// measurement trap). The linear fit's R² and its slope against median TPOT
// are reported as found.
func H2(ladder, conc []record.Record, o Options) verdict.Verdict {
	o = o.withDefaults()
	v := verdict.Verdict{ID: "H2", Claim: H2Claim, Seed: o.Seed, Alpha: o.Alpha}
	good := ok(ladder)
	if n := len(ladder) - len(good); n > 0 {
		v.Warnings = append(v.Warnings, stats.Warnf(stats.ErrDropped, "%d failed requests excluded from the output ladder", n))
	}
	nOf := func(r *record.Record) float64 { return float64(r.N()) }
	var xs, ys []float64
	undefined := 0
	for i := range good {
		if good[i].TPOT == nil {
			undefined++
		}
		if y, ok := fptr(good[i].E2E); ok {
			xs = append(xs, nOf(&good[i]))
			ys = append(ys, y)
		}
	}
	v.N = len(xs)
	v.Info = append(v.Info, fmt.Sprintf("TPOT is undefined for %d of %d requests with fewer than 2 output tokens: excluded and counted, never averaged in", undefined, len(good)))
	gs := groupBy(good, func(r *record.Record) int { return r.MaxTokens }, nOf, func(r *record.Record) (float64, bool) { return fptr(r.E2E) })
	v.Evidence = evidence(gs, func(g group) string { return fmt.Sprintf("max_tokens %d (%.0f out)", g.key, g.x) }, "s E2E", 0.95)
	if len(gs) < 3 {
		v.Warnings = append(v.Warnings, stats.Warnf(stats.ErrTooFewData, "%d output lengths; at least 3 are needed", len(gs)))
		v.Combine()
		return v
	}
	trend := trendCheck("e2e-trend", "E2E rises with output tokens", xs, ys, 2, o)
	growth := growthCheck("e2e-growth", fmt.Sprintf("E2E grows by more than %.0f%% over the output ladder", H2MinGrowth*100),
		"relative", xs, ys, stats.Median(gs[0].ys), H2MinGrowth, o)
	v.Checks = append(v.Checks, trend, growth)

	fit := stats.LinearFit(xs, ys, o.level())
	tpots := groupBy(good, func(r *record.Record) int { return r.MaxTokens }, nOf, func(r *record.Record) (float64, bool) { return fptr(r.TPOT) })
	if len(tpots) > 0 {
		top := tpots[len(tpots)-1]
		med := stats.Median(top.ys)
		v.Info = append(v.Info, fmt.Sprintf("linear fit of E2E on output tokens: slope %s s/token (CI %s), R² %s; median TPOT at max_tokens %d is %s s: slope/TPOT = %s",
			verdict.Num(fit.Slope), verdict.CIString(fit.SlopeCI.Lo, fit.SlopeCI.Hi, fit.SlopeCI.Level), verdict.Num(fit.R2), top.key, verdict.Num(med), verdict.Num(fit.Slope/med)))
		if fit.R2 < 0.9 {
			v.Warnings = append(v.Warnings, stats.Warnf(ErrPoorFit, "R² of E2E on output tokens is %s (< 0.9): latency is not well described by a line", verdict.Num(fit.R2)))
		}
	}
	v.Checks = append(v.Checks, settleCheck(tpots, o))
	v.Checks = append(v.Checks, elasticityCheck("concurrency", "TPOT rises with concurrency at most linearly (elasticity < 1)", conc, 1, o))
	v.Combine()
	v.Headline(v.Checks[0], v.Checks[1])
	return v
}

// settleCheck compares median TPOT at the two longest outputs.
func settleCheck(tpots []group, o Options) verdict.Check {
	c := verdict.Check{Name: "settle", Claim: fmt.Sprintf("TPOT is settled over long outputs (ratio of medians within ×%.2f)", H2SettleBand),
		Test: fmt.Sprintf("bootstrap CI of the ratio of medians, B=%d", o.B), Alpha: o.Alpha, Unit: "ratio", Outcome: verdict.Inconclusive}
	if len(tpots) < 2 || len(tpots[len(tpots)-1].ys) < 3 || len(tpots[len(tpots)-2].ys) < 3 {
		c.Detail = "fewer than two long-output levels with 3 TPOT values each"
		c.EffectCI = stats.CI{Lo: math.NaN(), Hi: math.NaN()}
		c.Effect, c.Statistic = verdict.Float(math.NaN()), verdict.Float(math.NaN())
		return c
	}
	a, b := tpots[len(tpots)-2], tpots[len(tpots)-1]
	r, ci := stats.BootstrapRatio(o.rng(3), a.ys, b.ys, stats.Median, o.B, o.level())
	c.Statistic, c.Effect, c.EffectCI, c.N = verdict.Float(r), verdict.Float(r), ci, len(a.ys)+len(b.ys)
	c.Detail = fmt.Sprintf("median TPOT at max_tokens %d over max_tokens %d", b.key, a.key)
	lo, hi := 1/H2SettleBand, H2SettleBand
	switch {
	case !ci.Valid():
	case ci.Lo >= lo && ci.Hi <= hi:
		c.Outcome = verdict.Pass
	case ci.Hi < lo || ci.Lo > hi:
		c.Outcome = verdict.Fail
	}
	return c
}

// elasticityCheck is the log-log Theil–Sen slope of TPOT on concurrency,
// claimed to lie below bound.
func elasticityCheck(name, claim string, recs []record.Record, bound float64, o Options) verdict.Check {
	c := verdict.Check{Name: name, Claim: claim, Test: "log-log Theil–Sen elasticity, Sen's CI", Alpha: o.Alpha, Unit: "elasticity", Outcome: verdict.Inconclusive}
	var xs, ys []float64
	levels := map[int]bool{}
	for _, r := range ok(recs) {
		if y, ok := fptr(r.TPOT); ok && y > 0 {
			xs = append(xs, float64(r.Concurrency))
			ys = append(ys, y)
			levels[r.Concurrency] = true
		}
	}
	c.N = len(xs)
	if len(levels) < 3 {
		c.Detail = fmt.Sprintf("%d concurrency levels with TPOT; at least 3 are needed", len(levels))
		c.Effect, c.Statistic, c.EffectCI = verdict.Float(math.NaN()), verdict.Float(math.NaN()), stats.CI{Lo: math.NaN(), Hi: math.NaN()}
		return c
	}
	e, ci := stats.Elasticity(xs, ys, o.level())
	c.Statistic, c.Effect, c.EffectCI = verdict.Float(e), verdict.Float(e), ci
	c.Outcome = verdict.CIOutcome(ci, bound, false)
	if c.Outcome == verdict.Inconclusive && ci.Valid() {
		c.NeededN = neededFor(len(xs), ci, e, bound)
	}
	return c
}
