package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	mfstats "github.com/montanaflynn/stats"
	"gonum.org/v1/gonum/stat/distuv"
)

// close reports whether a and b agree to a relative tolerance tol (absolute
// near zero); NaNs agree with NaNs.
func close(a, b, tol float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= tol*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

func TestQuantile(t *testing.T) {
	t.Parallel()
	// Reference: R 4.2.2,
	//   q <- c(3.1, 0.5, 7.2, 1.9, 4.4, 2.8, 9.0, 5.5)
	//   print(quantile(q, c(0,.1,.25,.5,.9,.99,1), type=7), digits=17)
	// printed 0.5 1.48 2.575 3.75 7.74 8.874 9.0.
	// By hand for p=0.25: sorted q = 0.5 1.9 2.8 3.1 4.4 5.5 7.2 9.0,
	// h = 7·0.25 = 1.75, Q = 1.9 + 0.75·(2.8−1.9) = 2.575.
	q := []float64{3.1, 0.5, 7.2, 1.9, 4.4, 2.8, 9.0, 5.5}
	tests := []struct {
		name string
		xs   []float64
		p    float64
		want float64
	}{
		{"R min", q, 0, 0.5},
		{"R p10", q, 0.1, 1.48},
		{"R p25", q, 0.25, 2.575},
		{"R median", q, 0.5, 3.75},
		{"R p90", q, 0.9, 7.74},
		{"R p99", q, 0.99, 8.874},
		{"R max", q, 1, 9.0},
		// NumPy's np.percentile documentation: a = [[10,7,4],[3,2,1]],
		// np.percentile(a, 50) = 3.5.
		{"numpy doc", []float64{10, 7, 4, 3, 2, 1}, 0.5, 3.5},
		{"single", []float64{42}, 0.3, 42},
		{"empty", nil, 0.5, math.NaN()},
		{"p<0", q, -0.1, math.NaN()},
		{"p>1", q, 1.1, math.NaN()},
		{"p NaN", q, math.NaN(), math.NaN()},
		{"NaN in data", []float64{1, math.NaN(), 3}, 0.5, math.NaN()},
		{"ties", []float64{2, 2, 2, 5}, 0.5, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := slices.Clone(tc.xs)
			got := Quantile(tc.xs, tc.p)
			if !close(got, tc.want, 1e-12) {
				t.Errorf("Quantile(%v, %v) = %v, want %v", tc.xs, tc.p, got, tc.want)
			}
			if !slices.Equal(before, tc.xs) && !slices.ContainsFunc(before, math.IsNaN) {
				t.Errorf("Quantile modified its input: %v -> %v", before, tc.xs)
			}
		})
	}
}

// TestQuantileMatchesMontanaflynn cross-checks against an independent
// implementation of the same definition: montanaflynn/stats.Percentile uses
// rank = (percent/100)·(n−1) with linear interpolation, i.e. type 7.
func TestQuantileMatchesMontanaflynn(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		n := 1 + rng.IntN(50)
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = math.Round(rng.NormFloat64()*100) / 10 // ties likely
		}
		for _, p := range []float64{0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1} {
			want, err := mfstats.Percentile(xs, p*100)
			if err != nil {
				t.Fatal(err)
			}
			if got := Quantile(xs, p); !close(got, want, 1e-9) {
				t.Fatalf("trial %d: Quantile(%v, %v) = %v, montanaflynn says %v", trial, xs, p, got, want)
			}
		}
	}
}

func TestMedianMean(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		xs           []float64
		median, mean float64
	}{
		{"odd", []float64{5, 1, 3}, 3, 3},
		{"even", []float64{4, 1, 3, 2}, 2.5, 2.5},
		{"skewed", []float64{1, 1, 1, 97}, 1, 25},
		{"empty", nil, math.NaN(), math.NaN()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Median(tc.xs); !close(got, tc.median, 1e-12) {
				t.Errorf("Median = %v, want %v", got, tc.median)
			}
			if got := Mean(tc.xs); !close(got, tc.mean, 1e-12) {
				t.Errorf("Mean = %v, want %v", got, tc.mean)
			}
		})
	}
}

func TestQuantileCI(t *testing.T) {
	t.Parallel()
	seq := func(n int) []float64 {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = float64(n - i) // reversed: QuantileCI must sort
		}
		return xs
	}
	// By hand, K ~ Binomial(10, 0.5) observations below the median:
	// P(2 ≤ K ≤ 8) = 1 − 2·(1+10+45)/1024 = 0.9785 ≥ 0.95 while
	// P(3 ≤ K ≤ 7) = 1 − 2·176/1024 = 0.656, so the 95% CI is [x(2), x(9)]
	// (the classical table value for n = 10).
	// For n = 5: P(1 ≤ K ≤ 4) = 1 − 2/32 = 0.9375 < 0.95, so no finite
	// 95% interval exists.
	tests := []struct {
		name     string
		xs       []float64
		p, level float64
		want     CI
		ok       bool
	}{
		{"n10 median", seq(10), 0.5, 0.95, CI{2, 9, 0.95}, true},
		{"n5 median too small", seq(5), 0.5, 0.95, nanCI(0.95), false},
		{"n5 median 90%", seq(5), 0.5, 0.90, CI{1, 5, 0.90}, true},
		{"p90 n10 too small", seq(10), 0.9, 0.95, nanCI(0.95), false},
		{"empty", nil, 0.5, 0.95, nanCI(0.95), false},
		{"bad level", seq(10), 0.5, 1, nanCI(1), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := QuantileCI(tc.xs, tc.p, tc.level)
			if ok != tc.ok || !close(got.Lo, tc.want.Lo, 0) || !close(got.Hi, tc.want.Hi, 0) || got.Level != tc.want.Level {
				t.Errorf("QuantileCI = %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

// TestQuantileCICoverage checks, for every n up to 300 and several
// quantiles, that the order statistics returned cover the quantile with
// exact binomial probability at least the level (up to 0.01 where the
// normal approximation is used, n > 30).
func TestQuantileCICoverage(t *testing.T) {
	t.Parallel()
	for _, p := range []float64{0.5, 0.9, 0.99} {
		for n := 1; n <= 300; n++ {
			xs := make([]float64, n)
			for i := range xs {
				xs[i] = float64(i + 1)
			}
			ci, ok := QuantileCI(xs, p, 0.95)
			if !ok {
				continue
			}
			l, r := int(ci.Lo), int(ci.Hi) // order statistics x(l), x(r)
			b := distuv.Binomial{N: float64(n), P: p}
			// K = number of observations below the quantile; it lies
			// in [x(l), x(r)] when l ≤ K ≤ r−1.
			cov := b.CDF(float64(r-1)) - b.CDF(float64(l-1))
			tol := 0.0
			if n > 30 {
				tol = 0.01
			}
			if cov < 0.95-tol-1e-12 {
				t.Errorf("p=%v n=%d: CI [x(%d), x(%d)] covers with probability %.4f < 0.95", p, n, l, r, cov)
			}
		}
	}
}

// TestQuantileSorted holds QuantileSorted on a sorted copy to Quantile.
func TestQuantileSorted(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	ps := []float64{0, 0.1, 0.5, 0.9, 1}
	for n := 1; n <= 12; n++ {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = rng.Float64()
		}
		want := make([]float64, len(ps))
		for i, p := range ps {
			want[i] = Quantile(xs, p)
		}
		slices.Sort(xs)
		for i, p := range ps {
			if got := QuantileSorted(xs, p); got != want[i] {
				t.Errorf("n %d p %g: QuantileSorted %g, Quantile %g", n, p, got, want[i])
			}
		}
	}
	if got := QuantileSorted(nil, 0.5); !math.IsNaN(got) {
		t.Errorf("QuantileSorted(nil) = %g, want NaN", got)
	}
}
