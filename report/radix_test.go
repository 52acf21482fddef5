package report

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDistKeys checks the radix path against the float64 one: sorting
// float32 values by their orderedBits gives slices.Sort's order, and
// distKeys gives dist's quantiles and intervals bit for bit, on values of
// every sign and magnitude, repeats and the edges, at sizes on both sides
// of the intervals' minimum.
func TestDistKeys(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	cases := [][]float32{nil, {1}, {2, 1}, {0, -1, 1, float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32}}
	for _, n := range []int{30, 1000, 200_000} {
		var r []float32
		for range n {
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
	}
	for _, ys := range cases {
		want := make([]float64, len(ys))
		keys := make([]uint32, len(ys))
		for i, y := range ys {
			want[i], keys[i] = float64(y), orderedBits(y)
		}
		slices.Sort(want)
		keys = radixSort(keys)
		for i, k := range keys {
			if fromOrderedBits(k) != want[i] {
				t.Fatalf("%d values: sorted value %d is %v, slices.Sort gives %v", len(ys), i, fromOrderedBits(k), want[i])
			}
		}
		wd := distSorted(want)
		wd.Mean = nil
		if d := cmp.Diff(wd, distKeys(keys)); d != "" {
			t.Errorf("%d values: distKeys differs from distSorted (-want +got):\n%s", len(ys), d)
		}
	}
}
