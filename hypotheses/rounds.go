package hypotheses

import (
	"fmt"
	"math"
	"slices"

	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/stats"
	"github.com/hypobench/hypobench/verdict"
)

// MinRounds is the fewest rounds a round-based check decides on: with
// fewer, its t interval has no useful width and the check is inconclusive.
const MinRounds = 3

// rounds splits records by record.Round, in round order. Records of a
// design without rounds all have round 0 and form a single round.
func rounds(recs []record.Record) [][]record.Record {
	if slices.IsSortedFunc(recs, func(a, b record.Record) int { return a.Round - b.Round }) {
		// Already in round order (as a run writes them): the rounds are
		// sub-slices, capped so that an append cannot reach the next.
		var out [][]record.Record
		for i := 0; i < len(recs); {
			j := i + 1
			for j < len(recs) && recs[j].Round == recs[i].Round {
				j++
			}
			out = append(out, recs[i:j:j])
			i = j
		}
		return out
	}
	m := map[int][]record.Record{}
	var keys []int
	for _, r := range recs {
		if _, ok := m[r.Round]; !ok {
			keys = append(keys, r.Round)
		}
		m[r.Round] = append(m[r.Round], r)
	}
	slices.Sort(keys)
	out := make([][]record.Record, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

// medianWhere is the median of y over the records that keep selects and
// for which y is defined; NaN when there are none.
func medianWhere(recs []record.Record, keep func(*record.Record) bool, y func(*record.Record) (float64, bool)) float64 {
	var ys []float64
	for i := range recs {
		if keep(&recs[i]) {
			if v, ok := y(&recs[i]); ok {
				ys = append(ys, v)
			}
		}
	}
	if len(ys) == 0 {
		return math.NaN()
	}
	return stats.Median(ys)
}

// roundSpec describes a round-based check: its per-round estimate lives on
// an analysis scale (a log ratio, an elasticity) where it is close to
// normal, and show maps that scale to the effect a person reads (a ratio).
type roundSpec struct {
	name, claim, test, unit string
	// bound on the analysis scale; greater: the claim is "estimate >
	// bound", else "estimate < bound". band > 0 makes the claim an
	// equivalence: |estimate| < band (bound and greater unused).
	bound   float64
	greater bool
	band    float64
	show    func(float64) float64
	// perRound is the requests per level of one round, to turn needed
	// rounds into needed requests per level.
	perRound int
}

// roundCheck decides a claim from one estimate per round — the rounds
// are the independent units: each ran every level once, in its own random
// order — by the t interval (stats.TInterval) of their mean at level
// 1 − 2α: pass when the interval lies wholly on the claimed side of the
// bound (inside the band), fail when wholly on the other side (outside),
// inconclusive otherwise or with fewer than MinRounds finite estimates.
func roundCheck(sp roundSpec, ests []float64, o Options) verdict.Check {
	show := sp.show
	if show == nil {
		show = func(x float64) float64 { return x }
	}
	c := verdict.Check{Name: sp.name, Claim: sp.claim, Test: sp.test + ", t interval over rounds", Alpha: o.Alpha, Unit: sp.unit,
		Outcome: verdict.Inconclusive}
	var fin []float64
	for _, e := range ests {
		if !math.IsNaN(e) && !math.IsInf(e, 0) {
			fin = append(fin, e)
		}
	}
	c.N = len(fin)
	c.Sample = fmt.Sprintf("%d rounds", len(fin))
	nan := verdict.Float(math.NaN())
	if len(fin) < MinRounds {
		c.Statistic, c.Effect, c.EffectCI = nan, nan, stats.CI{Lo: math.NaN(), Hi: math.NaN(), Level: o.level()}
		c.Detail = fmt.Sprintf("%d rounds with an estimate; at least %d are needed (the design's rounds)", len(fin), MinRounds)
		return c
	}
	m, ci := stats.TInterval(fin, o.level())
	c.Statistic = verdict.Float(m)
	c.Effect = verdict.Float(show(m))
	c.EffectCI = stats.CI{Lo: show(ci.Lo), Hi: show(ci.Hi), Level: ci.Level}
	lo, hi := sp.bound, sp.bound
	if sp.band > 0 {
		lo, hi = -sp.band, sp.band
		switch {
		case !ci.Valid():
		case ci.Lo > lo && ci.Hi < hi:
			c.Outcome = verdict.Pass
		case ci.Hi < lo || ci.Lo > hi:
			c.Outcome = verdict.Fail
		}
		c.Detail = fmt.Sprintf("statistic = mean per-round estimate on the analysis scale; claim: inside [%s, %s] (effect scale [%s, %s])",
			verdict.Num(lo), verdict.Num(hi), verdict.Num(show(lo)), verdict.Num(show(hi)))
	} else {
		c.Outcome = verdict.CIOutcome(ci, sp.bound, sp.greater)
		side := "<"
		if sp.greater {
			side = ">"
		}
		c.Detail = fmt.Sprintf("statistic = mean per-round estimate on the analysis scale; claim: %s %s (effect scale %s)",
			side, verdict.Num(sp.bound), verdict.Num(show(sp.bound)))
	}
	if c.Outcome == verdict.Inconclusive && ci.Valid() {
		target := math.Min(math.Abs(m-lo), math.Abs(m-hi))
		if need := stats.NeededN(len(fin), (ci.Hi-ci.Lo)/2, target); need > 0 {
			c.NeededN = need * max(sp.perRound, 1)
			c.Detail += fmt.Sprintf("; about %d rounds would likely decide it", need)
		}
	}
	return c
}

// logRatio is log(a/b), NaN unless both are positive.
func logRatio(a, b float64) float64 {
	if !(a > 0 && b > 0) {
		return math.NaN()
	}
	return math.Log(a / b)
}

// levelElasticity is the Theil–Sen slope of log y on log x over one
// round's level medians: the exponent of y's growth with x.
func levelElasticity(xs, ys []float64) float64 {
	var lx, ly []float64
	for i := range xs {
		if xs[i] > 0 && ys[i] > 0 {
			lx = append(lx, math.Log(xs[i]))
			ly = append(ly, math.Log(ys[i]))
		}
	}
	if len(lx) < 3 {
		return math.NaN()
	}
	s, _, _ := stats.TheilSen(lx, ly, 0.9)
	return s
}
