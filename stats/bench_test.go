package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

func benchData(seed uint64, n int) []float64 {
	rng := rand.New(rand.NewPCG(seed, seed))
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = 100 * math.Exp(0.4*rng.NormFloat64())
	}
	return xs
}

func BenchmarkBootstrapRatio(b *testing.B) {
	base, cand := benchData(1, 500), benchData(2, 500)
	rng := rand.New(rand.NewPCG(3, 3))
	for b.Loop() {
		BootstrapRatio(rng, base, cand, Median, 2000, 0.95)
	}
}

func BenchmarkBootstrapQuantileCI(b *testing.B) {
	xs := benchData(1, 500)
	rng := rand.New(rand.NewPCG(3, 3))
	for b.Loop() {
		BootstrapQuantileCI(rng, xs, 0.9, 2000, 0.95)
	}
}

func BenchmarkMannWhitney(b *testing.B) {
	x, y := benchData(1, 1000), benchData(2, 1000)
	for b.Loop() {
		MannWhitney(x, y, Greater)
	}
}

func BenchmarkJonckheereTerpstraPerm(b *testing.B) {
	groups := make([][]float64, 5)
	for g := range groups {
		groups[g] = benchData(uint64(g), 40)
	}
	rng := rand.New(rand.NewPCG(3, 3))
	for b.Loop() {
		JonckheereTerpstraPerm(rng, groups, Greater, 2000)
	}
}

func BenchmarkTheilSen(b *testing.B) {
	x, y := benchData(1, 500), benchData(2, 500)
	for b.Loop() {
		TheilSen(x, y, 0.95)
	}
}
