package compare

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/stats"
)

// sample is one side of a check: a metric's values split by the run
// (RunID) each request came from. One run is one round; an interleaved
// session pooled by Load has several.
type sample struct {
	rounds [][]float64
	flat   []float64
}

func (s sample) n() int { return len(s.flat) }

// values collects m from the successful requests of rs, round by round in
// order of first appearance.
func values(rs []record.Record, m Metric) sample {
	var s sample
	idx := map[string]int{}
	for i := range rs {
		v, ok := m.value(&rs[i])
		if !ok {
			continue
		}
		k, seen := idx[rs[i].RunID]
		if !seen {
			k = len(s.rounds)
			idx[rs[i].RunID] = k
			s.rounds = append(s.rounds, nil)
		}
		s.rounds[k] = append(s.rounds[k], v)
		s.flat = append(s.flat, v)
	}
	return s
}

// bootstrapRatio returns quantile(cand)/quantile(base) and its percentile
// bootstrap CI. With one round per side it is stats.BootstrapRatio:
// requests are resampled independently. When either side has several
// rounds, requests of one round share that round's conditions (machine
// load, the batching pattern a closed loop falls into), so resampling
// requests alone would understate the noise between runs; the bootstrap is
// then two-stage — rounds with replacement, then requests with replacement
// within each drawn round — which stats does not offer, hence this code.
func bootstrapRatio(rng *rand.Rand, base, cand sample, q float64, B int, level float64) (float64, stats.CI) {
	stat := func(xs []float64) float64 {
		slices.Sort(xs) // a scratch copy
		return stats.QuantileSorted(xs, q)
	}
	if len(base.rounds) < 2 && len(cand.rounds) < 2 {
		return stats.BootstrapRatio(rng, base.flat, cand.flat, stat, B, level)
	}
	ratio := stats.Quantile(cand.flat, q) / stats.Quantile(base.flat, q)
	nan := stats.CI{Lo: math.NaN(), Hi: math.NaN(), Level: level}
	if base.n() < 2 || cand.n() < 2 || !(level > 0 && level < 1) {
		return ratio, nan
	}
	var bb, cb []float64
	reps := make([]float64, 0, B)
	for range B {
		bb = resampleRounds(rng, base.rounds, bb[:0])
		cb = resampleRounds(rng, cand.rounds, cb[:0])
		if len(bb) == 0 || len(cb) == 0 {
			continue
		}
		if r := stat(cb) / stat(bb); !math.IsNaN(r) && !math.IsInf(r, 0) {
			reps = append(reps, r)
		}
	}
	return ratio, stats.PercentileCI(reps, level)
}

// resampleRounds appends one two-stage resample of rounds to dst.
func resampleRounds(rng *rand.Rand, rounds [][]float64, dst []float64) []float64 {
	for range rounds {
		r := rounds[rng.IntN(len(rounds))]
		for range r {
			dst = append(dst, r[rng.IntN(len(r))])
		}
	}
	return dst
}
