package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// Permeability constants from R's ?wilcox.test example (Hollander & Wolfe
// 1973, p. 69): x at term, y after 12–26 weeks of gestation.
var (
	permX = []float64{0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46}
	permY = []float64{1.15, 0.88, 0.90, 0.74, 1.21}
)

// Larger samples with ties, generated and analysed in R 4.2.2:
//
//	set.seed(1); a <- round(rexp(80)*10, 1); b <- round(rexp(70)*10+2, 1)
//	wilcox.test(a, b, alternative="less", conf.int=TRUE)
//	  W = 2594, p-value = 0.219409317220288 (normal approximation with
//	  tie and continuity correction)
//	median(outer(a, b, "-")) = -0.8
var (
	rA = []float64{7.6, 11.8, 1.5, 1.4, 4.4, 28.9, 12.3, 5.4, 9.6, 1.5, 13.9, 7.6, 12.4, 44.2, 10.5, 10.4, 18.8, 6.5, 3.4, 5.9, 23.6, 6.4, 2.9, 5.7, 1.1, 0.6, 5.8, 39.6, 11.7, 10, 14.4, 0.4, 3.2, 13.2, 2, 10.2, 3, 7.3, 7.5, 2.4, 10.8, 10.3, 12.9, 12.5, 5.5, 3, 12.9, 9.9, 5.1, 20.1, 4.2, 21.8, 32.2, 5.6, 5.9, 9.8, 2.1, 3.1, 11.1, 7.7, 0.9, 11.1, 2.5, 15.7, 48.3, 4.3, 27.3, 11.4, 8.1, 8.4, 17.8, 23.1, 29.1, 2.9, 3.9, 0.5, 3.5, 15.7, 8.1, 27.6}
	rB = []float64{5.9, 12.1, 10.2, 2.6, 24.8, 10, 17.8, 14.3, 15.5, 23, 12.4, 6.5, 12.4, 4.6, 8.8, 4.6, 6.5, 4.1, 3.3, 5.5, 21, 7.2, 6.5, 5.8, 14.5, 28.9, 4, 25, 7.7, 9.6, 17.7, 20.4, 2.4, 3.3, 16.2, 9.2, 6.4, 2.7, 4.1, 5, 4.4, 9.4, 19.1, 11.8, 2.2, 3.8, 34.6, 15.6, 2.9, 13.9, 4.6, 14.5, 5.8, 5.8, 3.1, 11.1, 3.6, 3, 22.7, 9.9, 7.3, 12.3, 24.5, 13.8, 4.2, 10.1, 7.8, 6, 19.1, 23.1}
)

func TestMannWhitney(t *testing.T) {
	t.Parallel()
	// R 4.2.2 (exact test, no ties): W = 35;
	// wilcox.test(x, y, alternative = "g")$p.value = 0.127206127206127,
	// "less" 0.896769896769897, two-sided 0.254412254412254;
	// estimate ("difference in location") 0.305, 95% CI [-0.15, 0.76].
	tests := []struct {
		name   string
		x, y   []float64
		alt    Alternative
		u, p   float64
		method string
	}{
		{"R example greater", permX, permY, Greater, 35, 0.127206127206127, "exact"},
		{"R example less", permX, permY, Less, 35, 0.896769896769897, "exact"},
		{"R example two-sided", permX, permY, TwoSided, 35, 0.254412254412254, "exact"},
		{"R normal approx with ties", rA, rB, Less, 2594, 0.219409317220288, "normal approximation with tie and continuity correction"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := MannWhitney(tc.x, tc.y, tc.alt)
			if r.Statistic != tc.u || !close(r.P, tc.p, 1e-9) || r.Method != tc.method || r.N != len(tc.x)+len(tc.y) {
				t.Errorf("got U = %v, P = %.15g, method %q; want %v, %.15g, %q", r.Statistic, r.P, r.Method, tc.u, tc.p, tc.method)
			}
		})
	}
	r := MannWhitney(permX, permY, Greater)
	if !close(r.Effect, 0.305, 1e-12) || !close(r.EffectCI.Lo, -0.15, 1e-12) || !close(r.EffectCI.Hi, 0.76, 1e-12) {
		t.Errorf("effect %v CI %v; R: 0.305 [-0.15, 0.76]", r.Effect, r.EffectCI)
	}
}

func TestHodgesLehmann(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		x, y   []float64
		level  float64
		shift  float64
		lo, hi float64
	}{
		// R 4.2.2: wilcox.test(x, y, conf.int=TRUE) → 0.305, [-0.15, 0.76];
		// conf.level=0.9 → [-0.08, 0.72].
		{"R 95%", permX, permY, 0.95, 0.305, -0.15, 0.76},
		{"R 90%", permX, permY, 0.90, 0.305, -0.08, 0.72},
		// By hand: x = {1, 2, 3}, y = {0}: differences 1, 2, 3, median 2.
		// Under H0, U takes 0..3 with probability ¼ each, so P(U ≤ 0) = ¼
		// exceeds α/2 for any level > ½: no interval.
		{"tiny", []float64{1, 2, 3}, []float64{0}, 0.95, 2, math.NaN(), math.NaN()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			shift, ci := HodgesLehmann(tc.x, tc.y, tc.level)
			if !close(shift, tc.shift, 1e-12) || !close(ci.Lo, tc.lo, 1e-12) || !close(ci.Hi, tc.hi, 1e-12) || ci.Level != tc.level {
				t.Errorf("got %v %v, want %v [%v, %v]", shift, ci, tc.shift, tc.lo, tc.hi)
			}
		})
	}
	// R: median(outer(a, b, "-")) = -0.8 on the larger tied samples.
	if shift, _ := HodgesLehmann(rA, rB, 0.95); !close(shift, -0.8, 1e-12) {
		t.Errorf("shift = %v, R's median of differences -0.8", shift)
	}
	if s, ci := HodgesLehmann(nil, permY, 0.95); !math.IsNaN(s) || ci.Valid() {
		t.Errorf("empty x: %v %v", s, ci)
	}
}

// TestPairDiffsKth checks the bisection order statistics against sorting
// all pairwise differences, on random data with ties, negative values and
// both exact and large-sample interval ranks.
func TestPairDiffsKth(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(21, 22))
	for trial := range 100 {
		x := make([]float64, 1+rng.IntN(70))
		y := make([]float64, 1+rng.IntN(70))
		for i := range x {
			x[i] = math.Round(rng.NormFloat64()*20) / 4
		}
		for i := range y {
			y[i] = math.Round(rng.NormFloat64()*20)/4 + 1
		}
		var all []float64
		for _, a := range x {
			for _, b := range y {
				all = append(all, a-b)
			}
		}
		slices.Sort(all)
		d := newPairDiffs(x, y)
		for _, k := range []int{1, len(all) / 3, len(all)/2 + 1, len(all)} {
			if k < 1 {
				continue
			}
			if got := d.kth(k); got != all[k-1] {
				t.Fatalf("trial %d: kth(%d) = %v, sorted %v", trial, k, got, all[k-1])
			}
		}
		shift, ci := HodgesLehmann(x, y, 0.95)
		if want := Median(all); !close(shift, want, 1e-12) {
			t.Fatalf("trial %d: shift %v, median of differences %v", trial, shift, want)
		}
		if k := hlRank(len(x), len(y), 0.95); k >= 1 {
			if ci.Lo != all[k-1] || ci.Hi != all[len(all)-k] {
				t.Fatalf("trial %d: CI %v, want [D(%d), D(%d)] = [%v, %v]", trial, ci, k, len(all)+1-k, all[k-1], all[len(all)-k])
			}
		}
	}
}

// TestHodgesLehmannCoverage checks the interval's coverage of a known
// shift (2.0) over 300 seeded pairs of samples from skewed distributions,
// in the exact (n = 12, 15) and approximate (n = 60, 70) regimes: at 90%
// nominal the observed share must lie in [0.83, 0.96].
func TestHodgesLehmannCoverage(t *testing.T) {
	t.Parallel()
	for _, sz := range [][2]int{{12, 15}, {60, 70}} {
		covered := 0
		const sets = 300
		for s := range sets {
			rng := rand.New(rand.NewPCG(uint64(s), uint64(sz[0])))
			x := make([]float64, sz[0])
			y := make([]float64, sz[1])
			for i := range x {
				x[i] = rng.ExpFloat64() + 2
			}
			for i := range y {
				y[i] = rng.ExpFloat64()
			}
			if _, ci := HodgesLehmann(x, y, 0.90); ci.Contains(2) {
				covered++
			}
		}
		if f := float64(covered) / sets; f < 0.83 || f > 0.96 {
			t.Errorf("sizes %v: coverage %.3f", sz, f)
		}
	}
}

func TestMannWhitneyTooLittleData(t *testing.T) {
	t.Parallel()
	for name, xy := range map[string][2][]float64{
		"empty x":   {nil, {1, 2}},
		"all equal": {{3, 3}, {3, 3, 3}},
		"NaN":       {{1, math.NaN()}, {2}},
	} {
		t.Run(name, func(t *testing.T) {
			r := MannWhitney(xy[0], xy[1], TwoSided)
			if !math.IsNaN(r.P) || len(r.Warnings) == 0 {
				t.Errorf("Result = %+v, want NaN P with a warning", r)
			}
		})
	}
}
