package servermetrics

import (
	"errors"
	"fmt"
	"math"
	"testing"
)

var inf = math.Inf(1)

func TestQuantile(t *testing.T) {
	t.Parallel()
	four := []Bucket{{1, 10}, {2, 20}, {4, 40}, {inf, 40}}
	tests := []struct {
		name    string
		buckets []Bucket
		q       float64
		want    float64
	}{
		{"first bucket from zero", four, 0.25, 1},
		{"median at a bound", four, 0.5, 2},
		{"interpolated inside a bucket", four, 0.75, 3},
		{"interpolated p90", four, 0.9, 3.6},
		{"rank in +Inf bucket returns highest finite bound", []Bucket{{1, 5}, {inf, 10}}, 0.9, 1},
		{"non-positive lowest bound returned as is", []Bucket{{0, 4}, {1, 8}, {inf, 8}}, 0.25, 0},
		{"non-monotonic counts raised", []Bucket{{1, 10}, {2, 8}, {inf, 20}}, 0.5, 1},
		{"equal bounds coalesced", []Bucket{{1, 3}, {1, 2}, {inf, 10}}, 0.5, 1},
		{"unsorted input", []Bucket{{inf, 40}, {4, 40}, {1, 10}, {2, 20}}, 0.75, 3},
		{"q below 0", four, -0.1, math.Inf(-1)},
		{"q above 1", four, 1.1, inf},
		{"no +Inf bucket", []Bucket{{1, 1}, {2, 2}}, 0.5, math.NaN()},
		{"one bucket", []Bucket{{inf, 3}}, 0.5, math.NaN()},
		{"no observations", []Bucket{{1, 0}, {inf, 0}}, 0.5, math.NaN()},
		{"NaN q", four, math.NaN(), math.NaN()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Histogram{Buckets: tc.buckets}.Quantile(tc.q)
			if !same(got, tc.want) {
				t.Errorf("Quantile(%v) = %v, want %v", tc.q, got, tc.want)
			}
		})
	}
}

func same(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	if math.IsInf(a, 0) || math.IsInf(b, 0) {
		return a == b
	}
	return math.Abs(a-b) <= 1e-12*math.Max(1, math.Abs(b))
}

func TestSub(t *testing.T) {
	t.Parallel()
	before := Histogram{Buckets: []Bucket{{1, 2}, {2, 5}, {inf, 6}}, Count: 6, Sum: 7}
	tests := []struct {
		name    string
		after   Histogram
		want    Histogram
		wantErr error
	}{
		{
			name:  "observations added",
			after: Histogram{Buckets: []Bucket{{1, 3}, {2, 9}, {inf, 12}}, Count: 12, Sum: 15.5},
			want:  Histogram{Buckets: []Bucket{{1, 1}, {2, 4}, {inf, 6}}, Count: 6, Sum: 8.5},
		},
		{
			name:  "nothing happened",
			after: before,
			want:  Histogram{Buckets: []Bucket{{1, 0}, {2, 0}, {inf, 0}}, Count: 0, Sum: 0},
		},
		{
			name:    "server restarted",
			after:   Histogram{Buckets: []Bucket{{1, 1}, {2, 1}, {inf, 1}}, Count: 1, Sum: 0.5},
			wantErr: ErrCounterReset,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.after.Sub(before)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if err == nil && fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("Sub = %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("layouts differ", func(t *testing.T) {
		t.Parallel()
		_, err := Histogram{Buckets: []Bucket{{1, 2}, {3, 5}, {inf, 6}}, Count: 6}.Sub(before)
		if err == nil {
			t.Error("Sub of histograms with different bounds succeeded")
		}
	})
}

func TestMean(t *testing.T) {
	t.Parallel()
	if _, ok := (Histogram{}).Mean(); ok {
		t.Error("Mean of an empty histogram reported ok")
	}
	if m, ok := (Histogram{Count: 4, Sum: 2}).Mean(); !ok || m != 0.5 {
		t.Errorf("Mean = %v, %v; want 0.5, true", m, ok)
	}
}

func ExampleHistogram_Quantile() {
	h := Histogram{Buckets: []Bucket{{0.1, 2}, {0.25, 8}, {0.5, 10}, {math.Inf(1), 10}}}
	fmt.Printf("p50 %.4f p90 %.4f\n", h.Quantile(0.5), h.Quantile(0.9))
	// Output: p50 0.1750 p90 0.3750
}
