package lag

import (
	"slices"

	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/stats"
)

// Of summarises delays xs in seconds; nil when there are none. xs is not
// modified.
func Of(xs []float64) *record.Lag {
	if len(xs) == 0 {
		return nil
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return &record.Lag{
		N: len(s), Mean: stats.Mean(s), P50: stats.QuantileSorted(s, 0.5),
		P90: stats.QuantileSorted(s, 0.9), P99: stats.QuantileSorted(s, 0.99), Max: s[len(s)-1],
	}
}
