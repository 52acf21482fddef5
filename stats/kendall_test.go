package stats

import (
	"math"
	"math/rand/v2"
	"testing"

	mfstats "github.com/montanaflynn/stats"
)

// hollanderWolfeX and hollanderWolfeY are the data of the example in R's
// ?cor.test (Hollander & Wolfe 1973, p. 187f.): R 4.2.2 prints for
// cor.test(x, y, method = "kendall", alternative = "greater")
// "T = 26, p-value = 0.05972, tau 0.4444444" (exact null distribution),
// and p-value = 0.1194 two-sided. T = 26 concordant of 36 pairs, so
// S = C − D = 26 − 10 = 16 and τ = 16/36.
var (
	hollanderWolfeX = []float64{44.4, 45.9, 41.9, 53.3, 44.7, 44.1, 50.7, 45.2, 60.1}
	hollanderWolfeY = []float64{2.6, 3.1, 2.5, 5.0, 3.6, 4.0, 5.2, 2.8, 3.8}
)

func TestKendallTauB(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		x, y []float64
		want float64
	}{
		{"R cor.test example", hollanderWolfeX, hollanderWolfeY, 16.0 / 36},
		// R 4.2.2: x <- c(1,1,2,2,3,3,4,4,5,5); y <- c(3,1,2,4,4,6,5,5,9,7)
		// print(cor(x, y, method="kendall"), digits=17) → 0.79570065658117983.
		{"R ties", []float64{1, 1, 2, 2, 3, 3, 4, 4, 5, 5}, []float64{3, 1, 2, 4, 4, 6, 5, 5, 9, 7}, 0.79570065658117983},
		{"monotone", []float64{1, 2, 3, 4, 5}, []float64{10, 20, 25, 70, 71}, 1},
		{"antitone", []float64{1, 2, 3, 4, 5}, []float64{5, 4, 3, 2, 1}, -1},
		{"constant y", []float64{1, 2, 3}, []float64{4, 4, 4}, math.NaN()},
		{"one pair", []float64{1}, []float64{2}, math.NaN()},
		{"length mismatch", []float64{1, 2}, []float64{2}, math.NaN()},
		{"NaN", []float64{1, 2, math.NaN()}, []float64{1, 2, 3}, math.NaN()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := KendallTauB(tc.x, tc.y); !close(got, tc.want, 1e-12) {
				t.Errorf("KendallTauB = %.17g, want %.17g", got, tc.want)
			}
		})
	}
}

// TestKendallTauBMatchesBruteForce checks the O(n log n) algorithm against
// montanaflynn/stats.KendallTau, an independent O(n²) pair-counting τ-b,
// on random data with many ties in both variables.
func TestKendallTauBMatchesBruteForce(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(11, 12))
	for trial := range 300 {
		n := 2 + rng.IntN(60)
		levels := 1 + rng.IntN(8)
		x := make([]float64, n)
		y := make([]float64, n)
		for i := range x {
			x[i] = float64(rng.IntN(levels))
			y[i] = math.Round(x[i]*rng.Float64()*3 + rng.NormFloat64()*2)
		}
		want, err := mfstats.KendallTau(x, y)
		if err != nil {
			want = math.NaN()
		}
		if got := KendallTauB(x, y); !close(got, want, 1e-12) {
			t.Fatalf("trial %d: KendallTauB(%v, %v) = %v, brute force %v", trial, x, y, got, want)
		}
	}
}

// exactKendallP enumerates all n! orderings of y against x (Heap's
// algorithm) and returns the exact permutation p-values of S = C − D, by
// brute-force pair counting: an independent computation of what
// KendallTest estimates.
func exactKendallP(x, y []float64) (greater, less, twoSided float64) {
	n := len(x)
	sOf := func(y []float64) int {
		s := 0
		for i := range n {
			for j := i + 1; j < n; j++ {
				a := (x[j] - x[i]) * (y[j] - y[i])
				switch {
				case a > 0:
					s++
				case a < 0:
					s--
				}
			}
		}
		return s
	}
	obs := sOf(y)
	p := append([]float64(nil), y...)
	c := make([]int, n)
	total, ge, le, abs := 0, 0, 0, 0
	count := func() {
		s := sOf(p)
		total++
		if s >= obs {
			ge++
		}
		if s <= obs {
			le++
		}
		if s >= obs || -s >= obs {
			abs++
		}
	}
	count()
	for i := 0; i < n; {
		if c[i] < i {
			if i%2 == 0 {
				p[0], p[i] = p[i], p[0]
			} else {
				p[c[i]], p[i] = p[i], p[c[i]]
			}
			count()
			c[i]++
			i = 0
		} else {
			c[i] = 0
			i++
		}
	}
	return float64(ge) / float64(total), float64(le) / float64(total), float64(abs) / float64(total)
}

func TestKendallTestMatchesExact(t *testing.T) {
	t.Parallel()
	// Exact permutation p-values by enumeration of all 9! orderings must
	// reproduce R's printed exact values 0.05972 (greater) and 0.1194
	// (two-sided) ...
	exactG, exactL, exact2 := exactKendallP(hollanderWolfeX, hollanderWolfeY)
	if math.Abs(exactG-0.05972) > 5e-6 || math.Abs(exact2-0.1194) > 5e-5 {
		t.Fatalf("enumeration gives p = %.6f / %.6f, R prints 0.05972 / 0.1194", exactG, exact2)
	}
	// ... and KendallTest's Monte-Carlo p-value with B = 20000 must be
	// within 4 standard errors (√(p(1−p)/B) ≈ 0.0017 and 0.0023) of them,
	// and likewise for Less against the enumerated P(S* ≤ 16).
	// The seed is fixed, so this is deterministic.
	tests := []struct {
		alt  Alternative
		want float64
	}{{Greater, exactG}, {TwoSided, exact2}, {Less, exactL}}
	for _, tc := range tests {
		t.Run(tc.alt.String(), func(t *testing.T) {
			r := KendallTest(rand.New(rand.NewPCG(1, 2)), hollanderWolfeX, hollanderWolfeY, tc.alt, 20000)
			se := math.Sqrt(tc.want * (1 - tc.want) / 20000)
			if math.Abs(r.P-tc.want) > 4*se {
				t.Errorf("P = %v, exact %v (±%v)", r.P, tc.want, 4*se)
			}
			if !close(r.Statistic, 16.0/36, 1e-12) || r.N != 9 || !r.EffectCI.Contains(r.Effect) {
				t.Errorf("Result = %+v", r)
			}
		})
	}
}

// TestKendallTestNullUniform checks that the permutation p-value is roughly
// uniform under the null: over 300 seeded independent data sets (n = 25,
// with ties), the share of p ≤ 0.05 must lie in [0.01, 0.10] and the share
// of p ≤ 0.5 in [0.40, 0.60] (both beyond 3.5 binomial standard errors).
func TestKendallTestNullUniform(t *testing.T) {
	t.Parallel()
	const sets = 300
	le05, le50 := 0, 0
	for s := range sets {
		data := rand.New(rand.NewPCG(uint64(s), 77))
		x := make([]float64, 25)
		y := make([]float64, 25)
		for i := range x {
			x[i] = float64(i % 5) // five levels, like a concurrency ladder
			y[i] = math.Round(data.ExpFloat64() * 10)
		}
		r := KendallTest(rand.New(rand.NewPCG(uint64(s), 1)), x, y, Greater, 199)
		if r.P <= 0.05 {
			le05++
		}
		if r.P <= 0.5 {
			le50++
		}
	}
	if f := float64(le05) / sets; f < 0.01 || f > 0.10 {
		t.Errorf("share of p ≤ 0.05 under the null = %.3f", f)
	}
	if f := float64(le50) / sets; f < 0.40 || f > 0.60 {
		t.Errorf("share of p ≤ 0.5 under the null = %.3f", f)
	}
}

func TestKendallTestDetectsTrend(t *testing.T) {
	t.Parallel()
	data := rand.New(rand.NewPCG(4, 4))
	x := make([]float64, 60)
	y := make([]float64, 60)
	for i := range x {
		x[i] = float64(i % 6)
		y[i] = 2*x[i] + data.NormFloat64()
	}
	r := KendallTest(rand.New(rand.NewPCG(1, 1)), x, y, Greater, 999)
	if r.P != 1.0/1000 || r.Effect < 0.5 || !(r.EffectCI.Lo > 0.4 && r.EffectCI.Hi <= 1) {
		t.Errorf("strong trend: %+v", r)
	}
	if len(r.Warnings) != 0 {
		t.Errorf("unexpected warnings %v", r.Warnings)
	}
}

func TestKendallTestTooLittleData(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 1))
	for name, xy := range map[string][2][]float64{
		"two pairs":  {{1, 2}, {1, 2}},
		"constant x": {{1, 1, 1, 1}, {1, 2, 3, 4}},
		"mismatch":   {{1, 2, 3}, {1, 2}},
	} {
		t.Run(name, func(t *testing.T) {
			r := KendallTest(rng, xy[0], xy[1], TwoSided, 10)
			if !math.IsNaN(r.P) || !math.IsNaN(r.Statistic) || len(r.Warnings) == 0 {
				t.Errorf("Result = %+v, want NaN with a warning", r)
			}
		})
	}
}

func BenchmarkKendallTest(b *testing.B) {
	data := rand.New(rand.NewPCG(1, 1))
	x := make([]float64, 200)
	y := make([]float64, 200)
	for i := range x {
		x[i] = float64(i % 8)
		y[i] = x[i] + data.NormFloat64()*3
	}
	rng := rand.New(rand.NewPCG(2, 2))
	for b.Loop() {
		KendallTest(rng, x, y, Greater, 2000)
	}
}
