package report

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSortFloat64s checks the radix sort against slices.Sort on random
// values of every sign and magnitude, widened float32s (the spilled
// pools), many repeats, and the edges.
func TestSortFloat64s(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	cases := [][]float64{nil, {1}, {2, 1}, {0, -1, 1, math.Inf(1), math.Inf(-1), math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64}}
	for _, n := range []int{65, 1000, 200_000} {
		var r []float64
		for range n {
			switch rng.IntN(4) {
			case 0:
				r = append(r, rng.NormFloat64()*1e3)
			case 1:
				r = append(r, float64(float32(rng.ExpFloat64()*0.01)))
			case 2:
				r = append(r, math.Float64frombits(rng.Uint64()&^(0x7ff<<52)|rng.Uint64()&(0x7fe<<52)))
			default:
				r = append(r, float64(rng.IntN(10))) // many repeats
			}
		}
		cases = append(cases, r)
	}
	for _, xs := range cases {
		want := slices.Clone(xs)
		slices.Sort(want)
		got := slices.Clone(xs)
		sortFloat64s(got)
		if !slices.Equal(got, want) {
			t.Errorf("sortFloat64s of %d values differs from slices.Sort", len(xs))
		}
	}
}
