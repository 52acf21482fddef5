package stats

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// TheilSen fits y = intercept + slope·x robustly. slope is the Theil–Sen
// estimator, the median (QuantileDefinition) of the pairwise slopes
// (y_j − y_i)/(x_j − x_i) over all pairs with x_i ≠ x_j (pairs with equal x
// are skipped, as in Sen 1968); intercept is the median of y_i − slope·x_i.
//
// ci is Sen's (1968) distribution-free interval at the given level: with N'
// pairwise slopes sorted and C = z_{(1+level)/2}·√Var(S), where
// Var(S) = [n(n−1)(2n+5) − Σ t(t−1)(2t+5)]/18 is the null variance of
// Kendall's S with t the sizes of groups of tied x, the bounds are the
// slopes of rank ⌊(N'−C)/2⌋ and ⌈(N'+C)/2⌉+1 (1-based; ranks rounded
// outward, so the interval is conservative). The CI is NaN when the lower
// rank is below 1 or the upper above N' (too few points for the level).
//
// It stores the N' ≤ n(n−1)/2 slopes, so it needs O(n²) memory and
// O(n² log n) time: fine for a few thousand points. All results are NaN for
// mismatched lengths, NaNs, fewer than 2 points or a constant x.
func TheilSen(x, y []float64, level float64) (slope, intercept float64, ci CI) {
	nan := math.NaN()
	n := len(x)
	if n != len(y) || n < 2 || slices.ContainsFunc(x, math.IsNaN) || slices.ContainsFunc(y, math.IsNaN) {
		return nan, nan, nanCI(level)
	}
	slopes := make([]float64, 0, n*(n-1)/2)
	for i := range n {
		for j := i + 1; j < n; j++ {
			if dx := x[j] - x[i]; dx != 0 {
				slopes = append(slopes, (y[j]-y[i])/dx)
			}
		}
	}
	if len(slopes) == 0 {
		return nan, nan, nanCI(level)
	}
	slices.Sort(slopes)
	slope = QuantileSorted(slopes, 0.5)
	resid := make([]float64, n)
	for i := range resid {
		resid[i] = y[i] - slope*x[i]
	}
	slices.Sort(resid)
	intercept = QuantileSorted(resid, 0.5)

	if !(level > 0 && level < 1) {
		return slope, intercept, nanCI(level)
	}
	nf := float64(n)
	v := nf * (nf - 1) * (2*nf + 5)
	xs := slices.Clone(x)
	slices.Sort(xs)
	for i := 0; i < n; {
		j := i
		for j < n && xs[j] == xs[i] {
			j++
		}
		t := float64(j - i)
		v -= t * (t - 1) * (2*t + 5)
		i = j
	}
	c := distuv.UnitNormal.Quantile((1+level)/2) * math.Sqrt(v/18)
	N := float64(len(slopes))
	lo := int(math.Floor((N - c) / 2))
	hi := int(math.Ceil((N+c)/2)) + 1
	if lo < 1 || hi > len(slopes) {
		return slope, intercept, nanCI(level)
	}
	return slope, intercept, CI{Lo: slopes[lo-1], Hi: slopes[hi-1], Level: level}
}

// Elasticity returns the growth exponent b of y ≈ a·x^b, the Theil–Sen
// slope of log y on log x, with Sen's interval at the given level (see
// TheilSen). Theil–Sen rather than least squares because latency samples
// are heavy-tailed: a few stalled requests move a least-squares slope
// arbitrarily, while the median of pairwise slopes tolerates up to about
// 29% outliers, and Sen's interval needs no normality.
//
// Logarithms need positive data: exp and the CI are NaN when any x or y is
// zero, negative or NaN, so the caller must filter (and report) such
// observations itself; they are also NaN in the cases TheilSen returns NaN.
func Elasticity(x, y []float64, level float64) (exp float64, ci CI) {
	if len(x) != len(y) {
		return math.NaN(), nanCI(level)
	}
	lx := make([]float64, len(x))
	ly := make([]float64, len(y))
	for i := range x {
		if !(x[i] > 0) || !(y[i] > 0) || math.IsInf(x[i], 0) || math.IsInf(y[i], 0) {
			return math.NaN(), nanCI(level)
		}
		lx[i], ly[i] = math.Log(x[i]), math.Log(y[i])
	}
	exp, _, ci = TheilSen(lx, ly, level)
	return exp, ci
}
