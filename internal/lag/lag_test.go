package lag

import (
	"math"
	"testing"

	"github.com/hypobench/hypobench/record"
)

// TestOf checks the summary against values worked by hand (type 7: the
// p-quantile of n sorted values sits at index p·(n−1), interpolated).
func TestOf(t *testing.T) {
	if got := Of(nil); got != nil {
		t.Fatalf("Of(nil) = %+v, want nil", got)
	}
	xs := []float64{0.5, 0.001, 0.010, 0.002, 0.004}
	got := Of(xs)
	// Sorted: 0.001 0.002 0.004 0.010 0.5. p90 at index 3.6: 0.010 + 0.6·0.49;
	// p99 at 3.96: 0.010 + 0.96·0.49.
	want := record.Lag{N: 5, Mean: 0.517 / 5, P50: 0.004, P90: 0.010 + 0.6*0.49, P99: 0.010 + 0.96*0.49, Max: 0.5}
	for _, f := range []struct {
		name      string
		got, want float64
	}{{"mean", got.Mean, want.Mean}, {"p50", got.P50, want.P50}, {"p90", got.P90, want.P90}, {"p99", got.P99, want.P99}, {"max", got.Max, want.Max}} {
		if math.Abs(f.got-f.want) > 1e-12 {
			t.Errorf("%s = %v, want %v", f.name, f.got, f.want)
		}
	}
	if got.N != want.N {
		t.Errorf("N = %d, want %d", got.N, want.N)
	}
	if xs[0] != 0.5 {
		t.Errorf("Of sorted its argument: %v", xs)
	}
}
