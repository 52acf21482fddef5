package stats

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Bootstrap estimates a statistic of n observations and its percentile
// bootstrap confidence interval at the given level (for example 0.95).
//
// stat receives a slice of indices into the caller's data: first the
// identity 0..n−1, whose value is returned as est, then B resamples of n
// indices drawn uniformly with replacement from rng. Resampling indices lets
// the caller resample whole requests (every field of a record together). The
// index slice is reused between calls: stat must not retain or modify it.
// Replicates for which stat returns NaN are dropped; the interval is the
// (1−level)/2 and (1+level)/2 quantiles (QuantileDefinition) of the rest.
//
// B ≤ 0 means DefaultB. The CI is NaN when n < 2, level is outside (0, 1),
// or every replicate was NaN. The same rng state gives the same interval.
func Bootstrap(rng *rand.Rand, n, B int, level float64, stat func(idx []int) float64) (est float64, ci CI) {
	if n < 1 {
		return math.NaN(), nanCI(level)
	}
	if B <= 0 {
		B = DefaultB
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	est = stat(idx)
	if n < 2 || !(level > 0 && level < 1) {
		return est, nanCI(level)
	}
	reps := make([]float64, 0, B)
	for range B {
		for i := range idx {
			idx[i] = rng.IntN(n)
		}
		if v := stat(idx); !math.IsNaN(v) {
			reps = append(reps, v)
		}
	}
	return est, PercentileCI(reps, level)
}

// PercentileCI sorts reps (bootstrap replicates) in place and returns their
// central level interval: the (1−level)/2 and (1+level)/2 quantiles
// (QuantileDefinition). It is NaN for no replicates.
func PercentileCI(reps []float64, level float64) CI {
	if len(reps) == 0 {
		return nanCI(level)
	}
	slices.Sort(reps)
	a := (1 - level) / 2
	return CI{Lo: QuantileSorted(reps, a), Hi: QuantileSorted(reps, 1-a), Level: level}
}

// BootstrapQuantileCI returns the p-quantile of xs (QuantileDefinition) and
// its percentile bootstrap confidence interval from B resamples of whole
// observations (B ≤ 0 means DefaultB). Prefer QuantileCI, which is exact
// and needs no randomness, unless the interval must be comparable with other
// bootstrap intervals.
// est and the CI are NaN when xs is empty or holds a NaN; the CI is NaN when
// len(xs) < 2.
func BootstrapQuantileCI(rng *rand.Rand, xs []float64, p float64, B int, level float64) (est float64, ci CI) {
	n := len(xs)
	if n == 0 || slices.ContainsFunc(xs, math.IsNaN) || !(p >= 0 && p <= 1) {
		return math.NaN(), nanCI(level)
	}
	sorted := slices.Clone(xs)
	slices.Sort(sorted)
	est = QuantileSorted(sorted, p)
	if B <= 0 {
		B = DefaultB
	}
	if n < 2 || !(level > 0 && level < 1) {
		return est, nanCI(level)
	}
	// Resampling indices into the sorted sample and sorting the indices
	// gives the sorted resample directly.
	idx := make([]int, n)
	buf := make([]float64, n)
	reps := make([]float64, B)
	for b := range reps {
		for i := range idx {
			idx[i] = rng.IntN(n)
		}
		slices.Sort(idx)
		for i, j := range idx {
			buf[i] = sorted[j]
		}
		reps[b] = QuantileSorted(buf, p)
	}
	return est, PercentileCI(reps, level)
}

// BootstrapRatio returns stat(cand)/stat(base) and its percentile bootstrap
// confidence interval: each of B replicates resamples base and cand
// independently, each with replacement and at its own size, and takes the
// ratio of the statistics (B ≤ 0 means DefaultB). This is the interval a
// non-inferiority gate needs (for example "new p90 TTFT is at most 5% above
// the baseline's").
//
// stat receives a scratch copy that it may reorder (sort) freely. Replicates
// whose ratio is NaN or infinite (a zero denominator) are dropped. ratio and
// the CI are NaN when either sample is empty; the CI is NaN when either has
// fewer than 2 observations.
func BootstrapRatio(rng *rand.Rand, base, cand []float64, stat func([]float64) float64, B int, level float64) (ratio float64, ci CI) {
	if len(base) == 0 || len(cand) == 0 {
		return math.NaN(), nanCI(level)
	}
	bb := slices.Clone(base)
	cb := slices.Clone(cand)
	ratio = stat(cb) / stat(bb)
	if B <= 0 {
		B = DefaultB
	}
	if len(base) < 2 || len(cand) < 2 || !(level > 0 && level < 1) {
		return ratio, nanCI(level)
	}
	reps := make([]float64, 0, B)
	ResampleTwo(rng, len(base), len(cand), B, func(ib, ic []int) {
		for i, j := range ib {
			bb[i] = base[j]
		}
		for i, j := range ic {
			cb[i] = cand[j]
		}
		if r := stat(cb) / stat(bb); !math.IsNaN(r) && !math.IsInf(r, 0) {
			reps = append(reps, r)
		}
	})
	return ratio, PercentileCI(reps, level)
}

// ResampleTwo draws B bootstrap replicates of two independent samples of
// sizes na and nb: for each it fills ia with na indices drawn uniformly with
// replacement from 0..na−1, then ib likewise from 0..nb−1, and calls fn. The
// slices are reused between calls: fn must not retain them. It is the
// building block of two-sample statistics (a ratio of throughputs, a
// difference of shares) and lets fn compute several of them per replicate.
func ResampleTwo(rng *rand.Rand, na, nb, B int, fn func(ia, ib []int)) {
	ia, ib := make([]int, na), make([]int, nb)
	for range B {
		for i := range ia {
			ia[i] = rng.IntN(na)
		}
		for i := range ib {
			ib[i] = rng.IntN(nb)
		}
		fn(ia, ib)
	}
}

// BootstrapTwo is Bootstrap for a statistic of two independent samples:
// est is stat of the identity indices, and the interval is the percentile
// interval of B replicates from ResampleTwo (B ≤ 0 means DefaultB), NaN and
// infinite replicates dropped. The CI is NaN when either sample has fewer
// than 2 observations or level is outside (0, 1).
func BootstrapTwo(rng *rand.Rand, na, nb, B int, level float64, stat func(ia, ib []int) float64) (est float64, ci CI) {
	if na < 1 || nb < 1 {
		return math.NaN(), nanCI(level)
	}
	ident := func(n int) []int {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	est = stat(ident(na), ident(nb))
	if na < 2 || nb < 2 || !(level > 0 && level < 1) {
		return est, nanCI(level)
	}
	if B <= 0 {
		B = DefaultB
	}
	reps := make([]float64, 0, B)
	ResampleTwo(rng, na, nb, B, func(ia, ib []int) {
		if v := stat(ia, ib); !math.IsNaN(v) && !math.IsInf(v, 0) {
			reps = append(reps, v)
		}
	})
	return est, PercentileCI(reps, level)
}

// NeededN estimates how many observations would shrink a confidence
// interval's half-width from ciHalfWidth (measured with n observations) to
// targetHalfWidth, assuming the half-width scales as 1/√n:
// ⌈n·(ciHalfWidth/targetHalfWidth)²⌉. It is an estimate for messages such as
// "about 480 more requests would likely decide this", not a guarantee. It
// returns n when the interval is already narrow enough and −1 when an input
// is unusable (n < 1, a non-positive or non-finite target, a NaN or infinite
// half-width).
func NeededN(n int, ciHalfWidth, targetHalfWidth float64) int {
	if n < 1 || !(targetHalfWidth > 0) || math.IsInf(targetHalfWidth, 0) ||
		math.IsNaN(ciHalfWidth) || math.IsInf(ciHalfWidth, 0) || ciHalfWidth < 0 {
		return -1
	}
	if ciHalfWidth <= targetHalfWidth {
		return n
	}
	r := ciHalfWidth / targetHalfWidth
	need := math.Ceil(float64(n) * r * r)
	if need > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(need)
}
