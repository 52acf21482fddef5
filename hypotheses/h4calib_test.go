package hypotheses

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"strconv"
	"sync"
	"testing"

	"github.com/hypobench/hypobench/calibrate"
	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/kerneltrace"
	"github.com/hypobench/hypobench/verdict"
)

// h4Specs are the GPU/model profiles H4's definitions are checked on.
var h4Specs = []string{"rtx4090:qwen2.5-7b", "h200:qwen2.5-0.5b", "a100-80g:llama-3.1-8b"}

// virtualH4 runs H4's design on the engine in virtual time and tests H4 on
// the kernel trace the engine's profiler would write.
func virtualH4(t *testing.T, cfg engine.Config) H4Result {
	t.Helper()
	tr, phases, err := calibrate.KernelTrace(cfg, H4Design(Default))
	if err != nil {
		t.Fatal(err)
	}
	a, err := kerneltrace.Analyze(tr, phases, kerneltrace.DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	return H4Trace(rand.New(rand.NewPCG(4, 4)), a, H4DefaultPrefill, H4DefaultDecode, 0, H4DefaultB, 0.05)
}

// TestH4Profiles: on every GPU/model profile the engine's kernels pass H4
// by name; the UniformKernels engine (every kernel alike) and the
// DecodeKernelMix engine (prefill steps launch a decode step's kernel
// mix: mixed lengths independent of the phase) fail both claims — fail,
// not merely inconclusive.
func TestH4Profiles(t *testing.T) {
	t.Parallel()
	for _, spec := range h4Specs {
		for _, tc := range []struct {
			name string
			k    engine.Knobs
			want verdict.Outcome
		}{{"faithful", engine.Knobs{}, verdict.Pass}, {"uniform", engine.Knobs{UniformKernels: true}, verdict.Fail}, {"decode-mix", engine.Knobs{DecodeKernelMix: true}, verdict.Fail}} {
			t.Run(spec+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				r := virtualH4(t, engine.Config{Spec: spec, Knobs: tc.k})
				t.Logf("%s %s, %s split: %s", spec, tc.name, r.Split.Method, r.Reason)
				if r.LongBlocks.Outcome != tc.want || r.ShortDensity.Outcome != tc.want || r.Outcome != tc.want {
					t.Errorf("H4 %s (long blocks %s, density %s), want %s on both: %s", r.Outcome, r.LongBlocks.Outcome, r.ShortDensity.Outcome, tc.want, r.Reason)
				}
				if r.Split.Method != H4ByName {
					t.Errorf("split %+v, want by name", r.Split)
				}
			})
		}
	}
}

// Calibration settings: α of H4's intervals (95% two-sided, so a claim
// decided by the lower bound is a one-sided test at α/2), the fixed seed,
// the default sessions per point (HYPOBENCH_CALIB_SESSIONS for more).
const (
	h4CalibAlpha    = 0.05
	h4CalibSeed     = 20261201
	h4CalibSessions = 4000
)

// h4Point is one calibration point: a check, its true ratio, and what the
// sessions gave.
type h4Point struct {
	check        string
	bound, truth float64
	rates        calibrate.Rates
	loosened     calibrate.Rates // the boundary's sessions against a bound 2× looser
}

// h4Mixes are the rtx4090:qwen2.5-7b engine's long_short and short_long
// phases in expectation, from a jitter-free virtual-time trace of H4's
// design split by name, spread over H4DefaultWindows windows.
func h4Mixes(t *testing.T) (prefill, decode calibrate.PhaseMix) {
	t.Helper()
	tr, phases, err := calibrate.KernelTrace(engine.Config{}, H4Design(Default))
	if err != nil {
		t.Fatal(err)
	}
	a, err := kerneltrace.Analyze(tr, phases, kerneltrace.DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	sp := chooseSplit(a, H4DefaultPrefill, H4DefaultDecode)
	mix := func(profile string) calibrate.PhaseMix {
		var idx []int
		ws, _ := collectWindows(a, profile, 0, sp, &idx)
		var tot H4Window
		for _, w := range ws {
			tot.KernelTime += w.KernelTime
			tot.LongTime += w.LongTime
			tot.Long += w.Long
			tot.Short += w.Short
		}
		return calibrate.MixOf(tot, len(ws))
	}
	return mix(H4DefaultPrefill), mix(H4DefaultDecode)
}

// tuneH4 returns the prefill mix moved so that check's true ratio is
// target, and that true ratio computed from the mixes: for long-blocks the
// prefill side's block length is scaled, for short-density every prefill
// duration.
func tuneH4(check string, p, d calibrate.PhaseMix, target float64) (calibrate.PhaseMix, float64) {
	if check == H4CheckLongBlocks {
		p.BlockNs = d.BlockNs * target
		return p, p.MeanBlock() / d.MeanBlock()
	}
	k := target / (d.Density() / p.Density())
	p.BlockNs *= k
	p.ShortNs *= k
	return p, d.Density() / p.Density()
}

// runH4Point draws n sessions of H4DefaultWindows windows per side under
// DefaultKernelNoise and runs H4's own test (H4Compare, B = H4DefaultB) on
// each, counting check's outcomes and coverage of truth.
func runH4Point(n int, seed uint64, check string, p, d calibrate.PhaseMix, bound, truth float64) (calibrate.Rates, calibrate.Rates, error) {
	rng := rand.New(rand.NewPCG(seed, 0x4ca1))
	nz := calibrate.DefaultKernelNoise
	if v, err := strconv.ParseFloat(os.Getenv("HYPOBENCH_H4_PHASE_LEVEL"), 64); err == nil {
		nz.PhaseLevel = v // a measurement on request; the table is for the default
	}
	nw := H4DefaultWindows
	var r, loose calibrate.Rates
	looser := 1 + (bound-1)/2
	for range n {
		pw, err := nz.Windows(rng, p, nw)
		if err != nil {
			return r, loose, err
		}
		dw, err := nz.Windows(rng, d, nw)
		if err != nil {
			return r, loose, err
		}
		b, s := H4Compare(rng, Estimate{}, Estimate{}, pw, dw, H4DefaultB, h4CalibAlpha)
		e := b
		if check == H4CheckShortDensity {
			e = s
		}
		r.Count(string(e.Outcome), e.RatioCI.Lo, e.RatioCI.Hi, truth)
		loose.Count(string(verdict.CIOutcome(e.RatioCI, looser, true)), e.RatioCI.Lo, e.RatioCI.Hi, truth)
	}
	return r, loose, nil
}

var (
	h4CalibOnce sync.Once
	h4CalibPts  []*h4Point
	h4CalibErr  error
)

// calibrateH4 measures both checks at their bound and at twice the
// bound's effect.
func calibrateH4(t *testing.T) []*h4Point {
	t.Helper()
	h4CalibOnce.Do(func() {
		n := h4CalibSessions
		if v, err := strconv.Atoi(os.Getenv("HYPOBENCH_CALIB_SESSIONS")); err == nil && v > 0 {
			n = v
		}
		p0, d := h4Mixes(t)
		var pts []*h4Point
		for _, c := range []struct {
			check string
			bound float64
		}{{H4CheckLongBlocks, H4MinBlockRatio}, {H4CheckShortDensity, H4MinDensityRatio}} {
			for _, target := range []float64{c.bound, 1 + 2*(c.bound-1)} {
				pts = append(pts, &h4Point{check: c.check, bound: c.bound, truth: target})
			}
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		for i, pt := range pts {
			wg.Go(func() {
				p, truth := tuneH4(pt.check, p0, d, pt.truth)
				if math.Abs(truth/pt.truth-1) > 1e-9 {
					mu.Lock()
					h4CalibErr = fmt.Errorf("%s tuned to %.12f, want %g", pt.check, truth, pt.truth)
					mu.Unlock()
					return
				}
				r, loose, err := runH4Point(n, h4CalibSeed+uint64(i), pt.check, p, d, pt.bound, truth)
				mu.Lock()
				pt.rates, pt.loosened = r, loose
				if err != nil {
					h4CalibErr = err
				}
				mu.Unlock()
			})
		}
		wg.Wait()
		h4CalibPts = pts
	})
	if h4CalibErr != nil {
		t.Fatal(h4CalibErr)
	}
	return h4CalibPts
}

// TestH4Calibration measures H4's operating characteristics at its null
// boundary in virtual time and asserts them. The kernel stream is the
// rtx4090:qwen2.5-7b engine's long_short and short_long phases (a
// jitter-free virtual-time trace of H4's design, split by name), tuned so
// that each check's true ratio sits exactly at its bound (1.3) and at
// twice the bound's effect (1.6), and drawn window by window under
// calibrate.DefaultKernelNoise (per-window composition log-sd 0.1 and
// clock log-sd 0.05, lag-one correlation 0.3, 5% drift over a phase,
// no phase level; HYPOBENCH_H4_PHASE_LEVEL=0.02 measures one on request,
// which no window bootstrap can see). Over 4,000 sessions per point from a
// fixed seed (HYPOBENCH_CALIB_SESSIONS for more), H4's own test
// (H4Compare: circular block bootstrap, blocks of 3, B = 2000, expanded
// 95% percentile intervals) must pass a check at its bound at most α of the
// time (point estimate, and exact 95% upper bound ≤ 1.5α), pass it at
// twice the bound's effect at least 95% of the time, and its intervals
// must cover the true ratio 93–97% of the time at the bound. Teeth: the
// same boundary sessions judged against a bound 2× looser (1.15) pass far
// more often than 1.5α. H4Calibrated must match what is measured here.
func TestH4Calibration(t *testing.T) {
	pts := calibrateH4(t)
	byCheck := map[string][2]*h4Point{}
	for i := 0; i < len(pts); i += 2 {
		byCheck[pts[i].check] = [2]*h4Point{pts[i], pts[i+1]}
	}
	var got []H4Operating
	for _, check := range []string{H4CheckLongBlocks, H4CheckShortDensity} {
		edge, twice := byCheck[check][0], byCheck[check][1]
		for _, p := range []*h4Point{edge, twice} {
			r := p.rates
			t.Logf("%-13s truth ×%.3f: pass %.4f [≤%.4f], fail %.4f, inconclusive %d, coverage %.4f (%d below, %d above) of %d",
				check, p.truth, r.PassRate(), calibrate.UpperBound(r.Pass, r.N, 0.95), r.FailRate(), r.Inconclusive, r.Coverage(), r.Below, r.Above, r.N)
		}
		r := edge.rates
		hi := calibrate.UpperBound(r.Pass, r.N, 0.95)
		if r.PassRate() > h4CalibAlpha || hi > 1.5*h4CalibAlpha {
			t.Errorf("%s at its bound: passed %.4f (upper bound %.4f), want ≤ %g and ≤ %g", check, r.PassRate(), hi, h4CalibAlpha, 1.5*h4CalibAlpha)
		}
		if c := r.Coverage(); c < 0.93 || c > 0.97 {
			t.Errorf("%s at its bound: 95%% intervals covered the truth in %.4f of sessions, want 0.93–0.97", check, c)
		}
		if pw := twice.rates.PassRate(); pw < 0.95 {
			t.Errorf("%s at twice the bound's effect: passed %.4f, want ≥ 0.95", check, pw)
		}
		if l := edge.loosened; calibrate.UpperBound(l.Pass, l.N, 0.95) <= 1.5*h4CalibAlpha || l.PassRate() <= h4CalibAlpha {
			t.Errorf("%s: a bound 2× looser passed the boundary %.4f; the boundary assertion would not notice", check, l.PassRate())
		} else {
			t.Logf("control, %s bound loosened 2× to %.2f: the true ×%.2f passes %.4f (of %d) — the boundary assertion would fail", check, 1+(edge.bound-1)/2, edge.truth, l.PassRate(), l.N)
		}
		got = append(got, H4Operating{Check: check, Bound: edge.bound, Sessions: r.N, PassAtBound: round4(r.PassRate()),
			PassAtBoundHi: round4(hi), PowerAtTwice: round4(twice.rates.PassRate()), Coverage: round4(r.Coverage())})
	}
	if calibrate.DefaultKernelNoise.PhaseLevel == 0 && os.Getenv("HYPOBENCH_H4_PHASE_LEVEL") == "" && got[0].Sessions == h4CalibSessions && !reflect.DeepEqual(H4Calibrated.Checks, got) {
		t.Errorf("H4Calibrated.Checks = %+v,\nmeasured %+v", H4Calibrated.Checks, got)
	}
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }
