package calibrate

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/hypobench/hypobench/compare"
	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/predict"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/stats"
	"github.com/hypobench/hypobench/workload"
)

// Noise is the noise model a calibration lays over the engine's
// virtual-time records. Every factor multiplies a latency (TTFT, TPOT,
// E2E and total_s of a request alike) by exp(N(0, σ²)) or, for drift,
// exp(Drift·slot). DefaultNoise gives the values the gate's calibration
// uses.
type Noise struct {
	// StepJitter is the engine's own step-time jitter (engine.Config
	// Jitter: a mean-preserving log-normal factor on every step), applied
	// inside the simulation, so that the closed loop's batching and phase
	// alignment vary from run to run as they do live.
	StepJitter float64
	// RoundLevel is the log-sd of a per-round level effect: the machine's
	// state (load, clocks, a neighbour's job) while a round runs. In an
	// interleaved layout both sides of a round share it; in a sequential
	// one every run draws its own.
	RoundLevel float64
	// RunToRun is the log-sd of a per-run factor that the two runs of a
	// round do not share.
	RunToRun float64
	// Drift is a steady change of level per run slot (log units), as a
	// machine warming up over a session: run slot t is scaled by
	// exp(Drift·t).
	Drift float64
	// Request is the log-sd of a per-request factor (client and network
	// timing noise, independent between requests).
	Request float64
}

// DefaultNoise is the gate calibration's noise model: 7% step-time
// jitter (within the 5–10% the project asks for), a per-round level
// effect of log-sd 0.2 (within 0.1–0.5; the reported FAIL of two runs of
// one engine was a 40% shift), 1% unshared run-to-run variation, a drift
// of 0.5% per run slot and 3% per-request noise.
var DefaultNoise = Noise{StepJitter: 0.07, RoundLevel: 0.2, RunToRun: 0.01, Drift: 0.005, Request: 0.03}

// Layout is how a gate session orders its runs.
type Layout string

// Layouts of a gate session.
const (
	// ABBA interleaves counterbalanced rounds: A B, B A, A B, … — a steady
	// drift then falls on both sides alike. What `hypobench abab` does.
	ABBA Layout = "ABBA"
	// ABAB interleaves rounds always base first: a steady drift makes the
	// new side look slower by one slot's drift.
	ABAB Layout = "ABAB"
	// Sequential runs every base round, then every new round (a stored
	// baseline of several runs against new runs): rounds are not paired
	// and each run has its own level effect.
	Sequential Layout = "sequential"
)

// GateDesign is one gate experiment: the base engine, the workload each
// run executes, how many rounds of each side a session runs and in which
// layout, and the noise.
type GateDesign struct {
	// Engine is the base side's engine (its Jitter and Seed are set by the
	// calibration).
	Engine engine.Config
	// Suite is what every run executes (predict.Run), seeded by its Seed.
	Suite *workload.Suite
	// Group is the profile and concurrency whose records are kept.
	Group compare.Group
	// Rounds is the runs per side in one session (≥ 1).
	Rounds int
	Layout Layout
	Noise  Noise
	// Pool is the number of simulated runs per side from which a
	// session's runs are drawn (see GateSim).
	Pool int
}

// ErrDesign is wrapped by errors about an unusable design.
var ErrDesign = errors.New("invalid calibration design")

// GateSim generates gate sessions for one design and one true slowdown
// of the new side.
//
// What is simulated and what is resampled: the engine's virtual-time core
// (package predict) runs the suite Pool times per side, each run on its
// own engine seed with the design's step-time jitter — so a run's
// requests carry the closed loop's real correlation and runs differ in
// batching and phase alignment as live runs do. A session then draws each
// of its runs uniformly from its side's pool and applies, per session,
// fresh level effects, run-to-run factors, drift and per-request noise
// (Noise). Simulating 2 × Rounds fresh runs per session would cost ~4 ms
// each on this core — minutes for 4,000 sessions — which is why the pool
// is resampled; with Pool well above Rounds, sessions share few runs.
type GateSim struct {
	design GateDesign
	pools  [2][][]record.Record
	// Truth is the noise-free ratio new/base of the design's group's
	// quantiles, by metric and quantile (see Truth).
	slowdown float64
}

// NewGateSim simulates the pools of base and new runs, the new engine
// slowed down by k (Slower).
func NewGateSim(d GateDesign, k float64) (*GateSim, error) {
	if d.Suite == nil || d.Rounds < 1 || d.Pool < 1 {
		return nil, fmt.Errorf("suite %v, rounds %d, pool %d: %w", d.Suite != nil, d.Rounds, d.Pool, ErrDesign)
	}
	switch d.Layout {
	case ABBA, ABAB, Sequential:
	default:
		return nil, fmt.Errorf("layout %q: %w", d.Layout, ErrDesign)
	}
	slow, err := Slower(d.Engine, k)
	if err != nil {
		return nil, err
	}
	g := &GateSim{design: d, slowdown: k}
	for side, cfg := range []engine.Config{d.Engine, slow} {
		cfg.Jitter = d.Noise.StepJitter
		for i := range d.Pool {
			// Common random numbers: run i of both pools has engine seed
			// i+1, so the pools differ by the slowdown, not by which
			// jitter draws each happened to get.
			cfg.Seed = uint64(i + 1)
			recs, err := groupRecords(cfg, d.Suite, d.Group)
			if err != nil {
				return nil, err
			}
			g.pools[side] = append(g.pools[side], recs)
		}
	}
	return g, nil
}

// groupRecords predicts the suite on cfg and keeps the group's records.
func groupRecords(cfg engine.Config, s *workload.Suite, grp compare.Group) ([]record.Record, error) {
	res, err := predict.Run(predict.Options{Engine: cfg, Suite: s, Seed: s.Seed})
	if err != nil {
		return nil, fmt.Errorf("calibrating: %w", err)
	}
	var out []record.Record
	for _, r := range res.Records {
		if r.Profile == grp.Profile && r.Concurrency == grp.Concurrency {
			r.ITL = nil // not compared; keeps copies cheap
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("calibrating: the suite has no requests of %s: %w", grp, ErrDesign)
	}
	return out, nil
}

// Session draws one gate session: the base and new records of every
// round, each run's records carrying its run id (A-r01, B-r01, …) and
// start times in the layout's order, with the noise applied.
func (g *GateSim) Session(rng *rand.Rand) (base, cand []record.Record) {
	d := g.design
	nz := d.Noise
	per := len(g.pools[0][0])
	base = make([]record.Record, 0, d.Rounds*per)
	cand = make([]record.Record, 0, d.Rounds*per)
	levels := make([]float64, d.Rounds)
	for r := range levels {
		levels[r] = nz.RoundLevel * rng.NormFloat64()
	}
	for r := range d.Rounds {
		for _, side := range [2]int{0, 1} {
			var slot int
			level := levels[r]
			switch d.Layout {
			case ABBA:
				slot = 2*r + side
				if r%2 == 1 {
					slot = 2*r + 1 - side
				}
			case ABAB:
				slot = 2*r + side
			case Sequential:
				slot = side*d.Rounds + r
				level = nz.RoundLevel * rng.NormFloat64()
			}
			run := g.pools[side][rng.IntN(len(g.pools[side]))]
			f := level + nz.RunToRun*rng.NormFloat64() + nz.Drift*float64(slot)
			id := fmt.Sprintf("%c-r%02d", 'A'+side, r+1)
			start := int64(slot+1) * 1e12
			out := &base
			if side == 1 {
				out = &cand
			}
			for i, rec := range run {
				rec.RunID = id
				rec.StartUnixNs = start + int64(i)
				m := math.Exp(f + nz.Request*rng.NormFloat64())
				scale(&rec, m)
				*out = append(*out, rec)
			}
		}
	}
	return base, cand
}

// scale multiplies a record's latencies by m.
func scale(r *record.Record, m float64) {
	for _, p := range []**float64{&r.TTFT, &r.TTFTText, &r.TPOT, &r.E2E} {
		if *p != nil {
			*p = record.F(**p * m)
		}
	}
	r.Total *= m
}

// Truth returns the noise-free ratio new/base of the q-quantile of metric
// m in the design's group, and the slowdown k: both sides simulated once
// with no jitter (the suite's seed, engine seed 0). This is the true
// effect the gate's checks estimate.
func Truth(d GateDesign, k float64, m compare.Metric, q float64) (float64, error) {
	slow, err := Slower(d.Engine, k)
	if err != nil {
		return 0, err
	}
	var qs [2]float64
	for side, cfg := range []engine.Config{d.Engine, slow} {
		cfg.Jitter, cfg.Seed = 0, 0
		recs, err := groupRecords(cfg, d.Suite, d.Group)
		if err != nil {
			return 0, err
		}
		var xs []float64
		for i := range recs {
			if v, ok := metricOf(&recs[i], m); ok {
				xs = append(xs, v)
			}
		}
		if len(xs) == 0 {
			return 0, fmt.Errorf("calibrating: no %s values in %s: %w", m, d.Group, ErrDesign)
		}
		qs[side] = stats.Quantile(xs, q)
	}
	return qs[1] / qs[0], nil
}

func metricOf(r *record.Record, m compare.Metric) (float64, bool) {
	var p *float64
	switch m {
	case compare.TTFT:
		p = r.TTFT
	case compare.TPOT:
		p = r.TPOT
	case compare.E2E:
		p = r.E2E
	}
	if p == nil {
		return 0, false
	}
	return *p, true
}

// Tune finds the slowdown k at which the noise-free ratio (Truth) of the
// q-quantile of m is target, by bisection on k in [1, 4] to a relative
// tolerance of 1e-9 in k. It returns k and the truth reached there,
// which can differ from target where the quantile jumps (a batching
// change), so callers assert on the truth returned, not on target.
func Tune(d GateDesign, m compare.Metric, q, target float64) (k, truth float64, err error) {
	lo, hi := 1.0, 4.0
	f := func(k float64) (float64, error) { return Truth(d, k, m, q) }
	rhi, err := f(hi)
	if err != nil {
		return 0, 0, err
	}
	if rhi < target {
		return 0, 0, fmt.Errorf("calibrating: a %g× slower GPU moves %s %s only to ×%.4f, short of ×%g: %w", hi, m, compare.QuantileName(q), rhi, target, ErrDesign)
	}
	for hi-lo > 1e-9*hi {
		mid := (lo + hi) / 2
		r, err := f(mid)
		if err != nil {
			return 0, 0, err
		}
		if r < target {
			lo = mid
		} else {
			hi = mid
		}
	}
	truth, err = f(hi)
	return hi, truth, err
}

// Rates counts a gate's outcomes over sessions.
type Rates struct {
	N, Pass, Fail, Inconclusive int
	// Covered counts sessions whose interval contained the truth.
	Covered int
	// Below and Above count sessions whose interval lay wholly below or
	// wholly above the truth.
	Below, Above int
}

// PassRate, FailRate and Coverage are the shares of sessions.
func (r Rates) PassRate() float64 { return float64(r.Pass) / float64(r.N) }

// FailRate is the share of sessions the gate failed.
func (r Rates) FailRate() float64 { return float64(r.Fail) / float64(r.N) }

// Coverage is the share of sessions whose interval contained the truth.
func (r Rates) Coverage() float64 { return float64(r.Covered) / float64(r.N) }

// Run draws n sessions from the seeded generator and gates each with
// opts, restricted to the design's metric m and quantile q; truth is the
// ratio its intervals should cover. Every session's check is the first
// (and only) check of its report.
func (g *GateSim) Run(n int, seed uint64, opts compare.Options, m compare.Metric, q, truth float64) (Rates, error) {
	rng := rand.New(rand.NewPCG(seed, 0xca11b))
	opts.Metrics, opts.Quantiles = []compare.Metric{m}, []float64{q}
	var r Rates
	for range n {
		base, cand := g.Session(rng)
		rep := compare.Compare(base, cand, opts)
		if len(rep.Checks) != 1 {
			return r, fmt.Errorf("calibrating: %d checks, want 1: %w", len(rep.Checks), ErrDesign)
		}
		c := rep.Checks[0]
		r.Count(string(c.Outcome), c.CI.Lo, c.CI.Hi, truth)
	}
	return r, nil
}

// UpperBound is the exact (Clopper–Pearson) one-sided upper confidence
// bound at level on a rate of k events in n trials.
func UpperBound(k, n int, level float64) float64 {
	if k >= n {
		return 1
	}
	return betaQuantile(level, float64(k+1), float64(n-k))
}

// LowerBound is the exact (Clopper–Pearson) one-sided lower confidence
// bound at level on a rate of k events in n trials.
func LowerBound(k, n int, level float64) float64 {
	if k <= 0 {
		return 0
	}
	return betaQuantile(1-level, float64(k), float64(n-k+1))
}

func betaQuantile(p, a, b float64) float64 {
	return distuv.Beta{Alpha: a, Beta: b}.Quantile(p)
}
