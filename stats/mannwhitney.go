package stats

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/aclements/go-moremath/stats"
	"gonum.org/v1/gonum/stat/distuv"
)

// MannWhitney tests whether x and y come from the same distribution against
// a location-shift alternative: Greater means x tends to be larger than y,
// Less smaller, TwoSided either (R's wilcox.test(x, y, alternative = …)).
// The test itself is go-moremath's MannWhitneyUTest, the one benchstat uses:
// exact U distribution for samples up to 50 (25 with ties, Klotz's
// algorithm), normal approximation with tie and continuity correction above.
//
// Statistic is U = #{(xi, yj): xi > yj} + ½·#{xi = yj}, which is R's W.
// Effect is the Hodges–Lehmann shift x − y with its two-sided
// DefaultLevel interval (see HodgesLehmann), whatever Alt is. N is
// len(x)+len(y). An empty sample, NaNs or all values equal give an
// inconclusive Result.
func MannWhitney(x, y []float64, alt Alternative) Result {
	const name = "Mann-Whitney U"
	n := len(x) + len(y)
	if len(x) == 0 || len(y) == 0 {
		return inconclusive(name, alt, n, DefaultLevel, fmt.Sprintf("samples of %d and %d values, need at least 1 each", len(x), len(y)))
	}
	if slices.ContainsFunc(x, math.IsNaN) || slices.ContainsFunc(y, math.IsNaN) {
		return inconclusive(name, alt, n, DefaultLevel, "a sample holds a NaN")
	}
	loc := stats.LocationDiffers
	switch alt {
	case Greater:
		loc = stats.LocationGreater
	case Less:
		loc = stats.LocationLess
	}
	res, err := stats.MannWhitneyUTest(x, y, loc)
	if errors.Is(err, stats.ErrSamplesEqual) {
		return inconclusive(name, alt, n, DefaultLevel, "all values are equal")
	}
	if err != nil {
		return inconclusive(name, alt, n, DefaultLevel, err.Error())
	}
	r := Result{Test: name, Alt: alt, N: n, Statistic: res.U, P: res.P}
	ties := hasCrossOrInnerTies(x, y)
	if !ties && len(x) <= stats.MannWhitneyExactLimit && len(y) <= stats.MannWhitneyExactLimit ||
		ties && len(x) <= stats.MannWhitneyTiesExactLimit && len(y) <= stats.MannWhitneyTiesExactLimit {
		r.Method = "exact"
	} else {
		r.Method = "normal approximation with tie and continuity correction"
	}
	r.Effect, r.EffectCI = HodgesLehmann(x, y, DefaultLevel)
	if !r.EffectCI.Valid() {
		r.Warnings = append(r.Warnings, Warnf(ErrTooFewData, "samples of %d and %d are too small for a %g%% interval of the shift", len(x), len(y), 100*DefaultLevel))
	}
	return r
}

// HodgesLehmann returns the Hodges–Lehmann estimate of the location shift
// x − y, the median (QuantileDefinition) of the len(x)·len(y) pairwise
// differences xi − yj, which is R's wilcox.test(x, y, conf.int = TRUE)
// "difference in location" when the exact test is used; and its
// distribution-free two-sided confidence interval [D(k), D(mn+1−k)] from
// the ordered differences (Hollander & Wolfe, §4.3), where k is the largest
// integer with P(U ≤ k−1) ≤ (1−level)/2 under the null distribution of the
// Mann–Whitney U: exact (go-moremath's UDist, without ties) when both
// samples have at most 50 values, otherwise
// k = ⌊mn/2 − z_{(1+level)/2}·√(mn(m+n+1)/12)⌋. Ties make the interval
// approximate.
//
// It never materialises the differences: order statistics of xi − yj are
// found by bisection over float64 values with an O(m+n) count, so it runs in
// O((m+n)·log(m+n)) time and O(m+n) memory. shift is NaN when a sample is
// empty or holds a NaN; the CI is NaN then, or when the samples are too
// small for the level (k < 1).
func HodgesLehmann(x, y []float64, level float64) (shift float64, ci CI) {
	m, n := len(x), len(y)
	if m == 0 || n == 0 || slices.ContainsFunc(x, math.IsNaN) || slices.ContainsFunc(y, math.IsNaN) {
		return math.NaN(), nanCI(level)
	}
	d := newPairDiffs(x, y)
	N := m * n
	h := float64(N-1) * 0.5
	lo := int(math.Floor(h))
	shift = d.kth(lo + 1)
	if f := h - float64(lo); f > 0 {
		shift += f * (d.kth(lo+2) - shift)
	}
	if !(level > 0 && level < 1) {
		return shift, nanCI(level)
	}
	k := hlRank(m, n, level)
	if k < 1 || N+1-k > N {
		return shift, nanCI(level)
	}
	return shift, CI{Lo: d.kth(k), Hi: d.kth(N + 1 - k), Level: level}
}

// hlRank returns the rank k of the lower bound of the Hodges–Lehmann
// interval (see HodgesLehmann).
func hlRank(m, n int, level float64) int {
	alpha2 := (1 - level) / 2
	if m <= stats.MannWhitneyExactLimit && n <= stats.MannWhitneyExactLimit {
		// Binary search for the smallest k with P(U ≤ k) > α/2; then
		// P(U ≤ k−1) ≤ α/2, so k is the largest valid rank.
		u := stats.UDist{N1: m, N2: n}
		lo, hi := 0, m*n
		for lo < hi {
			mid := (lo + hi) / 2
			if u.CDF(float64(mid)) > alpha2 {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
		return lo
	}
	mn := float64(m) * float64(n)
	z := distuv.UnitNormal.Quantile(1 - alpha2)
	return int(math.Floor(mn/2 - z*math.Sqrt(mn*float64(m+n+1)/12)))
}

// pairDiffs answers order-statistic queries on the differences xi − yj.
type pairDiffs struct {
	x, y []float64 // sorted ascending
}

func newPairDiffs(x, y []float64) pairDiffs {
	d := pairDiffs{x: slices.Clone(x), y: slices.Clone(y)}
	slices.Sort(d.x)
	slices.Sort(d.y)
	return d
}

// countLE returns #{(i, j) : x[i] − y[j] ≤ v}. For fixed i the differences
// fall as y[j] grows (float subtraction is monotone), so the qualifying j
// form a suffix y[p_i:], and p_i does not decrease as x[i] grows.
func (d pairDiffs) countLE(v float64) int {
	count, p := 0, 0
	for _, xi := range d.x {
		for p < len(d.y) && xi-d.y[p] > v {
			p++
		}
		count += len(d.y) - p
	}
	return count
}

// kth returns the k-th smallest difference (1-based): the smallest float64
// v with countLE(v) ≥ k, found by bisection over the ordered bit patterns of
// float64, so it is exactly one of the computed differences.
func (d pairDiffs) kth(k int) float64 {
	lo := orderedBits(d.x[0] - d.y[len(d.y)-1]) // the minimum difference
	hi := orderedBits(d.x[len(d.x)-1] - d.y[0]) // the maximum difference
	for lo < hi {
		mid := lo + (hi-lo)/2
		if d.countLE(fromOrderedBits(mid)) >= k {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return fromOrderedBits(lo)
}

// orderedBits maps float64 values to uint64 so that the integer order is
// the float order (−0 and +0 map apart but are adjacent).
func orderedBits(f float64) uint64 {
	b := math.Float64bits(f)
	if b>>63 == 1 {
		return ^b
	}
	return b | 1<<63
}

func fromOrderedBits(u uint64) float64 {
	if u>>63 == 1 {
		return math.Float64frombits(u &^ (1 << 63))
	}
	return math.Float64frombits(^u)
}

// hasCrossOrInnerTies reports whether any value occurs twice in x ∪ y.
func hasCrossOrInnerTies(x, y []float64) bool {
	all := append(slices.Clone(x), y...)
	slices.Sort(all)
	for i := 1; i < len(all); i++ {
		if all[i] == all[i-1] {
			return true
		}
	}
	return false
}
