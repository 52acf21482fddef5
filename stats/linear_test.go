package stats

import (
	"math"
	"testing"
)

// NIST StRD linear least squares, Norris data (36 observations,
// https://www.itl.nist.gov/div898/strd/lls/data/Norris.shtml).
// Certified values: B0 = -0.262323073774029, B1 = 1.00211681802045,
// SD(B1) = 4.29796848199937E-04, R² = 0.999993745883712.
// R 4.2.2 confint(lm(y ~ x)) gives for the slope
// 95%: [1.001243365735578, 1.00299027030533],
// 90%: [1.001390064105030, 1.002843571935878].
var (
	norrisX = []float64{0.2, 337.4, 118.2, 884.6, 10.1, 226.5, 666.3, 996.3, 448.6, 777.0, 558.2, 0.4, 0.6, 775.5, 666.9, 338.0, 447.5, 11.6, 556.0, 228.1, 995.8, 887.6, 120.2, 0.3, 0.3, 556.8, 339.1, 887.2, 999.0, 779.0, 11.1, 118.3, 229.2, 669.1, 448.9, 0.5}
	norrisY = []float64{0.1, 338.8, 118.1, 888.0, 9.2, 228.1, 668.5, 998.5, 449.1, 778.9, 559.2, 0.3, 0.1, 778.1, 668.8, 339.3, 448.9, 10.8, 557.7, 228.3, 998.0, 888.8, 119.6, 0.3, 0.6, 557.6, 339.3, 888.0, 998.5, 778.9, 10.2, 117.6, 228.9, 668.4, 449.2, 0.2}
)

func TestLinearFitNorris(t *testing.T) {
	t.Parallel()
	tests := []struct {
		level  float64
		lo, hi float64
	}{
		{0.95, 1.001243365735578, 1.00299027030533},
		{0.90, 1.001390064105030, 1.002843571935878},
	}
	for _, tc := range tests {
		f := LinearFit(norrisX, norrisY, tc.level)
		for _, c := range []struct {
			name      string
			got, want float64
		}{
			{"intercept", f.Intercept, -0.262323073774029},
			{"slope", f.Slope, 1.00211681802045},
			{"SE", f.SlopeSE, 4.29796848199937e-04},
			{"R2", f.R2, 0.999993745883712},
			{"CI lo", f.SlopeCI.Lo, tc.lo},
			{"CI hi", f.SlopeCI.Hi, tc.hi},
		} {
			if !close(c.got, c.want, 1e-9) {
				t.Errorf("level %v %s = %.15g, certified %.15g", tc.level, c.name, c.got, c.want)
			}
		}
		if f.N != 36 || f.SlopeCI.Level != tc.level {
			t.Errorf("N = %d, level %v", f.N, f.SlopeCI.Level)
		}
	}
}

func TestLinearFitDegenerate(t *testing.T) {
	t.Parallel()
	for name, xy := range map[string][2][]float64{
		"two points": {{1, 2}, {1, 2}},
		"constant x": {{1, 1, 1}, {1, 2, 3}},
		"NaN":        {{1, 2, math.NaN()}, {1, 2, 3}},
		"mismatch":   {{1, 2, 3}, {1, 2}},
	} {
		t.Run(name, func(t *testing.T) {
			f := LinearFit(xy[0], xy[1], 0.95)
			if !math.IsNaN(f.Slope) || !math.IsNaN(f.R2) || f.SlopeCI.Valid() || f.N != len(xy[0]) {
				t.Errorf("Fit = %+v, want NaN", f)
			}
		})
	}
	// A perfect line has zero standard error and a point interval.
	f := LinearFit([]float64{1, 2, 3, 4}, []float64{3, 5, 7, 9}, 0.95)
	if !close(f.Slope, 2, 1e-12) || !close(f.Intercept, 1, 1e-12) || !close(f.R2, 1, 1e-12) || !close(f.SlopeCI.Lo, 2, 1e-12) || !close(f.SlopeCI.Hi, 2, 1e-12) {
		t.Errorf("perfect line: %+v", f)
	}
}
