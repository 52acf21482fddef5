package report

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSortFloat32 checks the radix sort against slices.Sort on random
// values of every sign and magnitude, repeated values, and the edges.
func TestSortFloat32(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	cases := [][]float32{nil, {1}, {2, 1}, {0, -1, 1, float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32}}
	var r []float32
	for range 100_000 {
		switch rng.IntN(3) {
		case 0:
			r = append(r, float32(rng.NormFloat64()*1e3))
		case 1:
			r = append(r, float32(rng.ExpFloat64()*0.01))
		default:
			r = append(r, float32(rng.IntN(10))) // many repeats
		}
	}
	cases = append(cases, r)
	for _, xs := range cases {
		want := slices.Clone(xs)
		slices.Sort(want)
		got := slices.Clone(xs)
		sortFloat32(got)
		if !slices.Equal(got, want) {
			t.Errorf("sortFloat32 of %d values differs from slices.Sort", len(xs))
		}
	}
}
