package hypotheses

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/stats"
)

// loadLadder is the load axis a ladder design's records climb: a closed
// loop's concurrency levels (ConcurrencyDesign, H3Design) or an open
// loop's target rates (RateDesign). H2's batching check and H3 read
// either; a level is then a concurrency c or a target rate.
//
// On a rate ladder:
//
//   - the level of a record is its target_rate (record.Record.TargetRate,
//     the schedule's requests per wall-clock second);
//   - its concurrency is the requests in flight when it was sent, this one
//     included (the live runner records it; a prediction, which records 0,
//     gets it counted from the records' start and end instants the same
//     way), and a level's concurrency is the mean over its requests;
//   - its round is record.Round when the run had rounds, otherwise its
//     phase's visit to that rate: a ladder that runs each rate k times
//     (RateDesign lists the rates k times, in a random order per round) is
//     read as k rounds, the i-th phase at each rate being round i;
//   - the ramp left out at the start of each phase is its first m
//     requests, m the phase's median concurrency: a closed loop's first c
//     requests fill its c workers, an open loop's first m arrivals fill the
//     server to its steady state (by Little's law m arrivals take about
//     one request lifetime, what the previous phase's leftovers take to
//     drain).
type loadLadder struct {
	open  bool
	rates []float64 // open: the distinct target rates, rising
}

// ladderOf returns the ladder recs climb and recs as read on it: on a
// rate ladder the open-loop records only (closed-loop ones are dropped
// and counted in info), each with its concurrency and round filled in as
// loadLadder says. A closed loop's records come back unchanged.
func ladderOf(recs []record.Record) (loadLadder, []record.Record, []string) {
	if !slices.ContainsFunc(recs, func(r record.Record) bool { return r.TargetRate > 0 }) {
		return loadLadder{}, recs, nil
	}
	var info []string
	var out []record.Record
	for _, r := range recs {
		if r.TargetRate > 0 {
			out = append(out, r)
		}
	}
	if n := len(recs) - len(out); n > 0 {
		info = append(info, fmt.Sprintf("%d closed-loop records left out: the records climb a rate ladder", n))
	}
	l := loadLadder{open: true}
	for _, r := range out {
		if !slices.Contains(l.rates, r.TargetRate) {
			l.rates = append(l.rates, r.TargetRate)
		}
	}
	slices.Sort(l.rates)
	fillInFlight(out)
	// Rounds: the i-th phase at each rate is round i, unless the run
	// numbered its rounds itself.
	visits := map[float64][]int{}
	for _, r := range out {
		if !slices.Contains(visits[r.TargetRate], r.Phase) {
			visits[r.TargetRate] = append(visits[r.TargetRate], r.Phase)
		}
	}
	for _, ps := range visits {
		slices.Sort(ps)
	}
	for i := range out {
		if out[i].Round == 0 {
			out[i].Round = slices.Index(visits[out[i].TargetRate], out[i].Phase) + 1
		}
	}
	return l, out, info
}

// fillInFlight sets the concurrency of records that carry none (0: a
// prediction's) to the requests in flight at its start, itself included:
// those of recs started at or before it and not yet ended.
func fillInFlight(recs []record.Record) {
	if !slices.ContainsFunc(recs, func(r record.Record) bool { return r.Concurrency == 0 }) {
		return
	}
	idx := make([]int, len(recs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return recs[idx[a]].StartUnixNs < recs[idx[b]].StartUnixNs })
	var ends []int64 // end instants of the requests started so far, sorted
	for _, i := range idx {
		start := recs[i].StartUnixNs
		// Drop the ended ones: ends at or before this start.
		k, _ := slices.BinarySearch(ends, start+1)
		ends = ends[k:]
		end := max(recs[i].EndUnixNs, start+1)
		j, _ := slices.BinarySearch(ends, end)
		ends = slices.Insert(ends, j, end)
		if recs[i].Concurrency == 0 {
			recs[i].Concurrency = len(ends)
		}
	}
}

// key is r's level: its concurrency, or the index of its target rate.
func (l loadLadder) key(r *record.Record) int {
	if !l.open {
		return r.Concurrency
	}
	return slices.Index(l.rates, r.TargetRate)
}

// keys returns the distinct levels of recs, rising.
func (l loadLadder) keys(recs []record.Record) []int {
	var ks []int
	for i := range recs {
		if k := l.key(&recs[i]); !slices.Contains(ks, k) {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	return ks
}

// name is a level as a verdict shows it: "c=4" or "4 req/s".
func (l loadLadder) name(k int) string {
	if !l.open {
		return fmt.Sprintf("c=%d", k)
	}
	return fmt.Sprintf("%.4g req/s", l.rates[k])
}

// axis names the ladder for a verdict's info line.
func (l loadLadder) axis() string {
	if !l.open {
		return "concurrency ladder (closed loop): a level is a concurrency c"
	}
	return "rate ladder (open loop): a level is a target rate in requests per wall-clock second of the run (record target_rate); " +
		"concurrency is the mean of requests in flight when each was sent; the i-th phase at each rate is round i; " +
		"the first m requests of a phase (m its median in-flight count) are its ramp"
}

// steady returns recs without each phase's ramp: a closed loop's first c
// requests of a level (sent together as its workers start), an open
// loop's first m requests of a phase, m the phase's median concurrency.
func (l loadLadder) steady(recs []record.Record) []record.Record {
	skip := map[int]int{} // open: phase → requests to skip
	if l.open {
		inflight := map[int][]float64{}
		for _, r := range recs {
			inflight[r.Phase] = append(inflight[r.Phase], float64(r.Concurrency))
		}
		for ph, cs := range inflight {
			skip[ph] = int(math.Round(stats.Median(cs)))
		}
	}
	var out []record.Record
	for _, r := range recs {
		n := r.Concurrency
		if l.open {
			n = skip[r.Phase]
		}
		if r.Seq >= n {
			out = append(out, r)
		}
	}
	return out
}

// load is the concurrency of a level's records: c on a concurrency
// ladder, the mean in-flight count on a rate ladder.
func (l loadLadder) load(recs []record.Record) float64 {
	if len(recs) == 0 {
		return math.NaN()
	}
	var s float64
	for _, r := range recs {
		s += float64(r.Concurrency)
	}
	return s / float64(len(recs))
}

// at is a level as a check's claim names it: "c=4" or "the rate 4 req/s".
func (l loadLadder) at(k int) string {
	if !l.open {
		return l.name(k)
	}
	return "the rate " + l.name(k)
}
