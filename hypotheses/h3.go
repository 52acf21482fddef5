package hypotheses

import (
	"fmt"
	"math"
	"slices"

	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/stats"
	"github.com/hypobench/hypobench/verdict"
)

// H3Claim is H3 in words.
const H3Claim = "As concurrency rises the bottleneck moves from prefill to memory-bound decode: aggregate output throughput grows with concurrency while TPOT grows far slower than concurrency"

// H3MaxTPOTElasticity bounds "TPOT grows far slower than concurrency": the
// elasticity of TPOT on concurrency must lie below 0.5 (doubling concurrency
// costs less than √2 in TPOT). A memory-bound decode step reads the weights
// once per step whatever the batch, so its elasticity is near 0; a
// compute-bound one approaches 1.
const H3MaxTPOTElasticity = 0.5

// H3 analyses a concurrency ladder of a decode-heavy profile (for example
// short_long at c = 1, 2, 4, 8, 16).
//
// Checks: (throughput) aggregate output throughput at the highest level over
// the lowest — estimated per level as c × Σ output tokens / Σ request time,
// which is exact for a closed loop whose c workers are always busy — with a
// bootstrap CI (whole requests resampled within each level); pass when the
// CI lies above (c_max/c_min)^0.5, i.e. a throughput elasticity above ½, fail
// when it lies below; (tpot) the log-log elasticity of TPOT on concurrency
// below H3MaxTPOTElasticity. Prefill's share of request time (TTFT / E2E)
// per level, and any server-side evidence passed in, are reported as found.
func H3(conc []record.Record, server []string, o Options) verdict.Verdict {
	o = o.withDefaults()
	v := verdict.Verdict{ID: "H3", Claim: H3Claim, Seed: o.Seed, Alpha: o.Alpha}
	good := ok(conc)
	if n := len(conc) - len(good); n > 0 {
		v.Warnings = append(v.Warnings, stats.Warnf(stats.ErrDropped, "%d failed requests excluded", n))
	}
	byC := map[int][]record.Record{}
	var levels []int
	for _, r := range good {
		if byC[r.Concurrency] == nil {
			levels = append(levels, r.Concurrency)
		}
		byC[r.Concurrency] = append(byC[r.Concurrency], r)
	}
	slices.Sort(levels)
	v.N = len(good)
	tp := groupBy(good, func(r *record.Record) int { return r.Concurrency }, func(r *record.Record) float64 { return float64(r.Concurrency) },
		func(r *record.Record) (float64, bool) { return fptr(r.TPOT) })
	v.Evidence = evidence(tp, func(g group) string { return fmt.Sprintf("c=%d", g.key) }, "s TPOT", 0.95)
	for _, c := range levels {
		var share []float64
		for _, r := range byC[c] {
			if t, ok1 := fptr(r.TTFT); ok1 {
				if e, ok2 := fptr(r.E2E); ok2 && e > 0 {
					share = append(share, t/e)
				}
			}
		}
		v.Info = append(v.Info, fmt.Sprintf("c=%d: throughput %s output tokens/s, prefill share of request time (median TTFT/E2E) %s",
			c, verdict.Num(throughput(byC[c], nil)), verdict.Num(stats.Median(share))))
	}
	if len(server) == 0 {
		v.Info = append(v.Info, "server-side evidence: not available (the target exposes no vLLM /metrics, or none was scraped)")
	}
	v.Info = append(v.Info, server...)
	if len(levels) < 3 {
		v.Warnings = append(v.Warnings, stats.Warnf(stats.ErrTooFewData, "%d concurrency levels; at least 3 are needed", len(levels)))
		v.Combine()
		return v
	}
	lo, hi := levels[0], levels[len(levels)-1]
	v.Checks = append(v.Checks, throughputCheck(byC[lo], byC[hi], lo, hi, o))
	v.Checks = append(v.Checks, elasticityCheck("tpot", fmt.Sprintf("TPOT grows far slower than concurrency (elasticity < %.1f)", H3MaxTPOTElasticity), good, H3MaxTPOTElasticity, o))
	v.Combine()
	v.Headline(v.Checks[1], v.Checks[0])
	return v
}

// throughput is c × Σ output tokens / Σ total_s over the records selected
// by idx (all when idx is nil).
func throughput(recs []record.Record, idx []int) float64 {
	var tok, sec float64
	add := func(r *record.Record) {
		tok += float64(r.N())
		sec += r.Total
	}
	if idx == nil {
		for i := range recs {
			add(&recs[i])
		}
	} else {
		for _, i := range idx {
			add(&recs[i])
		}
	}
	if sec == 0 || len(recs) == 0 {
		return math.NaN()
	}
	return float64(recs[0].Concurrency) * tok / sec
}

// throughputCheck bootstraps the ratio of throughput at the highest level to
// that at the lowest, resampling whole requests within each level
// independently (stats.BootstrapTwo).
func throughputCheck(base, top []record.Record, lo, hi int, o Options) verdict.Check {
	bound := math.Sqrt(float64(hi) / float64(lo))
	c := verdict.Check{Name: "throughput", Claim: fmt.Sprintf("aggregate output throughput at c=%d exceeds c=%d by more than ×%.2f (elasticity > ½)", hi, lo, bound),
		Test: fmt.Sprintf("bootstrap CI of the throughput ratio, B=%d", o.B), Alpha: o.Alpha, Unit: "ratio", N: len(base) + len(top), Outcome: verdict.Inconclusive}
	if len(base) < 3 || len(top) < 3 {
		c.Detail = "fewer than 3 requests at an end of the ladder"
		c.Effect, c.Statistic, c.EffectCI = verdict.Float(math.NaN()), verdict.Float(math.NaN()), stats.CI{Lo: math.NaN(), Hi: math.NaN()}
		return c
	}
	est, ci := stats.BootstrapTwo(o.rng(4), len(base), len(top), o.B, o.level(), func(ib, it []int) float64 {
		return throughput(top, it) / throughput(base, ib)
	})
	c.Statistic, c.Effect, c.EffectCI = verdict.Float(est), verdict.Float(est), ci
	c.Outcome = verdict.CIOutcome(ci, bound, true)
	if c.Outcome == verdict.Inconclusive && ci.Valid() {
		c.NeededN = neededFor(c.N, ci, est, bound)
	}
	return c
}
