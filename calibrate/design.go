package calibrate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/predict"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/workload"
)

// DesignSim generates sessions of a round-based design — one run of a
// suite whose Rounds each run every level once, the unit H1–H3's deciding
// checks rest on — for one engine.
//
// What is simulated and what is resampled: the engine's virtual-time core
// (package predict) runs the suite Runs times, run i on engine seed i+1
// with the noise's step-time jitter inside the engine, and every round of
// every run goes into a pool (Runs × the suite's rounds). A session draws
// the suite's number of rounds uniformly from the pool, renumbers them
// 1…R in the order drawn, and lays fresh noise over them (Noise): a
// per-round level effect shared by every request of the round, a per-run
// factor shared by the whole session (a session is one run), a steady
// drift of Noise.Drift per round spread over the round's requests in the
// order they started, and per-request noise; every factor multiplies a
// request's latencies alike. Simulating a fresh run per session would
// cost 5–200 ms each (H3's design is the slow one), minutes for 4,000
// sessions; the pool is the documented shortcut, and with a pool of ≥ 100
// rounds sessions share few of them.
type DesignSim struct {
	rounds int
	noise  Noise
	pool   [][]record.Record
	// span is each pooled round's first and last start time, for the
	// drift's position within the round.
	span [][2]int64
}

// NewDesignSim simulates runs runs of s on cfg (cfg.Jitter and cfg.Seed
// are set from nz and the run index) and pools their rounds.
func NewDesignSim(cfg engine.Config, s *workload.Suite, runs int, nz Noise) (*DesignSim, error) {
	if s == nil || runs < 1 {
		return nil, fmt.Errorf("suite %v, runs %d: %w", s != nil, runs, ErrDesign)
	}
	d := &DesignSim{rounds: max(s.Rounds, 1), noise: nz}
	cfg.Jitter = nz.StepJitter
	for i := range runs {
		cfg.Seed = uint64(i + 1)
		res, err := predict.Run(predict.Options{Engine: cfg, Suite: s, Seed: s.Seed})
		if err != nil {
			return nil, fmt.Errorf("calibrating %s: %w", s.Name, err)
		}
		byRound := map[int][]record.Record{}
		var keys []int
		for _, r := range res.Records {
			r.ITL, r.SimITL, r.ITLToken, r.ChunkTokens = nil, nil, nil, nil // not analysed; keeps copies cheap
			if _, ok := byRound[r.Round]; !ok {
				keys = append(keys, r.Round)
			}
			byRound[r.Round] = append(byRound[r.Round], r)
		}
		slices.Sort(keys)
		for _, k := range keys {
			rr := byRound[k]
			slices.SortStableFunc(rr, func(a, b record.Record) int { return cmpInt64(a.StartUnixNs, b.StartUnixNs) })
			d.pool = append(d.pool, rr)
			d.span = append(d.span, [2]int64{rr[0].StartUnixNs, rr[len(rr)-1].StartUnixNs})
		}
	}
	if len(d.pool) == 0 {
		return nil, fmt.Errorf("calibrating %s: no records: %w", s.Name, ErrDesign)
	}
	return d, nil
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// PoolRounds is the number of pooled rounds.
func (d *DesignSim) PoolRounds() int { return len(d.pool) }

// Adjust applies f to every pooled record: how a calibration closes the
// last gap between the engine's effect and the bound exactly (a factor on
// the latencies of one level moves every round's log ratio of medians by
// exactly its log).
func (d *DesignSim) Adjust(f func(*record.Record)) {
	for _, rr := range d.pool {
		for i := range rr {
			f(&rr[i])
		}
	}
}

// Prune keeps in the pool only the records keep selects: a check that
// reads one level of a design gives the same result on the pruned session
// and costs a fraction (H3's shift and admission read only the top
// concurrency level). The drift keeps each record's place in its round.
func (d *DesignSim) Prune(keep func(*record.Record) bool) {
	for i, rr := range d.pool {
		d.pool[i] = slices.DeleteFunc(rr, func(r record.Record) bool { return !keep(&r) })
	}
}

// Session draws one session: the design's rounds, renumbered 1…R, with
// the noise applied.
func (d *DesignSim) Session(rng *rand.Rand) []record.Record {
	out := make([]record.Record, 0, d.rounds*len(d.pool[0]))
	nz := d.noise
	run := nz.RunToRun * rng.NormFloat64()
	for r := range d.rounds {
		out = d.round(rng, out, r, run)
	}
	return out
}

// round appends pooled round drawn at random as round slot r of a session
// whose per-run factor is run (log units).
func (d *DesignSim) round(rng *rand.Rand, out []record.Record, r int, run float64) []record.Record {
	nz := d.noise
	k := rng.IntN(len(d.pool))
	src, span := d.pool[k], d.span[k]
	level := nz.RoundLevel * rng.NormFloat64()
	for _, rec := range src {
		rec.Round = r + 1
		var frac float64
		if span[1] > span[0] {
			frac = float64(rec.StartUnixNs-span[0]) / float64(span[1]-span[0])
		}
		drift := nz.Drift * (float64(r) + frac)
		scale(&rec, math.Exp(run+level+drift+nz.Request*rng.NormFloat64()))
		out = append(out, rec)
	}
	return out
}

// Truth estimates the design's true effect as a check's t interval over
// rounds sees it: the mean of est over n rounds drawn as sessions draw
// them (pool and noise), and the Monte Carlo standard error of that mean.
// Rounds whose estimate is not finite are skipped, as the checks skip
// them.
func (d *DesignSim) Truth(rng *rand.Rand, n int, est func(round []record.Record) float64) (mean, se float64) {
	var sum, sum2 float64
	k := 0
	buf := make([]record.Record, 0, len(d.pool[0]))
	for range n {
		buf = d.round(rng, buf[:0], 0, d.noise.RunToRun*rng.NormFloat64())
		v := est(buf)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		sum += v
		sum2 += v * v
		k++
	}
	if k < 2 {
		return math.NaN(), math.NaN()
	}
	mean = sum / float64(k)
	variance := (sum2 - float64(k)*mean*mean) / float64(k-1)
	return mean, math.Sqrt(max(variance, 0) / float64(k))
}

// Count adds one session's outcome ("pass", "fail", anything else
// inconclusive) and whether its interval [lo, hi] covered truth.
func (r *Rates) Count(outcome string, lo, hi, truth float64) {
	r.N++
	switch outcome {
	case "pass":
		r.Pass++
	case "fail":
		r.Fail++
	default:
		r.Inconclusive++
	}
	switch {
	case lo <= truth && truth <= hi:
		r.Covered++
	case hi < truth:
		r.Below++
	case lo > truth:
		r.Above++
	}
}
