package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestBootstrapMeanMatchesNormalTheory(t *testing.T) {
	t.Parallel()
	// Independent computation: for the mean of n = 400 draws the
	// bootstrap percentile interval should be close to the normal-theory
	// interval mean ± 1.96·s/√n. The data and the resampling are seeded,
	// so the comparison is deterministic; 10% agreement on the half-width
	// is far looser than the bootstrap's Monte-Carlo error at B = 4000.
	data := rand.New(rand.NewPCG(7, 7))
	xs := make([]float64, 400)
	for i := range xs {
		xs[i] = 10 + 3*data.NormFloat64()
	}
	mean := Mean(xs)
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	half := 1.959964 * math.Sqrt(ss/float64(len(xs)-1)) / math.Sqrt(float64(len(xs)))

	rng := rand.New(rand.NewPCG(1, 2))
	est, ci := Bootstrap(rng, len(xs), 4000, 0.95, func(idx []int) float64 {
		var s float64
		for _, i := range idx {
			s += xs[i]
		}
		return s / float64(len(idx))
	})
	if !close(est, mean, 1e-12) {
		t.Errorf("est = %v, want the sample mean %v", est, mean)
	}
	if got := (ci.Hi - ci.Lo) / 2; math.Abs(got-half) > 0.1*half {
		t.Errorf("bootstrap half-width %v, normal theory %v", got, half)
	}
	if !ci.Contains(mean) || ci.Level != 0.95 {
		t.Errorf("CI %v does not hold the estimate %v", ci, mean)
	}

	// Same seed, same interval.
	_, ci2 := Bootstrap(rand.New(rand.NewPCG(1, 2)), len(xs), 4000, 0.95, func(idx []int) float64 {
		var s float64
		for _, i := range idx {
			s += xs[i]
		}
		return s / float64(len(idx))
	})
	if ci2 != ci {
		t.Errorf("same seed gave %v then %v", ci, ci2)
	}
}

// TestBootstrapQuantileCICoverage checks the interval's frequentist
// coverage over 200 seeded data sets from a skewed distribution whose true
// median is known (exponential, median ln 2): at 90% nominal, coverage must
// lie in [0.82, 0.97] (the binomial 99.9% range around 0.9 is ±0.07, and
// percentile-bootstrap intervals for a median are known to be close to
// nominal at n = 60).
func TestBootstrapQuantileCICoverage(t *testing.T) {
	t.Parallel()
	const sets = 200
	covered := 0
	for s := range sets {
		data := rand.New(rand.NewPCG(uint64(s), 99))
		xs := make([]float64, 60)
		for i := range xs {
			xs[i] = data.ExpFloat64()
		}
		est, ci := BootstrapQuantileCI(rand.New(rand.NewPCG(uint64(s), 1)), xs, 0.5, 500, 0.90)
		if !close(est, Median(xs), 1e-12) {
			t.Fatalf("est %v != Median %v", est, Median(xs))
		}
		if ci.Contains(math.Ln2) {
			covered++
		}
	}
	if cov := float64(covered) / sets; cov < 0.82 || cov > 0.97 {
		t.Errorf("coverage %.3f outside [0.82, 0.97]", cov)
	}
}

func TestBootstrapRatio(t *testing.T) {
	t.Parallel()
	data := rand.New(rand.NewPCG(3, 3))
	base := make([]float64, 300)
	for i := range base {
		base[i] = 100 * math.Exp(0.3*data.NormFloat64())
	}
	cand := make([]float64, len(base))
	for i := range cand {
		cand[i] = 1.2 * base[i]
	}
	ratio, ci := BootstrapRatio(rand.New(rand.NewPCG(5, 5)), base, cand, Median, 2000, 0.95)
	if !close(ratio, 1.2, 1e-12) {
		t.Errorf("ratio = %v, want 1.2 (cand is base scaled by 1.2)", ratio)
	}
	if !(ci.Lo < 1.2 && 1.2 < ci.Hi) || ci.Lo < 1.0 || ci.Hi > 1.45 {
		t.Errorf("CI %v should contain 1.2, exclude 1.0 and be narrower than ±0.25", ci)
	}

	if r, ci := BootstrapRatio(rand.New(rand.NewPCG(5, 5)), nil, cand, Median, 100, 0.95); !math.IsNaN(r) || ci.Valid() {
		t.Errorf("empty base: got %v %v, want NaN", r, ci)
	}
}

func TestBootstrapDegenerate(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 1))
	if est, ci := Bootstrap(rng, 0, 100, 0.95, func([]int) float64 { return 1 }); !math.IsNaN(est) || ci.Valid() {
		t.Errorf("n=0: %v %v", est, ci)
	}
	if est, ci := Bootstrap(rng, 1, 100, 0.95, func([]int) float64 { return 1 }); est != 1 || ci.Valid() {
		t.Errorf("n=1: %v %v", est, ci)
	}
	if est, ci := BootstrapQuantileCI(rng, []float64{1, math.NaN()}, 0.5, 100, 0.95); !math.IsNaN(est) || ci.Valid() {
		t.Errorf("NaN data: %v %v", est, ci)
	}
}

func TestNeededN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		n            int
		half, target float64
		want         int
	}{
		{"halve the width needs 4x", 100, 10, 5, 400}, // 100·(10/5)² = 400
		{"already narrow", 100, 4, 5, 100},            // no more needed
		{"rounds up", 10, 3, 2, 23},                   // 10·2.25 = 22.5 → 23
		{"NaN width", 10, math.NaN(), 1, -1},
		{"zero target", 10, 1, 0, -1},
		{"no data", 0, 1, 1, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := NeededN(tc.n, tc.half, tc.target); got != tc.want {
				t.Errorf("NeededN(%d, %v, %v) = %d, want %d", tc.n, tc.half, tc.target, got, tc.want)
			}
		})
	}
}

// TestBootstrapTwoMatchesRatio computes the same interval two ways: a ratio
// of medians by BootstrapRatio on values, and by BootstrapTwo on indices,
// from the same seed. Both draw the base sample first, so they must agree
// exactly.
func TestBootstrapTwoMatchesRatio(t *testing.T) {
	t.Parallel()
	src := rand.New(rand.NewPCG(11, 12))
	base, cand := make([]float64, 37), make([]float64, 23)
	for i := range base {
		base[i] = 1 + src.ExpFloat64()
	}
	for i := range cand {
		cand[i] = 1.3 + src.ExpFloat64()
	}
	r1, ci1 := BootstrapRatio(rand.New(rand.NewPCG(5, 6)), base, cand, Median, 999, 0.9)
	pick := func(xs []float64, idx []int) []float64 {
		out := make([]float64, len(idx))
		for i, j := range idx {
			out[i] = xs[j]
		}
		return out
	}
	r2, ci2 := BootstrapTwo(rand.New(rand.NewPCG(5, 6)), len(base), len(cand), 999, 0.9, func(ib, ic []int) float64 {
		return Median(pick(cand, ic)) / Median(pick(base, ib))
	})
	if r1 != r2 || ci1 != ci2 {
		t.Errorf("BootstrapRatio %v %v, BootstrapTwo %v %v", r1, ci1, r2, ci2)
	}
	if _, ci := BootstrapTwo(rand.New(rand.NewPCG(1, 1)), 1, 5, 10, 0.9, func(_, _ []int) float64 { return 1 }); ci.Valid() {
		t.Errorf("a one-observation sample gave a CI %v", ci)
	}
}
