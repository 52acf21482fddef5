package stats

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Fit is an ordinary least-squares line y = Intercept + Slope·x.
type Fit struct {
	Slope, Intercept float64
	// R2 is the coefficient of determination, 1 − SSE/SST.
	R2 float64
	// SlopeSE is the standard error of Slope, √(SSE/(N−2) / Σ(x−x̄)²).
	SlopeSE float64
	// SlopeCI is Slope ± t_{(1+level)/2, N−2}·SlopeSE.
	SlopeCI CI
	N       int
}

// LinearFit fits y = Intercept + Slope·x by ordinary least squares (gonum's
// stat.LinearRegression and stat.RSquared) and gives the Student-t interval
// for the slope at the given level, which assumes independent, normal,
// equal-variance errors; prefer TheilSen for latencies. All numbers are NaN
// (N still set) for mismatched lengths, NaNs, fewer than 3 points or a
// constant x.
func LinearFit(x, y []float64, level float64) Fit {
	nan := math.NaN()
	n := len(x)
	f := Fit{Slope: nan, Intercept: nan, R2: nan, SlopeSE: nan, SlopeCI: nanCI(level), N: n}
	if n != len(y) || n < 3 || slices.ContainsFunc(x, math.IsNaN) || slices.ContainsFunc(y, math.IsNaN) {
		return f
	}
	mx := Mean(x)
	var sxx float64
	for _, v := range x {
		sxx += (v - mx) * (v - mx)
	}
	if sxx == 0 {
		return f
	}
	f.Intercept, f.Slope = stat.LinearRegression(x, y, nil, false)
	f.R2 = stat.RSquared(x, y, nil, f.Intercept, f.Slope)
	var sse float64
	for i := range x {
		r := y[i] - f.Intercept - f.Slope*x[i]
		sse += r * r
	}
	f.SlopeSE = math.Sqrt(sse / float64(n-2) / sxx)
	if level > 0 && level < 1 {
		t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 2)}.Quantile((1 + level) / 2)
		f.SlopeCI = CI{Lo: f.Slope - t*f.SlopeSE, Hi: f.Slope + t*f.SlopeSE, Level: level}
	}
	return f
}
