package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestTheilSen(t *testing.T) {
	t.Parallel()
	// Hand derivation, x = 1..5, y = 1 3 2 5 4. The ten pairwise slopes:
	//   (1,2) 2   (1,3) 0.5  (1,4) 4/3  (1,5) 0.75  (2,3) −1
	//   (2,4) 1   (2,5) 1/3  (3,4) 3    (3,5) 1     (4,5) −1
	// sorted: −1 −1 1/3 0.5 0.75 1 1 4/3 2 3, median (0.75+1)/2 = 0.875.
	// Residuals y − 0.875x: 0.125 1.25 −0.625 1.5 −0.375, median 0.125.
	// Sen's 80% CI: Var(S) = 5·4·15/18 = 16.667, C = 1.28155·4.08248 =
	// 5.2319; ranks ⌊(10−5.23)/2⌋ = 2 and ⌈(10+5.23)/2⌉+1 = 9 → [−1, 2].
	// At 95%: C = 8.0016, (10−8.0016)/2 = 0.999 → rank 0: no interval
	// (the exact Kendall distribution agrees: P(S ≥ 8) = 5/120 > 0.025).
	x := []float64{1, 2, 3, 4, 5}
	y := []float64{1, 3, 2, 5, 4}
	// Ties in x, x = 1 1 2 3, y = 1 2 2 5: the pair (1,2) with equal x is
	// skipped; slopes 1 2 0 1.5 3 → median 1.5; residuals y − 1.5x:
	// −0.5 0.5 −1 0.5 → median 0. Sen's 50% CI: one tie group of 2 in x,
	// Var(S) = (4·3·13 − 2·1·9)/18 = 7.667, C = 0.67449·2.7689 = 1.8676,
	// ranks ⌊(5−1.87)/2⌋ = 1 and ⌈(5+1.87)/2⌉+1 = 5 → [0, 3].
	tests := []struct {
		name             string
		x, y             []float64
		level            float64
		slope, intercept float64
		lo, hi           float64
	}{
		{"hand 80%", x, y, 0.80, 0.875, 0.125, -1, 2},
		{"hand 95% too small", x, y, 0.95, 0.875, 0.125, math.NaN(), math.NaN()},
		{"ties in x", []float64{1, 1, 2, 3}, []float64{1, 2, 2, 5}, 0.5, 1.5, 0, 0, 3},
		{"exact line", []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, []float64{3, 5, 7, 9, 11, 13, 15, 17, 19, 21}, 0.95, 2, 3, 2, 2},
		{"constant x", []float64{2, 2, 2}, []float64{1, 2, 3}, 0.95, math.NaN(), math.NaN(), math.NaN(), math.NaN()},
		{"one point", []float64{1}, []float64{1}, 0.95, math.NaN(), math.NaN(), math.NaN(), math.NaN()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, b, ci := TheilSen(tc.x, tc.y, tc.level)
			if !close(s, tc.slope, 1e-12) || !close(b, tc.intercept, 1e-12) || !close(ci.Lo, tc.lo, 1e-12) || !close(ci.Hi, tc.hi, 1e-12) {
				t.Errorf("got %v %v %v; want %v %v [%v, %v]", s, b, ci, tc.slope, tc.intercept, tc.lo, tc.hi)
			}
		})
	}
}

// TestTheilSenCoverage checks Sen's interval: over 300 seeded data sets of
// 30 points with heavy-tailed (Cauchy-like) noise around slope 2, the 90%
// interval must cover 2 in [0.84, 0.97] of them, while the estimator stays
// near 2 despite the outliers.
func TestTheilSenCoverage(t *testing.T) {
	t.Parallel()
	const sets = 300
	covered := 0
	for s := range sets {
		rng := rand.New(rand.NewPCG(uint64(s), 31))
		x := make([]float64, 30)
		y := make([]float64, 30)
		for i := range x {
			x[i] = float64(i % 10) // ties in x, like repeated levels
			y[i] = 2*x[i] + math.Tan(math.Pi*(rng.Float64()-0.5))
		}
		slope, _, ci := TheilSen(x, y, 0.90)
		if math.Abs(slope-2) > 1.5 {
			t.Errorf("set %d: slope %v far from 2", s, slope)
		}
		if ci.Contains(2) {
			covered++
		}
	}
	if f := float64(covered) / sets; f < 0.84 || f > 0.97 {
		t.Errorf("coverage %.3f outside [0.84, 0.97]", f)
	}
}

func TestElasticity(t *testing.T) {
	t.Parallel()
	x := []float64{100, 200, 400, 800, 1600, 3200}
	y := make([]float64, len(x))
	for i := range x {
		y[i] = 3 * math.Pow(x[i], 1.5)
	}
	if e, ci := Elasticity(x, y, 0.5); !close(e, 1.5, 1e-9) || !close(ci.Lo, 1.5, 1e-9) || !close(ci.Hi, 1.5, 1e-9) {
		t.Errorf("y = 3x^1.5: exponent %v CI %v, want 1.5 [1.5, 1.5]", e, ci)
	}

	// Multiplicative noise with 10% wild outliers: the exponent stays near
	// 1 and the 95% interval holds it (seeded, deterministic).
	rng := rand.New(rand.NewPCG(2, 3))
	var xs, ys []float64
	for i := range 200 {
		v := float64(int(16) << (i % 6))
		w := v * math.Exp(0.2*rng.NormFloat64())
		if i%10 == 0 {
			w *= 50
		}
		xs, ys = append(xs, v), append(ys, w)
	}
	e, ci := Elasticity(xs, ys, 0.95)
	if math.Abs(e-1) > 0.05 || !ci.Contains(1) || ci.Hi-ci.Lo > 0.2 {
		t.Errorf("noisy linear data: exponent %v CI %v", e, ci)
	}

	for name, xy := range map[string][2][]float64{
		"zero y":     {{1, 2, 3}, {1, 0, 3}},
		"negative x": {{-1, 2, 3}, {1, 2, 3}},
		"NaN":        {{1, math.NaN(), 3}, {1, 2, 3}},
		"mismatch":   {{1, 2}, {1}},
	} {
		if e, ci := Elasticity(xy[0], xy[1], 0.95); !math.IsNaN(e) || ci.Valid() {
			t.Errorf("%s: %v %v, want NaN", name, e, ci)
		}
	}
}

// TestTheilSenMatchesBruteForce recomputes the estimator and Sen's ranks
// from scratch on random data with tied x.
func TestTheilSenMatchesBruteForce(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(40, 41))
	for trial := range 100 {
		n := 3 + rng.IntN(40)
		x := make([]float64, n)
		y := make([]float64, n)
		for i := range x {
			x[i] = float64(rng.IntN(8))
			y[i] = x[i]*0.7 + rng.NormFloat64()
		}
		var slopes []float64
		for i := range n {
			for j := range n {
				if x[j] > x[i] {
					slopes = append(slopes, (y[j]-y[i])/(x[j]-x[i]))
				}
			}
		}
		s, _, ci := TheilSen(x, y, 0.9)
		if len(slopes) == 0 {
			if !math.IsNaN(s) {
				t.Fatalf("trial %d: constant x gave %v", trial, s)
			}
			continue
		}
		if want := Median(slopes); !close(s, want, 1e-12) {
			t.Fatalf("trial %d: slope %v, median of slopes %v", trial, s, want)
		}
		if ci.Valid() && (Quantile(slopes, 0) > ci.Lo || ci.Lo > s || s > ci.Hi || ci.Hi > Quantile(slopes, 1)) {
			t.Fatalf("trial %d: CI %v does not bracket %v within the slopes", trial, ci, s)
		}
	}
}
