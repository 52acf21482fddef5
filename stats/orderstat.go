package stats

import (
	"math"
	"math/rand/v2"
	"slices"

	mstats "github.com/aclements/go-moremath/stats"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/stat/distuv"
)

// QuantileCISorted is QuantileCI for a sample s already sorted ascending
// and free of NaNs, without QuantileCI's copy and sort.
func QuantileCISorted(s []float64, p, level float64) (CI, bool) {
	bad := CI{Lo: math.NaN(), Hi: math.NaN(), Level: level}
	n := len(s)
	if n == 0 || !(p > 0 && p < 1) || !(level > 0 && level < 1) {
		return bad, false
	}
	lo, hi, ok := QuantileCIOrders(n, p, level)
	if !ok {
		return bad, false
	}
	return CI{Lo: s[lo-1], Hi: s[hi-1], Level: level}, true
}

// QuantileCIOrders returns the order statistics (from 1) that bound
// QuantileCI's interval for n observations, for a caller that holds its
// sorted sample in another form; ok is false when n is too small for the
// level (or p, level are outside (0, 1)).
func QuantileCIOrders(n int, p, level float64) (lo, hi int, ok bool) {
	if n < 1 || !(p > 0 && p < 1) || !(level > 0 && level < 1) {
		return 0, 0, false
	}
	r := mstats.QuantileCI(n, p, level) // as QuantileCI
	if r.LoOrder < 1 || r.HiOrder > n {
		return 0, 0, false
	}
	return r.LoOrder, r.HiOrder, true
}

// BootstrapQuantileRatio is BootstrapRatio for the ratio of p-quantiles
// (QuantileDefinition), Q(cand)/Q(base), with its percentile bootstrap
// interval from B replicates (B ≤ 0 means DefaultB) that resample each
// side independently, with replacement and at its own size. NaN and
// infinite replicates are dropped; ratio and the CI are NaN when either
// sample is empty or holds a NaN, the CI when either has fewer than 2
// observations.
//
// A replicate does not build the resample: a type-7 quantile of a sorted
// resample of n values reads only its order statistics k and k+1 (k =
// ⌊(n−1)p⌋+1), and the k-th smallest of n indices drawn uniformly from
// 0…n−1 is ⌊n·U₍ₖ₎⌋, where U₍ₖ₎ ~ Beta(k, n+1−k) is the k-th smallest of n
// uniforms on (0, 1) and, given U₍ₖ₎ = u, U₍ₖ₊₁₎ = u + (1−u)·M with M the
// least of n−k uniforms, M ~ Beta(1, n−k). So each replicate draws two
// Beta variates and one uniform per side: the replicates have exactly the
// distribution of BootstrapRatio's with a sorting stat, at O(1) instead of
// O(n log n) each (the sides are sorted once). The random draws differ
// from BootstrapRatio's, so an interval differs from its by Monte Carlo
// error only.
func BootstrapQuantileRatio(rng *rand.Rand, base, cand []float64, p float64, B int, level float64) (ratio float64, ci CI) {
	if len(base) == 0 || len(cand) == 0 || !(p >= 0 && p <= 1) || floats.HasNaN(base) || floats.HasNaN(cand) {
		return math.NaN(), nanCI(level)
	}
	bs, cs := slices.Clone(base), slices.Clone(cand)
	slices.Sort(bs)
	slices.Sort(cs)
	ratio = QuantileSorted(cs, p) / QuantileSorted(bs, p)
	if B <= 0 {
		B = DefaultB
	}
	if len(base) < 2 || len(cand) < 2 || !(level > 0 && level < 1) {
		return ratio, nanCI(level)
	}
	reps := make([]float64, 0, B)
	for range B {
		b := resampledQuantile(rng, bs, p)
		c := resampledQuantile(rng, cs, p)
		if r := c / b; !math.IsNaN(r) && !math.IsInf(r, 0) {
			reps = append(reps, r)
		}
	}
	return ratio, PercentileCI(reps, level)
}

// resampledQuantile returns the p-quantile (type 7) of one bootstrap
// resample of the sorted sample s, drawing only the order statistics it
// interpolates between (see BootstrapQuantileRatio).
func resampledQuantile(rng *rand.Rand, s []float64, p float64) float64 {
	n := len(s)
	h := float64(n-1) * p
	lo := int(math.Floor(h))
	if lo >= n-1 {
		// The largest of the resample: U₍ₙ₎ ~ Beta(n, 1).
		return s[orderIndex(n, orderUniform(rng, n, n))]
	}
	u, v := orderPair(rng, n, lo+1)
	a, b := s[orderIndex(n, u)], s[orderIndex(n, v)]
	// QuantileSorted's interpolation between the two, at the same
	// fraction h − lo.
	return QuantileSorted([]float64{a, b}, h-float64(lo))
}

// orderUniform draws U₍ₖ₎, the k-th smallest of n uniforms on (0, 1).
func orderUniform(rng *rand.Rand, n, k int) float64 {
	return distuv.Beta{Alpha: float64(k), Beta: float64(n + 1 - k), Src: rng}.Rand()
}

// orderPair draws U₍ₖ₎ and U₍ₖ₊₁₎ of n uniforms on (0, 1), k < n.
func orderPair(rng *rand.Rand, n, k int) (u, v float64) {
	u = orderUniform(rng, n, k)
	// The least of n − k uniforms: 1 − V^(1/(n−k)), V uniform on (0, 1].
	m := -math.Expm1(math.Log(1-rng.Float64()) / float64(n-k))
	return u, u + (1-u)*m
}

// orderIndex maps an order statistic of uniforms to the index drawn:
// ⌊n·u⌋, kept below n against rounding.
func orderIndex(n int, u float64) int {
	return min(int(float64(n)*u), n-1)
}
