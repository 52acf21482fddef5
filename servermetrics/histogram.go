package servermetrics

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// Bucket is one cumulative histogram bucket: Count observations were ≤
// UpperBound.
type Bucket struct {
	UpperBound float64
	Count      float64
}

// Histogram is a classic Prometheus histogram read from _bucket, _sum and
// _count series, or the difference of two such readings. Buckets are sorted
// by UpperBound and cumulative.
type Histogram struct {
	Buckets []Bucket
	Count   float64
	Sum     float64
}

// ErrCounterReset means a later reading was smaller than an earlier one: the
// server restarted (or the series was replaced) between the two scrapes.
var ErrCounterReset = errors.New("counter went backwards (server restart?)")

// Sub returns h − earlier bucket by bucket: the observations made between the
// two readings. Buckets present in only one reading are an error, as is any
// bucket, count or sum that decreased (ErrCounterReset).
func (h Histogram) Sub(earlier Histogram) (Histogram, error) {
	if len(h.Buckets) != len(earlier.Buckets) {
		return Histogram{}, fmt.Errorf("histogram layouts differ: %d buckets now, %d before", len(h.Buckets), len(earlier.Buckets))
	}
	d := Histogram{Buckets: make([]Bucket, len(h.Buckets)), Count: h.Count - earlier.Count, Sum: h.Sum - earlier.Sum}
	if d.Count < 0 {
		return Histogram{}, ErrCounterReset
	}
	for i, b := range h.Buckets {
		e := earlier.Buckets[i]
		if b.UpperBound != e.UpperBound && !(math.IsNaN(b.UpperBound) && math.IsNaN(e.UpperBound)) {
			return Histogram{}, fmt.Errorf("histogram layouts differ at bucket %d: le=%s now, le=%s before",
				i, formatBound(b.UpperBound), formatBound(e.UpperBound))
		}
		c := b.Count - e.Count
		if c < 0 {
			return Histogram{}, ErrCounterReset
		}
		d.Buckets[i] = Bucket{UpperBound: b.UpperBound, Count: c}
	}
	return d, nil
}

// Mean returns Sum/Count, and false when Count is zero.
func (h Histogram) Mean() (float64, bool) {
	if h.Count <= 0 {
		return 0, false
	}
	return h.Sum / h.Count, true
}

// Quantile estimates the q-quantile of the observations the way PromQL's
// histogram_quantile does for classic histograms: find the first bucket whose
// cumulative count reaches rank = q·total and interpolate linearly between
// its lower and upper bound. The lowest bucket's lower bound is 0 when its
// upper bound is positive (otherwise its upper bound is returned); a rank in
// the +Inf bucket returns the highest finite bound. It returns NaN when the
// highest bucket is not +Inf, there are fewer than two buckets, or no
// observations; −Inf for q < 0 and +Inf for q > 1. Non-monotonic cumulative
// counts (from scraping while the server updates buckets) are raised to the
// running maximum first, as Prometheus does.
func (h Histogram) Quantile(q float64) float64 {
	switch {
	case math.IsNaN(q):
		return math.NaN()
	case q < 0:
		return math.Inf(-1)
	case q > 1:
		return math.Inf(1)
	}
	bs := coalesce(h.Buckets)
	if len(bs) < 2 || !math.IsInf(bs[len(bs)-1].UpperBound, 1) {
		return math.NaN()
	}
	for i := 1; i < len(bs); i++ {
		if bs[i].Count < bs[i-1].Count {
			bs[i].Count = bs[i-1].Count
		}
	}
	total := bs[len(bs)-1].Count
	if total == 0 {
		return math.NaN()
	}
	rank := q * total
	b := sort.Search(len(bs)-1, func(i int) bool { return bs[i].Count >= rank })
	if b == len(bs)-1 {
		return bs[len(bs)-2].UpperBound
	}
	if b == 0 && bs[0].UpperBound <= 0 {
		return bs[0].UpperBound
	}
	lo, hi, count := 0.0, bs[b].UpperBound, bs[b].Count
	if b > 0 {
		lo = bs[b-1].UpperBound
		count -= bs[b-1].Count
		rank -= bs[b-1].Count
	}
	if count == 0 {
		return hi
	}
	return lo + (hi-lo)*(rank/count)
}

// coalesce returns a sorted copy of bs with buckets of equal bound merged
// (their counts added, as when series from two engines are summed).
func coalesce(bs []Bucket) []Bucket {
	out := make([]Bucket, len(bs))
	copy(out, bs)
	sort.SliceStable(out, func(i, j int) bool { return out[i].UpperBound < out[j].UpperBound })
	n := 0
	for i, b := range out {
		if i > 0 && b.UpperBound == out[n-1].UpperBound {
			out[n-1].Count += b.Count
			continue
		}
		out[n] = b
		n++
	}
	return out[:n]
}
