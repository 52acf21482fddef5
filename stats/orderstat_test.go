package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// exactResampledQuantile enumerates every resample (n^n index tuples) of
// s and returns the exact distribution of its p-quantile.
func exactResampledQuantile(s []float64, p float64) map[float64]float64 {
	n := len(s)
	idx := make([]int, n)
	buf := make([]float64, n)
	pmf := map[float64]float64{}
	total := math.Pow(float64(n), float64(n))
	for {
		for i, j := range idx {
			buf[i] = s[j]
		}
		slices.Sort(buf)
		pmf[QuantileSorted(buf, p)] += 1 / total
		k := 0
		for k < n && idx[k] == n-1 {
			idx[k] = 0
			k++
		}
		if k == n {
			return pmf
		}
		idx[k]++
	}
}

// worstZ draws draws quantiles with sample and returns the largest
// |z| of an outcome's frequency against its exact probability.
func worstZ(rng *rand.Rand, s []float64, p float64, draws int, sample func(*rand.Rand, []float64, float64) float64) float64 {
	pmf := exactResampledQuantile(s, p)
	count := map[float64]int{}
	for range draws {
		count[sample(rng, s, p)]++
	}
	worst := 0.0
	for v := range count {
		if _, ok := pmf[v]; !ok {
			return math.Inf(1) // a value no resample gives
		}
	}
	for v, pr := range pmf {
		sd := math.Sqrt(pr * (1 - pr) / float64(draws))
		worst = max(worst, math.Abs(float64(count[v])/float64(draws)-pr)/sd)
	}
	return worst
}

// TestResampledQuantileExact checks the order-statistic sampler against
// the exact distribution of a resample's quantile, enumerated over all
// n^n resamples, for several n and p; and, as a negative control, that
// the same check catches an order statistic off by one.
func TestResampledQuantileExact(t *testing.T) {
	const draws = 200_000
	rng := rand.New(rand.NewPCG(1, 2))
	for _, s := range [][]float64{{1, 2, 4, 8}, {0.5, 1, 1.5, 2.5, 7}, {3, 3, 5, 9, 10, 20}} {
		for _, p := range []float64{0.1, 0.5, 0.9, 0.99, 1} {
			if z := worstZ(rng, s, p, draws, resampledQuantile); z > 5 {
				t.Errorf("n=%d p=%g: a quantile's frequency is %.1f sd from its exact probability", len(s), p, z)
			}
		}
	}
	offByOne := func(rng *rand.Rand, s []float64, p float64) float64 {
		n := len(s)
		h := float64(n-1) * p
		lo := int(math.Floor(h))
		u := orderUniform(rng, n, lo+2) // one order too high
		m := -math.Expm1(math.Log(1-rng.Float64()) / float64(n-lo-1))
		a, b := s[orderIndex(n, u)], s[orderIndex(n, min(u+(1-u)*m, 1))]
		return QuantileSorted([]float64{a, b}, h-float64(lo))
	}
	if z := worstZ(rng, []float64{1, 2, 4, 8}, 0.5, draws, offByOne); z < 10 {
		t.Errorf("an off-by-one order statistic passed the check (worst z %.1f): it has no teeth", z)
	}
}

// TestBootstrapQuantileRatioMatchesResampling compares the interval with
// BootstrapRatio's, which builds and sorts every resample: the same
// distribution, so the bounds agree within Monte Carlo error.
func TestBootstrapQuantileRatioMatchesResampling(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	base, cand := make([]float64, 400), make([]float64, 300)
	for i := range base {
		base[i] = math.Exp(rng.NormFloat64() * 0.5)
	}
	for i := range cand {
		cand[i] = 1.1 * math.Exp(rng.NormFloat64()*0.5)
	}
	const B = 20000
	for _, p := range []float64{0.5, 0.9} {
		stat := func(xs []float64) float64 { slices.Sort(xs); return QuantileSorted(xs, p) }
		wr, wci := BootstrapRatio(rand.New(rand.NewPCG(5, 6)), base, cand, stat, B, 0.9)
		gr, gci := BootstrapQuantileRatio(rand.New(rand.NewPCG(7, 8)), base, cand, p, B, 0.9)
		if gr != wr {
			t.Errorf("p=%g: ratio %v, want %v", p, gr, wr)
		}
		for _, b := range [][2]float64{{gci.Lo, wci.Lo}, {gci.Hi, wci.Hi}} {
			if math.Abs(b[0]/b[1]-1) > 0.01 {
				t.Errorf("p=%g: bound %.4f, resampling gives %.4f", p, b[0], b[1])
			}
		}
		if gci.Lo >= gr || gci.Hi <= gr {
			t.Errorf("p=%g: CI [%v, %v] does not hold the ratio %v", p, gci.Lo, gci.Hi, gr)
		}
	}
	if r, ci := BootstrapQuantileRatio(rng, nil, cand, 0.5, 10, 0.9); !math.IsNaN(r) || ci.Valid() {
		t.Errorf("empty base: %v %v, want NaN", r, ci)
	}
	if r, ci := BootstrapQuantileRatio(rng, []float64{1}, cand, 0.5, 10, 0.9); math.IsNaN(r) || ci.Valid() {
		t.Errorf("one base value: %v %v, want a ratio and no CI", r, ci)
	}
}

// TestQuantileCISorted checks it equals QuantileCI on sorted data.
func TestQuantileCISorted(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{1, 5, 40, 1000} {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = rng.ExpFloat64()
		}
		s := slices.Clone(xs)
		slices.Sort(s)
		for _, p := range []float64{0.1, 0.5, 0.9, 0.99} {
			want, wok := QuantileCI(xs, p, 0.95)
			got, gok := QuantileCISorted(s, p, 0.95)
			if wok != gok || (wok && want != got) {
				t.Errorf("n=%d p=%g: %v %v, QuantileCI gives %v %v", n, p, got, gok, want, wok)
			}
		}
	}
}
