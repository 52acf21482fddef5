package compare

import (
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/stats"
)

// sample is one side of a check: a metric's values split by the run
// (RunID) each request came from. One run is one round; an interleaved
// session pooled by Load has several.
type sample struct {
	rounds [][]float64
	// starts holds each round's earliest request start (unix ns; 0 when
	// the records have none), used to tell interleaved rounds.
	starts []int64
	flat   []float64
}

func (s sample) n() int { return len(s.flat) }

// values collects m from the successful requests of rs, round by round in
// order of first appearance.
func values(rs []*record.Record, m Metric, total bool) sample {
	var s sample
	idx := map[string]int{}
	for i := range rs {
		v, ok := m.value(rs[i], total)
		if !ok {
			continue
		}
		k, seen := idx[rs[i].RunID]
		if !seen {
			k = len(s.rounds)
			idx[rs[i].RunID] = k
			s.rounds = append(s.rounds, nil)
			s.starts = append(s.starts, 0)
		}
		s.rounds[k] = append(s.rounds[k], v)
		s.flat = append(s.flat, v)
		if st := rs[i].StartUnixNs; st > 0 && (s.starts[k] == 0 || st < s.starts[k]) {
			s.starts[k] = st
		}
	}
	return s
}

// Design is how the rounds of a check were laid out, which decides its
// interval (see roundsInterval).
type Design string

// Designs of a check.
const (
	// SingleRound: one run on at least one side and nothing to measure
	// the run-to-run variation with; the request-level interval is shown
	// but cannot decide (see Options.RunToRun).
	SingleRound Design = "single-round"
	// Interleaved: both sides have the same number R ≥ 2 of rounds and,
	// in time order, every base round is adjacent to one new round (A B A
	// B … or A B B A …): round r of each side forms a pair that shared
	// the machine's state.
	Interleaved Design = "interleaved"
	// Unpaired: rounds on both sides (or on one, the other with a single
	// run) that were not interleaved, such as a stored baseline of R runs
	// against R new runs.
	Unpaired Design = "unpaired"
)

// pairs returns, for interleaved samples, the base round and new round of
// each pair in time order; ok is false when the two samples were not
// interleaved (see Interleaved).
func pairs(base, cand sample) (p [][2]int, ok bool) {
	r := len(base.rounds)
	if r < 2 || len(cand.rounds) != r {
		return nil, false
	}
	type slot struct {
		at   int64
		side int
		i    int
	}
	all := make([]slot, 0, 2*r)
	for i, at := range base.starts {
		all = append(all, slot{at, 0, i})
	}
	for i, at := range cand.starts {
		all = append(all, slot{at, 1, i})
	}
	for _, s := range all {
		if s.at == 0 {
			return nil, false
		}
	}
	slices.SortStableFunc(all, func(a, b slot) int {
		switch {
		case a.at < b.at:
			return -1
		case a.at > b.at:
			return 1
		}
		return 0
	})
	for k := 0; k < len(all); k += 2 {
		a, b := all[k], all[k+1]
		if a.side == b.side {
			return nil, false
		}
		if a.side == 1 {
			a, b = b, a
		}
		p = append(p, [2]int{a.i, b.i})
	}
	return p, true
}

// roundStats is the per-round evidence of a check on rounds: the log of
// each round's quantile on each side.
type roundStats struct {
	design Design
	// d holds the per-pair log ratios (Interleaved), a and b the per-round
	// log quantiles of each side (Unpaired).
	d, a, b []float64
}

func logQuantiles(rounds [][]float64, q float64) []float64 {
	out := make([]float64, len(rounds))
	for i, r := range rounds {
		out[i] = math.Log(stats.Quantile(r, q))
	}
	return out
}

// newRoundStats lays out a check's rounds; design is SingleRound when
// neither side has two rounds.
func newRoundStats(base, cand sample, q float64) roundStats {
	if p, ok := pairs(base, cand); ok {
		a, b := logQuantiles(base.rounds, q), logQuantiles(cand.rounds, q)
		rs := roundStats{design: Interleaved}
		for _, ab := range p {
			rs.d = append(rs.d, b[ab[1]]-a[ab[0]])
		}
		return rs
	}
	if len(base.rounds) < 2 && len(cand.rounds) < 2 {
		return roundStats{design: SingleRound}
	}
	return roundStats{design: Unpaired, a: logQuantiles(base.rounds, q), b: logQuantiles(cand.rounds, q)}
}

// interval returns the estimated ratio new/base and its two-sided CI at
// level, on the log scale with Student's t:
//
//   - Interleaved: the mean of the R per-pair log ratios
//     log(q(new round r)/q(base round r)) ± t(R−1)·sd/√R — a paired t
//     interval over rounds, so whatever a round's machine state did to
//     both sides cancels;
//   - Unpaired with rounds on both sides: the difference of the per-round
//     mean log quantiles with Welch's standard error and degrees of
//     freedom;
//   - Unpaired with one side a single run: that run is assumed to vary
//     from run to run as much as the other side's rounds do, so the
//     standard error is sd·√(1/k + 1) with k − 1 degrees of freedom.
//
// The ratio is exp of the mean log ratio (a geometric mean of per-round
// ratios, not the ratio of pooled quantiles). It also returns the standard
// error and degrees of freedom, for NeededRounds.
func (rs roundStats) interval(level float64) (ratio float64, ci stats.CI, se, df float64) {
	var m float64
	switch {
	case rs.design == Interleaved:
		mu, sd := meanSD(rs.d)
		m, se, df = mu, sd/math.Sqrt(float64(len(rs.d))), float64(len(rs.d)-1)
	case len(rs.a) >= 2 && len(rs.b) >= 2:
		ma, sa := meanSD(rs.a)
		mb, sb := meanSD(rs.b)
		va, vb := sa*sa/float64(len(rs.a)), sb*sb/float64(len(rs.b))
		m, se = mb-ma, math.Sqrt(va+vb)
		df = welchDF(va, vb, len(rs.a), len(rs.b))
	default:
		if len(rs.a) == 0 || len(rs.b) == 0 {
			return math.NaN(), stats.CI{Lo: math.NaN(), Hi: math.NaN(), Level: level}, math.NaN(), 0
		}
		var mu, sd, k float64
		if len(rs.a) >= 2 {
			mu, sd = meanSD(rs.a)
			m, k = rs.b[0]-mu, float64(len(rs.a))
		} else {
			mu, sd = meanSD(rs.b)
			m, k = mu-rs.a[0], float64(len(rs.b))
		}
		se, df = sd*math.Sqrt(1/k+1), k-1
	}
	h := tQuantile(df, (1+level)/2) * se
	if se == 0 {
		h = 0
	}
	return math.Exp(m), stats.CI{Lo: math.Exp(m - h), Hi: math.Exp(m + h), Level: level}, se, df
}

// neededRounds estimates the rounds per side at which the interval's
// half-width would shrink to dist (on the log scale), with the per-round
// spread seen now; -1 when it cannot be estimated.
func (rs roundStats) neededRounds(level, dist float64) int {
	if !(dist > 0) {
		return -1
	}
	var v float64 // the variance of one round's contribution
	switch {
	case rs.design == Interleaved:
		_, sd := meanSD(rs.d)
		v = sd * sd
	default:
		_, sa := meanSD(rs.a)
		_, sb := meanSD(rs.b)
		if len(rs.a) < 2 {
			sa = sb
		}
		if len(rs.b) < 2 {
			sb = sa
		}
		v = sa*sa + sb*sb
	}
	if !(v > 0) || math.IsNaN(v) {
		return -1
	}
	// Start from the normal approximation, then step up with t's
	// heavier tails (a handful of steps: t(r−1) is near z there).
	z := distuv.UnitNormal.Quantile((1 + level) / 2)
	r := math.Max(2, math.Ceil(z*z*v/(dist*dist)))
	if r >= maxNeededRounds {
		return maxNeededRounds
	}
	for ; r < maxNeededRounds; r++ {
		if tQuantile(r-1, (1+level)/2)*math.Sqrt(v/r) <= dist {
			break
		}
	}
	return int(r)
}

// maxNeededRounds caps NeededRounds: beyond it the answer is "far more
// than is practical".
const maxNeededRounds = 10000

func meanSD(xs []float64) (mean, sd float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if len(xs) < 2 {
		return mean, math.NaN()
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(xs)-1))
}

func welchDF(va, vb float64, na, nb int) float64 {
	den := va*va/float64(na-1) + vb*vb/float64(nb-1)
	if den == 0 {
		return float64(na + nb - 2)
	}
	return (va + vb) * (va + vb) / den
}

// tQuantile is Student's t quantile function (gonum's distuv.StudentsT).
func tQuantile(df, p float64) float64 {
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile(p)
}

// requestInterval returns quantile(cand)/quantile(base) and its percentile
// bootstrap CI resampling requests of the pooled samples independently
// (stats.BootstrapQuantileRatio: each replicate draws the two order
// statistics its quantile reads instead of sorting a resample, so a check
// costs one sort per side whatever B). It sees only the variation among
// one run's requests, not that between runs: a single round per side uses
// it for display (and, with Options.RunToRun, widened).
func requestInterval(rng *rand.Rand, base, cand sample, q float64, B int, level float64) (float64, stats.CI) {
	return stats.BootstrapQuantileRatio(rng, base.flat, cand.flat, q, B, level)
}
