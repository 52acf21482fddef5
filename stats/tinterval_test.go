package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestTIntervalReference checks against intervals worked by hand from
// tabled t quantiles (t(0.95, 4) = 2.131847, t(0.95, 2) = 2.919986), which
// is what R's t.test(xs, conf.level = 0.9) computes: for 1..5, mean 3,
// s.e. 0.707107, [1.492557, 4.507443]; for (0.2, −0.1, 0.4), mean 0.166667,
// s.e. 0.145297, [−0.257597, 0.590931].
func TestTIntervalReference(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		xs     []float64
		level  float64
		lo, hi float64
	}{
		{[]float64{1, 2, 3, 4, 5}, 0.9, 1.492557, 4.507443},
		{[]float64{0.2, -0.1, 0.4}, 0.9, -0.257597, 0.590931},
	} {
		_, ci := TInterval(tc.xs, tc.level)
		if math.Abs(ci.Lo-tc.lo) > 1e-6 || math.Abs(ci.Hi-tc.hi) > 1e-6 || ci.Level != tc.level {
			t.Errorf("TInterval(%v, %g) = %+v, want [%g, %g]", tc.xs, tc.level, ci, tc.lo, tc.hi)
		}
	}
	if _, ci := TInterval([]float64{1, math.NaN()}, 0.9); ci.Valid() {
		t.Errorf("one finite value gave a valid interval %+v", ci)
	}
}

// TestTIntervalCoverage checks the interval's coverage on 3 and 5 normal
// units, the round counts the designs use: a 90% interval must cover the
// true mean in 90% ± 1.5% of 4000 draws.
func TestTIntervalCoverage(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{3, 5} {
		cover := 0
		const draws = 4000
		for range draws {
			xs := make([]float64, n)
			for i := range xs {
				xs[i] = 0.3 + 0.1*rng.NormFloat64()
			}
			if _, ci := TInterval(xs, 0.9); ci.Contains(0.3) {
				cover++
			}
		}
		if got := float64(cover) / draws; math.Abs(got-0.9) > 0.015 {
			t.Errorf("n = %d: coverage %.3f, want 0.90 ± 0.015", n, got)
		}
	}
}
