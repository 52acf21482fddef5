package hypotheses

import (
	"fmt"
	"math"

	"github.com/hypobench/hypobench/experiment"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/stats"
	"github.com/hypobench/hypobench/verdict"
)

// H2Claim is H2 in words.
const H2Claim = "TPOT follows decode: E2E latency tracks output tokens, TPOT settles over long outputs, and decode is batched (TPOT rises with concurrency far slower than linearly)"

// H2MinTokenCost is the smallest cost of one output token, relative to a
// whole one-token request, that counts as "latency tracks max_tokens":
// median TPOT at the longest output must exceed 0.1 × median TTFT of the
// one-token requests (so E2E at 512 tokens exceeds ~52 × E2E at one
// token). A decode step reads the weights once, about what a short prompt's
// prefill step costs on a GPU, so GPU servers give 0.3–1 (the embedded
// engine's profiles 0.55–0.94); on a CPU engine prefill is compute-bound and
// slow, which is why H2Design's prompt is short (H2PromptRep) — Ollama's
// tiny e2e model should then give ~0.3 (TPOT ~4.7 ms against a ~16 ms
// one-token request; estimated from the last e2e run's TTFTs, not yet
// measured with this design). A server whose decode is
// free still pays the client's and the transport's few µs per streamed
// event, 0.001–0.02 of a request — which an E2E-growth bound relative to
// one TTFT (the previous definition) could not tell from decode. Both
// sides of the ratio are times of the same server measured the same way,
// so a time compression drops out.
const H2MinTokenCost = 0.1

// H2SettleBand is the equivalence band for "TPOT is settled": the ratio of
// median TPOT at the two longest outputs must lie within [1/band, band].
const H2SettleBand = 1.25

// MaxDecodeElasticity bounds "decode is batched", in H2 and H3: the
// elasticity of median TPOT on concurrency (the exponent b of TPOT ∝ c^b)
// must lie below ¼, i.e. doubling the concurrency costs less than 19% in
// TPOT. A batched, memory-bound decode step reads the weights once
// whatever the batch (elasticity near 0, growing with the KV read); an
// engine that does not batch decode has elasticity near 1 — but one whose
// fixed per-step host cost dwarfs its per-sequence GPU work sits between,
// which is why the bound is not ½ or 1: "at most linearly" can never fail
// on an engine that is exactly linear.
const MaxDecodeElasticity = 0.25

// H2 analyses an output-length ladder at concurrency 1 (ladder, H2Design)
// and a concurrency ladder of one decode-heavy profile (conc,
// ConcurrencyDesign), both in rounds.
//
// Checks:
//
//   - e2e-trend: one-sided Kendall τ-b of E2E on output tokens, seeded
//     permutation p-value. Unit: the request at c=1. Pass when p < α,
//     otherwise inconclusive.
//   - token-cost (deciding for free decode): per round, log(median TPOT at
//     the longest output / median TTFT of the one-token requests); the t
//     interval over rounds must lie above log(H2MinTokenCost). Unit: the
//     round. Fail when wholly below: output tokens cost what streaming
//     costs, not decode. Meant to catch the FreeDecode engine at every
//     profile and speed.
//   - settle: per round, log(median TPOT at the longest output / at the
//     second longest); the t interval must lie inside ±log(H2SettleBand)
//     (pass) or wholly outside (fail).
//   - batching (deciding for no batching): per round, the Theil–Sen slope
//     of log median TPOT on log concurrency over the levels; the t interval
//     over rounds must lie below MaxDecodeElasticity. Unit: the round —
//     requests of one level share batches, so they are never the unit.
//     Meant to catch the ComputeBoundDecode engine.
//
// TPOT of requests with fewer than 2 output tokens is undefined: such
// requests are excluded and counted, never averaged in (the seed's
// measurement trap). The linear fit of E2E on output tokens (R², slope
// against median TPOT) is reported as found.
func H2(ladder, conc []record.Record, o Options) verdict.Verdict {
	o = o.WithDefaults()
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
	e2e := func(r *record.Record) (float64, bool) { return fptr(r.E2E) }
	tpot := func(r *record.Record) (float64, bool) { return fptr(r.TPOT) }
	gs := groupBy(good, func(r *record.Record) int { return r.MaxTokens }, nOf, e2e)
	v.Evidence = evidence(gs, func(g group) string { return fmt.Sprintf("max_tokens %d (%.0f out)", g.key, g.x) }, "s E2E", o.Level())
	if len(gs) < 3 {
		v.Warnings = append(v.Warnings, stats.Warnf(stats.ErrTooFewData, "%d output lengths; at least 3 are needed", len(gs)))
		v.Combine()
		return v
	}
	trend := experiment.KendallTrend("e2e-trend", "E2E rises with output tokens", xs, ys, experiment.Rising, 2, o)
	trend.Sample = fmt.Sprintf("%d requests at c=1", len(xs))

	first, last, prev := gs[0].key, gs[len(gs)-1].key, gs[len(gs)-2].key
	tokenCost, settled := h2RoundChecks(good, first, last, prev, o)
	v.Checks = append(v.Checks, tokenCost, trend, settled, batchingCheck("batching", conc, o))

	fit := stats.LinearFit(xs, ys, o.Level())
	tpots := groupBy(good, func(r *record.Record) int { return r.MaxTokens }, nOf, tpot)
	if len(tpots) > 0 {
		top := tpots[len(tpots)-1]
		med := stats.Median(top.ys)
		v.Info = append(v.Info, fmt.Sprintf("linear fit of E2E on output tokens: slope %s s/token (CI %s), R² %s; median TPOT at max_tokens %d is %s s: slope/TPOT = %s",
			verdict.Num(fit.Slope), verdict.CIString(fit.SlopeCI.Lo, fit.SlopeCI.Hi, fit.SlopeCI.Level), verdict.Num(fit.R2), top.key, verdict.Num(med), verdict.Num(fit.Slope/med)))
		if fit.R2 < 0.9 {
			v.Warnings = append(v.Warnings, stats.Warnf(ErrPoorFit, "R² of E2E on output tokens is %s (< 0.9): latency is not well described by a line", verdict.Num(fit.R2)))
		}
	}
	attachCalibration(&v)
	v.Combine()
	v.Headline(trend, tokenCost)
	return v
}

// h2RoundChecks are H2's round-based checks on the output ladder's
// successful records, token-cost and settle, for the ladder's first, last
// and second-to-last max_tokens (H2 calls it; so does its calibration,
// hypotheses/h123calib_test.go).
func h2RoundChecks(good []record.Record, first, last, prev int, o Options) (tokenCost, settled verdict.Check) {
	tpot := func(r *record.Record) (float64, bool) { return fptr(r.TPOT) }
	var cost, settle []float64
	perRound := 0
	for _, rr := range rounds(good) {
		at := func(m int) float64 {
			return medianWhere(rr, func(r *record.Record) bool { return r.MaxTokens == m }, tpot)
		}
		cost = append(cost, h2CostEstimate(rr, first, last))
		settle = append(settle, experiment.LogRatio(at(last), at(prev)))
		perRound = max(perRound, countWhere(rr, func(r *record.Record) bool { return r.MaxTokens == last }))
	}
	tokenCost = experiment.RoundCheck(experiment.RoundSpec{Name: "token-cost",
		Claim: fmt.Sprintf("an output token costs more than %.2f × a one-token request (median TPOT at max_tokens %d over median TTFT at max_tokens %d)", H2MinTokenCost, last, first),
		Test:  "per-round log ratio of medians", Unit: "ratio", Bound: math.Log(H2MinTokenCost), Greater: true, Show: math.Exp, PerRound: perRound}, cost, o)
	settled = experiment.RoundCheck(experiment.RoundSpec{Name: "settle",
		Claim: fmt.Sprintf("TPOT is settled over long outputs (median TPOT at max_tokens %d over %d within ×%.2f)", last, prev, H2SettleBand),
		Test:  "per-round log ratio of medians, equivalence (TOST)", Unit: "ratio", Band: math.Log(H2SettleBand), Show: math.Exp, PerRound: perRound}, settle, o)
	return tokenCost, settled
}

// h2CostEstimate is one round's token-cost estimate: log(median TPOT at
// max_tokens last / median TTFT at max_tokens first).
func h2CostEstimate(round []record.Record, first, last int) float64 {
	tpot := func(r *record.Record) (float64, bool) { return fptr(r.TPOT) }
	ttft := func(r *record.Record) (float64, bool) { return fptr(r.TTFT) }
	return experiment.LogRatio(medianWhere(round, func(r *record.Record) bool { return r.MaxTokens == last }, tpot),
		medianWhere(round, func(r *record.Record) bool { return r.MaxTokens == first }, ttft))
}

// batchingCheck is the per-round elasticity of median TPOT on
// concurrency, claimed to lie below MaxDecodeElasticity (H2's and H3's
// batching check). recs climb a concurrency ladder or a rate ladder
// (loadLadder): on a rate ladder a level's concurrency is the mean of its
// requests' in-flight counts at send in that round.
func batchingCheck(name string, recs []record.Record, o Options) verdict.Check {
	lad, recs, _ := ladderOf(recs)
	var ests []float64
	perRound := 0
	for _, rr := range rounds(ok(recs)) {
		var xs, ys []float64
		for _, k := range lad.keys(rr) {
			var sel []record.Record
			var tp []float64
			for _, r := range rr {
				if lad.key(&r) == k {
					sel = append(sel, r)
					if y, ok := fptr(r.TPOT); ok {
						tp = append(tp, y)
					}
				}
			}
			if len(tp) == 0 {
				continue
			}
			xs = append(xs, lad.load(sel))
			ys = append(ys, stats.Median(tp))
			perRound = max(perRound, len(tp))
		}
		ests = append(ests, experiment.LogLogSlope(xs, ys))
	}
	test := "per-round Theil–Sen slope of log median TPOT on log concurrency"
	if lad.open {
		test = "per-round Theil–Sen slope of log median TPOT on log mean in-flight count, over the rate ladder's levels"
	}
	return experiment.RoundCheck(experiment.RoundSpec{Name: name,
		Claim: fmt.Sprintf("decode is batched: TPOT grows far slower than concurrency (elasticity < %.2f)", MaxDecodeElasticity),
		Test:  test, Unit: "elasticity",
		Bound: MaxDecodeElasticity, PerRound: perRound}, ests, o)
}
