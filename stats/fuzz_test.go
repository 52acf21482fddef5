package stats

import (
	"encoding/binary"
	"math"
	"slices"
	"testing"

	mfstats "github.com/montanaflynn/stats"
)

// pairsFrom decodes fuzz bytes into two equal-length samples of small
// integers (so ties are common).
func pairsFrom(data []byte) (x, y []float64) {
	for i := 0; i+1 < len(data) && len(x) < 64; i += 2 {
		x = append(x, float64(data[i]%7))
		y = append(y, float64(int8(data[i+1])/16))
	}
	return x, y
}

// FuzzKendallTauB compares the O(n log n) τ-b with montanaflynn's O(n²)
// pair counting.
func FuzzKendallTauB(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6})
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{1, 200, 2, 100, 3, 50, 1, 200})
	f.Fuzz(func(t *testing.T, data []byte) {
		x, y := pairsFrom(data)
		want, err := mfstats.KendallTau(x, y)
		if err != nil {
			want = math.NaN()
		}
		if got := KendallTauB(x, y); !close(got, want, 1e-12) {
			t.Fatalf("KendallTauB(%v, %v) = %v, brute force %v", x, y, got, want)
		}
	})
}

// FuzzHodgesLehmann compares the bisection order statistics of pairwise
// differences with sorting them all.
func FuzzHodgesLehmann(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255})
	f.Fuzz(func(t *testing.T, data []byte) {
		var x, y []float64
		for i := 0; i+8 <= len(data) && len(x)+len(y) < 80; i += 8 {
			v := math.Float64frombits(binary.LittleEndian.Uint64(data[i:]))
			if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1e100 {
				v = float64(data[i])
			}
			if data[i]%2 == 0 {
				x = append(x, v)
			} else {
				y = append(y, v)
			}
		}
		if len(x) == 0 || len(y) == 0 {
			return
		}
		var all []float64
		for _, a := range x {
			for _, b := range y {
				all = append(all, a-b)
			}
		}
		slices.Sort(all)
		d := newPairDiffs(x, y)
		for _, k := range []int{1, (len(all) + 1) / 2, len(all)} {
			if got := d.kth(k); got != all[k-1] {
				t.Fatalf("kth(%d) = %v, sorted %v (x %v, y %v)", k, got, all[k-1], x, y)
			}
		}
	})
}
