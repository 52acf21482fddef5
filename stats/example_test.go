package stats_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/hypobench/hypobench/stats"
)

func ExampleQuantile() {
	ttftMs := []float64{31, 12, 45, 18, 22, 95, 27, 19}
	fmt.Println(stats.QuantileDefinition)
	fmt.Printf("p50 %.2f  p90 %.2f\n", stats.Quantile(ttftMs, 0.5), stats.Quantile(ttftMs, 0.9))
	// Output:
	// Hyndman-Fan type 7 (linear interpolation, R default)
	// p50 24.50  p90 60.00
}

func ExampleQuantileCI() {
	xs := []float64{8, 3, 9, 1, 7, 2, 10, 5, 4, 6}
	ci, ok := stats.QuantileCI(xs, 0.5, 0.95)
	fmt.Println(ci.Lo, ci.Hi, ok)
	_, ok = stats.QuantileCI(xs[:5], 0.5, 0.95)
	fmt.Println(ok) // five observations cannot give a 95% interval
	// Output:
	// 2 9 true
	// false
}

func ExampleBootstrapRatio() {
	data := rand.New(rand.NewPCG(1, 1))
	base := make([]float64, 400)
	cand := make([]float64, 400)
	for i := range base {
		base[i] = 100 + 10*data.NormFloat64()
		cand[i] = 130 + 10*data.NormFloat64()
	}
	rng := rand.New(rand.NewPCG(42, 0)) // the recorded seed
	ratio, ci := stats.BootstrapRatio(rng, base, cand, stats.Median, 2000, 0.95)
	fmt.Printf("median new/base = %.2f, 95%% CI [%.2f, %.2f]\n", ratio, ci.Lo, ci.Hi)
	fmt.Println("regression beyond 5%:", ci.Lo > 1.05)
	// Output:
	// median new/base = 1.30, 95% CI [1.28, 1.32]
	// regression beyond 5%: true
}

func ExampleNeededN() {
	// 200 requests gave a CI half-width of 12 ms; the claim needs 5 ms.
	fmt.Println(stats.NeededN(200, 12, 5))
	// Output: 1152
}

func ExampleKendallTest() {
	// Hollander & Wolfe (1973), p. 187, the example of R's ?cor.test.
	x := []float64{44.4, 45.9, 41.9, 53.3, 44.7, 44.1, 50.7, 45.2, 60.1}
	y := []float64{2.6, 3.1, 2.5, 5.0, 3.6, 4.0, 5.2, 2.8, 3.8}
	r := stats.KendallTest(rand.New(rand.NewPCG(1, 2)), x, y, stats.Greater, 20000)
	fmt.Printf("tau-b %.4f, p %.3f (%s; R's exact p = 0.0597)\n", r.Statistic, r.P, r.Method)
	// Output: tau-b 0.4444, p 0.063 (permutation, B=20000; R's exact p = 0.0597)
}

func ExampleJonckheereTerpstra() {
	// Progeny counts for males with 2, 1, 0 mutant alleles: increasing?
	groups := [][]float64{{16, 8, 6}, {27, 16, 15}, {31, 29, 18, 42}}
	r := stats.JonckheereTerpstra(groups, stats.Greater)
	fmt.Printf("J = %v, p = %.4f, P(later > earlier) = %.2f\n", r.Statistic, r.P, r.Effect)
	// Output: J = 30.5, p = 0.0036, P(later > earlier) = 0.92
}

func ExampleTheilSen() {
	x := []float64{1, 2, 3, 4, 5, 6, 7, 8}
	// One wild point: it widens Sen's interval (8 points are few) but
	// barely moves the estimate, while least squares nearly triples.
	y := []float64{2.1, 3.9, 6.2, 8.1, 9.8, 12.2, 14.1, 60}
	slope, intercept, ci := stats.TheilSen(x, y, 0.95)
	fmt.Printf("y = %.2f + %.2f x, slope 95%% CI [%.2f, %.2f]\n", intercept, slope, ci.Lo, ci.Hi)
	fmt.Printf("least squares slope %.2f\n", stats.LinearFit(x, y, 0.95).Slope)
	// Output:
	// y = -0.08 + 2.04 x, slope 95% CI [1.93, 9.35]
	// least squares slope 5.67
}

func ExampleElasticity() {
	promptTokens := []float64{128, 256, 512, 1024, 2048, 4096}
	prefillMs := []float64{10.1, 19.8, 41.0, 80.2, 163.5, 330.0}
	b, ci := stats.Elasticity(promptTokens, prefillMs, 0.90)
	fmt.Printf("prefill time grows as tokens^%.2f, 90%% CI [%.2f, %.2f]\n", b, ci.Lo, ci.Hi)
	// Output: prefill time grows as tokens^1.01, 90% CI [1.00, 1.02]
}

func ExampleMannWhitney() {
	// Permeability constants, the example of R's ?wilcox.test.
	x := []float64{0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46}
	y := []float64{1.15, 0.88, 0.90, 0.74, 1.21}
	r := stats.MannWhitney(x, y, stats.Greater)
	fmt.Printf("U = %v, p = %.4f (%s)\n", r.Statistic, r.P, r.Method)
	fmt.Printf("shift x-y = %.3f, 95%% CI [%.2f, %.2f]\n", r.Effect, r.EffectCI.Lo, r.EffectCI.Hi)
	// Output:
	// U = 35, p = 0.1272 (exact)
	// shift x-y = 0.305, 95% CI [-0.15, 0.76]
}

func ExampleLinearFit() {
	f := stats.LinearFit([]float64{1, 2, 3, 4, 5}, []float64{2.2, 4.1, 6.0, 8.3, 9.9}, 0.95)
	fmt.Printf("slope %.3f [%.3f, %.3f], R² %.4f\n", f.Slope, f.SlopeCI.Lo, f.SlopeCI.Hi, f.R2)
	// Output: slope 1.960 [1.792, 2.128], R² 0.9978
}
