package hypotheses

import (
	"math"
	"slices"

	"github.com/hypobench/hypobench/experiment"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/stats"
)

// MinRounds is the fewest rounds a round-based check decides on: with
// fewer, its t interval has no useful width and the check is inconclusive
// (experiment.MinRounds).
const MinRounds = experiment.MinRounds

// rounds splits records by record.Round, in round order. Records of a
// design without rounds all have round 0 and form a single round.
func rounds(recs []record.Record) [][]record.Record {
	if slices.IsSortedFunc(recs, func(a, b record.Record) int { return a.Round - b.Round }) {
		// Already in round order (as a run writes them): the rounds are
		// sub-slices, capped so that an append cannot reach the next.
		var out [][]record.Record
		for i := 0; i < len(recs); {
			j := i + 1
			for j < len(recs) && recs[j].Round == recs[i].Round {
				j++
			}
			out = append(out, recs[i:j:j])
			i = j
		}
		return out
	}
	m := map[int][]record.Record{}
	var keys []int
	for _, r := range recs {
		if _, ok := m[r.Round]; !ok {
			keys = append(keys, r.Round)
		}
		m[r.Round] = append(m[r.Round], r)
	}
	slices.Sort(keys)
	out := make([][]record.Record, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

// medianWhere is the median of y over the records that keep selects and
// for which y is defined; NaN when there are none.
func medianWhere(recs []record.Record, keep func(*record.Record) bool, y func(*record.Record) (float64, bool)) float64 {
	var ys []float64
	for i := range recs {
		if keep(&recs[i]) {
			if v, ok := y(&recs[i]); ok {
				ys = append(ys, v)
			}
		}
	}
	if len(ys) == 0 {
		return math.NaN()
	}
	return stats.Median(ys)
}
