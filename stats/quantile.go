package stats

import (
	"math"
	"slices"

	"github.com/aclements/go-moremath/stats"
	"gonum.org/v1/gonum/floats"
)

// QuantileDefinition names the single sample-quantile definition used by
// every function in this package that reports a percentile or median.
const QuantileDefinition = "Hyndman-Fan type 7 (linear interpolation, R default)"

// Quantile returns the p-quantile (0 ≤ p ≤ 1) of xs using Hyndman and Fan's
// definition 7, the default of R's quantile() and NumPy's "linear" method:
// with the sample sorted as x[0] ≤ … ≤ x[n-1], h = (n−1)·p and
// Q(p) = x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]).
// Quantile(xs, 0) is the minimum and Quantile(xs, 1) the maximum.
// It does not modify xs. It returns NaN when xs is empty, when p is outside
// [0, 1] or NaN, or when xs contains a NaN.
func Quantile(xs []float64, p float64) float64 {
	if len(xs) == 0 || !(p >= 0 && p <= 1) {
		return math.NaN()
	}
	s := make([]float64, len(xs))
	copy(s, xs)
	if floats.HasNaN(s) {
		return math.NaN()
	}
	slices.Sort(s)
	return QuantileSorted(s, p)
}

// QuantileSorted is Quantile for a sample s already sorted ascending and
// free of NaNs, without Quantile's copy and sort: callers that need several
// quantiles, or one per bootstrap replicate, sort once. It is the package's
// one implementation of the type-7 definition; it returns NaN when s is
// empty or p is outside [0, 1].
func QuantileSorted(s []float64, p float64) float64 {
	n := len(s)
	if n == 0 || !(p >= 0 && p <= 1) {
		return math.NaN()
	}
	h := float64(n-1) * p
	lo := int(math.Floor(h))
	if lo >= n-1 {
		return s[n-1]
	}
	f := h - float64(lo)
	if f == 0 || s[lo] == s[lo+1] {
		return s[lo]
	}
	d := s[lo+1] - s[lo]
	if math.IsInf(d, 0) {
		return (1-f)*s[lo] + f*s[lo+1]
	}
	return s[lo] + f*d
}

// Median returns Quantile(xs, 0.5): the middle order statistic, or the mean
// of the two middle ones when len(xs) is even. It returns NaN for an empty
// sample or one containing a NaN.
func Median(xs []float64) float64 {
	return Quantile(xs, 0.5)
}

// Mean returns the arithmetic mean of xs, or NaN when xs is empty.
func Mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	return floats.Sum(xs) / float64(len(xs))
}

// QuantileCI returns a distribution-free confidence interval for the
// population p-quantile at the given level (for example 0.95): a pair of
// order statistics [x(l), x(r)] chosen from the Binomial(n, p) distribution of
// the number of observations below the quantile, so that P(l ≤ K < r) is at
// least level (exactly computed for n ≤ 30, normal approximation with
// continuity correction above; go-moremath's stats.QuantileCI does the
// search). The interval assumes independent observations and nothing about
// their distribution; ties only make it conservative.
//
// The returned CI.Level is the requested level. ok is false, and the CI is
// NaN, when the sample is too small for the level (the interval would need an
// order statistic beyond the sample, i.e. an infinite bound), when xs holds a
// NaN, or when p or level is outside (0, 1).
func QuantileCI(xs []float64, p, level float64) (CI, bool) {
	bad := CI{Lo: math.NaN(), Hi: math.NaN(), Level: level}
	n := len(xs)
	if n == 0 || !(p > 0 && p < 1) || !(level > 0 && level < 1) || floats.HasNaN(xs) {
		return bad, false
	}
	r := stats.QuantileCI(n, p, level)
	if r.LoOrder < 1 || r.HiOrder > n {
		return bad, false
	}
	s := make([]float64, n)
	copy(s, xs)
	slices.Sort(s)
	return CI{Lo: s[r.LoOrder-1], Hi: s[r.HiOrder-1], Level: level}, true
}
