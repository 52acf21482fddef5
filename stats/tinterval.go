package stats

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// TInterval is the Student t confidence interval, at confidence level, of
// the mean of xs: mean ± t(1 − (1 − level)/2, n − 1) × s/√n, where s is the
// sample standard deviation (n − 1 in its denominator). It is the interval
// of R's t.test(xs, conf.level = level).
//
// The analyses use it on a handful of independent per-unit estimates — one
// per round of a design — where a bootstrap over so few units would be too
// coarse: the units are independent by design, and their estimates (log
// ratios of medians, slopes of medians) are close to normal. With fewer than
// 2 finite values, or no spread and no information, the interval is NaN;
// with no spread at all it is the point [mean, mean].
func TInterval(xs []float64, level float64) (mean float64, ci CI) {
	v, mean, ok := finiteMean(xs, level)
	if !ok {
		return mean, nanCI(level)
	}
	n := len(v)
	var ss float64
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	se := math.Sqrt(ss/float64(n-1)) / math.Sqrt(float64(n))
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 1)}.Quantile(1 - (1-level)/2)
	return mean, CI{Lo: mean - t*se, Hi: mean + t*se, Level: level}
}

// finiteMean returns the finite values of xs and their mean; ok is false
// when an interval at level cannot be formed (fewer than 2 finite values,
// or level outside (0, 1)). TInterval and SkewTInterval start with it.
func finiteMean(xs []float64, level float64) (v []float64, mean float64, ok bool) {
	for _, x := range xs {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			v = append(v, x)
		}
	}
	return v, Mean(v), len(v) >= 2 && level > 0 && level < 1
}
