package capacity

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/hypobench/hypobench/internal/lag"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/stats"
)

// SLO is a service-level objective on every request: its TTFT, measured
// from the instant it was due (record.Record.TTFTIntended, falling back to
// TTFT where a record has no due instant, as in a prediction), at most
// TTFT, and its TPOT at most TPOT. A zero bound is not checked. A rate
// meets the SLO when at least Quantile of its requests meet both bounds.
type SLO struct {
	TTFT     time.Duration `json:"ttft_ns"`
	TPOT     time.Duration `json:"tpot_ns"`
	Quantile float64       `json:"quantile"`
}

// DefaultQuantile is the share of requests that must meet the SLO: 0.9.
const DefaultQuantile = 0.9

// Validate checks the SLO: at least one bound, none negative, and a
// quantile in (0, 1].
func (s SLO) Validate() error {
	switch {
	case s.TTFT < 0 || s.TPOT < 0:
		return fmt.Errorf("SLO bounds must be ≥ 0 (ttft %v, tpot %v)", s.TTFT, s.TPOT)
	case s.TTFT == 0 && s.TPOT == 0:
		return errors.New("an SLO needs a TTFT or a TPOT bound")
	case !(s.Quantile > 0 && s.Quantile <= 1):
		return fmt.Errorf("SLO quantile must be in (0, 1], got %v", s.Quantile)
	}
	return nil
}

// Good reports whether one request met the SLO: it succeeded and met
// every bound. A request with fewer than 2 output tokens has no TPOT and
// meets the TPOT bound.
func (s SLO) Good(r *record.Record) bool {
	if !r.OK() {
		return false
	}
	if s.TTFT > 0 {
		t := r.TTFTIntended
		if t == nil {
			t = r.TTFT
		}
		if t == nil || *t > s.TTFT.Seconds() {
			return false
		}
	}
	if s.TPOT > 0 && r.TPOT != nil && *r.TPOT > s.TPOT.Seconds() {
		return false
	}
	return true
}

// Rate is one offered rate's records and what they show.
type Rate struct {
	// Target is the phase's target rate (requests/s); the ladder's x.
	Target float64 `json:"target_rate"`
	// Offered is the load the phase actually offered: its schedule's
	// requests over its last due offset (record.Phase.OfferedRate, or the
	// same from the records' due or start instants). A Poisson phase of n
	// requests offers its target ± about 1/√n; the capacity is read on
	// this axis. Achieved is the phase's sent rate.
	Offered  float64 `json:"offered_rate"`
	Achieved float64 `json:"achieved_rate"`
	// N is the number of records, Good those meeting the SLO.
	N    int `json:"n"`
	Good int `json:"good"`
	// Attainment is Good/N; Meets is Attainment ≥ the SLO's quantile.
	Attainment float64 `json:"attainment"`
	Meets      bool    `json:"meets_slo"`
	// Throughput is the successful requests over the span from the phase's
	// start to the last response's end (so it includes one request's
	// latency: a short phase understates it). Goodput is Throughput ×
	// Attainment: requests meeting the SLO per second. SendRate is the
	// sends over the span from the phase's start to the last send (t0).
	Throughput float64 `json:"throughput"`
	Goodput    float64 `json:"goodput"`
	SendRate   float64 `json:"send_rate"`
	// TTFTQ and TPOTQ are the SLO quantile of TTFT from due and of TPOT
	// (NaN when no request has one).
	TTFTQ record.Lag `json:"ttft_from_due"`
	TPOTQ record.Lag `json:"tpot"`
	// Saturated is set when the queue grew through the phase: the median
	// TTFT from due of the last third of its requests (in send order) is
	// more than SaturationGrowth times that of the first third. A server
	// that keeps up holds its latency level under a steady load.
	Saturated bool `json:"saturated"`

	good []bool // per record, in send order, for the block bootstrap
}

// SaturationGrowth is the growth of TTFT from due, from the first third of
// a phase to its last, above which the phase counts as saturated.
const SaturationGrowth = 2

// NewRate summarises one phase's records against slo. recs must be the
// phase's records in send order (Seq); ph gives its rates and window.
func NewRate(ph record.Phase, recs []record.Record, slo SLO) Rate {
	r := Rate{Target: ph.TargetRate, Offered: ph.OfferedRate, Achieved: ph.AchievedRate, N: len(recs)}
	var ttft, tpot []float64
	var sendHi, endHi, dueHi int64
	sends, ok := 0, 0
	for i := range recs {
		rec := &recs[i]
		g := slo.Good(rec)
		r.good = append(r.good, g)
		if g {
			r.Good++
		}
		due := rec.IntendedUnixNs
		if due == 0 {
			due = rec.StartUnixNs
		}
		dueHi = max(dueHi, due)
		if rec.StartUnixNs > 0 {
			sends++
			sendHi = max(sendHi, rec.StartUnixNs)
		}
		if rec.OK() {
			ok++
			endHi = max(endHi, rec.EndUnixNs)
		}
		if t := rec.TTFTIntended; t != nil {
			ttft = append(ttft, *t)
		} else if rec.TTFT != nil {
			ttft = append(ttft, *rec.TTFT)
		}
		if rec.TPOT != nil {
			tpot = append(tpot, *rec.TPOT)
		}
	}
	if r.N > 0 {
		r.Attainment = float64(r.Good) / float64(r.N)
	}
	r.Meets = r.N > 0 && r.Attainment >= slo.Quantile
	if span := float64(endHi-ph.StartUnixNs) / 1e9; ph.StartUnixNs > 0 && span > 0 {
		r.Throughput = float64(ok) / span
		r.Goodput = r.Throughput * r.Attainment
	}
	if span := float64(sendHi-ph.StartUnixNs) / 1e9; ph.StartUnixNs > 0 && span > 0 {
		r.SendRate = float64(sends) / span
	}
	r.TTFTQ = lagOf(ttft)
	r.TPOTQ = lagOf(tpot)
	if r.Offered == 0 && dueHi > ph.StartUnixNs && ph.StartUnixNs > 0 {
		r.Offered = float64(r.N) / (float64(dueHi-ph.StartUnixNs) / 1e9)
	}
	r.Saturated = queueGrew(recs)
	return r
}

// queueGrew reports whether the median TTFT from due (failed requests
// counting as +Inf) of the last third of recs exceeds SaturationGrowth
// times that of the first third.
func queueGrew(recs []record.Record) bool {
	n := len(recs) / 3
	if n < 3 {
		return false
	}
	med := func(rs []record.Record) float64 {
		xs := make([]float64, len(rs))
		for i := range rs {
			t := rs[i].TTFTIntended
			if t == nil {
				t = rs[i].TTFT
			}
			xs[i] = math.Inf(1)
			if rs[i].OK() && t != nil {
				xs[i] = *t
			}
		}
		return stats.Median(xs)
	}
	first, last := med(recs[:n]), med(recs[len(recs)-n:])
	return last > SaturationGrowth*first
}

// X is the rate's position on the capacity axis: the offered rate when
// known, else the target.
func (r Rate) X() float64 {
	if r.Offered > 0 {
		return r.Offered
	}
	return r.Target
}

// lagOf is lag.Of as a value, every figure NaN when there are no delays.
func lagOf(xs []float64) record.Lag {
	if l := lag.Of(xs); l != nil {
		return *l
	}
	return record.Lag{P50: math.NaN(), P90: math.NaN(), P99: math.NaN(), Max: math.NaN(), Mean: math.NaN()}
}

// Result is a capacity estimate: the highest offered rate whose requests
// meet the SLO, with a confidence interval.
type Result struct {
	SLO   SLO    `json:"slo"`
	Rates []Rate `json:"rates"`
	// Capacity is where the SLO attainment, interpolated linearly between
	// the tested rates, falls below the SLO's quantile: between the last
	// rate that meets the SLO before the first that does not (Bracket).
	Capacity float64  `json:"capacity"`
	CI       stats.CI `json:"ci"`
	// Bracket is [the highest rate meeting the SLO below the first that
	// fails, that first failing rate]: the capacity's model-free bounds.
	Bracket [2]float64 `json:"bracket"`
	// Method says how the interval was computed.
	Method   string   `json:"method"`
	Warnings []string `json:"warnings,omitempty"`
	// ClientLimited holds the client self-check's reasons that bear on
	// the estimate (see Bearing); when it is not empty the client, not the
	// server, may have moved the capacity.
	ClientLimited []record.ClientReason `json:"client_limited,omitempty"`
	// Scale is the embedded engine's speed S when the sweep ran against
	// it, 0 otherwise. Every rate above is then per wall-clock second and
	// every latency wall-clock, as the client measured and as the sweep's
	// flags gave them (the engine ran S× faster than the GPU it models);
	// Simulated restates the capacity per simulated second.
	Scale     float64   `json:"scale,omitempty"`
	Simulated *SimRates `json:"simulated,omitempty"`
	// EngineStallShare is, for a sweep against the embedded engine, the
	// share of the sweep's virtual time the engine lost to its host
	// (engine.Server.HostStalls over wall time × speed): the engine runs
	// in the client's process, so a loaded machine slows the server the
	// client self-check does not judge. Its timings are the model's only
	// while this share is small. Nil for an external target.
	EngineStallShare *float64 `json:"engine_stall_share,omitempty"`
}

// SimRates is a capacity per simulated (modelled GPU) second: the
// wall-clock figures divided by the engine's speed S, since a run at speed
// S offers R/S requests per simulated second. Only rates convert so; the
// latency quantiles stay wall-clock.
type SimRates struct {
	Capacity float64    `json:"capacity"`
	CI       stats.CI   `json:"ci"`
	Bracket  [2]float64 `json:"bracket"`
}

// InTimeOf sets r.Scale and r.Simulated for a sweep run at speed scale
// (no change for scale ≤ 0 or 1).
func (r *Result) InTimeOf(scale float64) {
	if !(scale > 0) || scale == 1 {
		return
	}
	r.Scale = scale
	r.Simulated = &SimRates{Capacity: r.Capacity / scale, CI: stats.CI{Lo: r.CI.Lo / scale, Hi: r.CI.Hi / scale, Level: r.CI.Level},
		Bracket: [2]float64{r.Bracket[0] / scale, r.Bracket[1] / scale}}
}

// Bearing returns the reasons (record.ClientCheck.Reasons) that bear on
// the estimate r: every run-wide reason, and a phase's own reason when the
// phase offered at most the bracket's failing rate (r.Bracket[1]). A phase
// offered above it missed the SLO with the server alone to blame for the
// knee being below it: a client that also sent its requests late there
// only lowered an attainment already under the quantile, which cannot
// raise the crossing (it can lower it only where the isotonic fit pools
// that phase with the failing one, a ladder that was not monotone). So a sweep whose client starved only at its
// saturated rates still gives a capacity; phases identifies the reasons'
// phases (record.Phase.Index → offered rate).
func (r Result) Bearing(reasons []record.ClientReason, phases []record.Phase) []record.ClientReason {
	var out []record.ClientReason
	for _, c := range reasons {
		if c.Phase != nil && !math.IsNaN(r.Bracket[1]) {
			i := slices.IndexFunc(phases, func(p record.Phase) bool { return p.Index == *c.Phase })
			if i >= 0 {
				x := Rate{Target: phases[i].TargetRate, Offered: phases[i].OfferedRate}.X()
				if x > r.Bracket[1] {
					continue
				}
			}
		}
		out = append(out, c)
	}
	return out
}

// Sentinel conditions reported in Result.Warnings.
var (
	// ErrBelowLadder: the lowest rate tested already misses the SLO.
	ErrBelowLadder = errors.New("the lowest rate tested misses the SLO: capacity is below the ladder")
	// ErrAboveLadder: every rate tested meets the SLO.
	ErrAboveLadder = errors.New("every rate tested meets the SLO: capacity is above the ladder (a lower bound)")
)

// Blocks is the number of contiguous blocks each rate's requests are cut
// into for the block bootstrap.
const Blocks = 10

// Analyze estimates the capacity from rates (sorted by their offered rate,
// X, on which the capacity is read) with a
// level confidence interval from B bootstrap replicates drawn from rng.
//
// The attainments are first made non-increasing in the offered rate
// (isotonic regression weighted by each rate's requests), since more load
// cannot serve a larger share within the SLO; a noisy low rate is pooled
// with its neighbour instead of ending the search.
//
// The interval is a block bootstrap: each rate's requests, in send order,
// are cut into Blocks contiguous blocks (requests close in time share a
// queue, so single requests are not independent; blocks far apart nearly
// are), every rate's blocks are resampled with replacement independently,
// and the capacity is recomputed from the resampled attainments. It covers
// the sampling noise of the attainments, not the error of interpolating
// linearly between tested rates: Bracket bounds that.
func Analyze(rng *rand.Rand, rates []Rate, slo SLO, B int, level float64) Result {
	rs := slices.Clone(rates)
	slices.SortFunc(rs, func(a, b Rate) int { return cmp.Compare(a.X(), b.X()) })
	res := Result{SLO: slo, Rates: rs, Method: fmt.Sprintf("block bootstrap (%d blocks per rate, %d replicates, percentile interval); linear interpolation of SLO attainment between tested rates", Blocks, B)}
	att := make([]float64, len(rs))
	for i, r := range rs {
		att[i] = r.Attainment
	}
	ns := make([]float64, len(rs))
	for i, r := range rs {
		ns[i] = float64(r.N)
	}
	var warn error
	res.Capacity, res.Bracket, warn = crossing(rs, isotonic(att, ns), slo.Quantile)
	if warn != nil {
		res.Warnings = append(res.Warnings, warn.Error())
	}
	if B <= 0 {
		B = stats.DefaultB
	}
	reps := make([]float64, 0, B)
	for range B {
		for i, r := range rs {
			att[i] = resampledAttainment(rng, r.good)
		}
		c, _, _ := crossing(rs, isotonic(att, ns), slo.Quantile)
		reps = append(reps, c)
	}
	res.CI = stats.PercentileCI(reps, level)
	return res
}

// isotonic returns the non-increasing sequence closest to ys in weighted
// least squares (pool adjacent violators, weights ws): SLO attainment
// cannot rise with the offered load, so a rate that did worse than a
// higher one (a noisy phase) is pooled with it rather than ending the
// search early. ys is not modified.
func isotonic(ys, ws []float64) []float64 {
	type block struct {
		sum, w float64
		n      int
	}
	var bs []block
	for i, y := range ys {
		w := max(ws[i], 1e-12)
		bs = append(bs, block{y * w, w, 1})
		for len(bs) > 1 && bs[len(bs)-2].sum/bs[len(bs)-2].w < bs[len(bs)-1].sum/bs[len(bs)-1].w {
			a, b := bs[len(bs)-2], bs[len(bs)-1]
			bs = append(bs[:len(bs)-2], block{a.sum + b.sum, a.w + b.w, a.n + b.n})
		}
	}
	out := make([]float64, 0, len(ys))
	for _, b := range bs {
		for range b.n {
			out = append(out, b.sum/b.w)
		}
	}
	return out
}

// crossing returns where att first falls below q along the rates,
// interpolated linearly, and its bracket.
func crossing(rs []Rate, att []float64, q float64) (float64, [2]float64, error) {
	if len(rs) == 0 {
		return math.NaN(), [2]float64{math.NaN(), math.NaN()}, ErrBelowLadder
	}
	for i := range rs {
		if att[i] >= q {
			continue
		}
		if i == 0 {
			return rs[0].X(), [2]float64{0, rs[0].X()}, ErrBelowLadder
		}
		lo, hi := rs[i-1].X(), rs[i].X()
		c := lo + (att[i-1]-q)/(att[i-1]-att[i])*(hi-lo)
		return c, [2]float64{lo, hi}, nil
	}
	top := rs[len(rs)-1].X()
	return top, [2]float64{top, math.Inf(1)}, ErrAboveLadder
}

func resampledAttainment(rng *rand.Rand, good []bool) float64 {
	n := len(good)
	if n == 0 {
		return 0
	}
	k := min(Blocks, n)
	hits, total := 0, 0
	for range k {
		b := rng.IntN(k)
		lo, hi := b*n/k, (b+1)*n/k
		for _, g := range good[lo:hi] {
			if g {
				hits++
			}
		}
		total += hi - lo
	}
	return float64(hits) / float64(total)
}

// Rates groups a run's records by phase and summarises each phase with a
// target rate (open-loop phases; closed-loop ones are skipped) against slo,
// in the order the phases ran.
func Rates(phases []record.Phase, recs []record.Record, slo SLO) []Rate {
	byPhase := map[int][]record.Record{}
	for _, r := range recs {
		byPhase[r.Phase] = append(byPhase[r.Phase], r)
	}
	var out []Rate
	for _, ph := range phases {
		if ph.TargetRate <= 0 {
			continue
		}
		rs := byPhase[ph.Index]
		slices.SortFunc(rs, func(a, b record.Record) int { return a.Seq - b.Seq })
		out = append(out, NewRate(ph, rs, slo))
	}
	return out
}
