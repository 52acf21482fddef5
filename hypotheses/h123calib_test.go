package hypotheses

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hypobench/hypobench/calibrate"
	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/experiment"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/verdict"
	"github.com/hypobench/hypobench/workload"
)

// Calibration settings of H1–H3's round-based checks: α (the checks'
// 90% t intervals are one-sided tests at α), the fixed seed, sessions per
// point (HYPOBENCH_CALIB_SESSIONS for more), pooled runs per engine
// (HYPOBENCH_CALIB_POOL multiplies them), and the rounds drawn to
// estimate each truth.
const (
	roundCalibAlpha    = 0.05
	roundCalibSeed     = 20261201
	roundCalibSessions = 4000
	roundTruthRounds   = 8000
)

// roundCheckCalib is one round-based check's calibration: its design and
// engine knob, its bound, the effect at twice the bound and at a bound 2×
// looser (all on the analysis scale, the per-round estimate's), how one
// round's estimate is made (the function the check itself uses), how the
// last gap to a target is closed on the records, and the check itself.
type roundCheckCalib struct {
	hyp, check string
	scale      string // what the verdict prints, as Operating.Scale
	suite      func() *workload.Suite
	runs       int
	// knob returns the engine whose effect lies near target (see tune).
	knob func(target float64) (engine.Config, string)
	// bound, twice and looser on the analysis scale; greater: the claim
	// is "estimate > bound".
	bound, twice, looser float64
	greater              bool
	show                 func(float64) float64
	est                  func(round []record.Record) float64
	// keep, when set, prunes the pool to the records the check reads.
	keep func(*record.Record) bool
	// adjust moves rec so that the round estimate grows by log s.
	adjust func(rec *record.Record, s float64)
	run    func(recs []record.Record, o Options) verdict.Check
}

// scaleLatencies multiplies a record's latencies by s.
func scaleLatencies(r *record.Record, s float64) {
	for _, p := range []**float64{&r.TTFT, &r.TTFTText, &r.TPOT, &r.E2E} {
		if *p != nil {
			*p = record.F(**p * s)
		}
	}
	r.Total *= s
}

// lengthenTTFT multiplies a record's wait for its first token by s and
// leaves its decode (E2E − TTFT, TPOT) as it was.
func lengthenTTFT(r *record.Record, s float64) {
	if r.TTFT == nil {
		return
	}
	d := *r.TTFT * (s - 1)
	r.TTFT = record.F(*r.TTFT + d)
	if r.TTFTText != nil {
		r.TTFTText = record.F(*r.TTFTText + d)
	}
	if r.E2E != nil {
		r.E2E = record.F(*r.E2E + d)
	}
	r.Total += d
}

// frontEndCost returns the default engine with an API front-end whose
// fixed cost per request is PerRequest + extra: a server whose gateway,
// auth or HTTP layer costs the same for every request, which dilutes a
// ratio of latencies towards 1 (H1) or towards 0 (H2's token cost).
func frontEndCost(extra time.Duration) engine.Config {
	fe := engine.DefaultFrontEnd
	fe.PerRequest += extra
	return engine.Config{FrontEnd: &fe}
}

// tuneFrontEnd bisects the extra per-request cost (0–10 s, to 0.1% of
// it) at which the jitter-free engine's mean round estimate reaches
// target; the estimate moves monotonically with the cost (down for H1's
// growth and H2's token cost, up for H3's admission, where the front-end
// queue at c=16 delays first tokens and not decode).
func tuneFrontEnd(s *workload.Suite, est func([]record.Record) float64, target float64) (engine.Config, string, error) {
	var simErr error
	truth := func(extra time.Duration) float64 {
		d, err := calibrate.NewDesignSim(frontEndCost(extra), s, 1, calibrate.Noise{})
		if err != nil {
			simErr = err
			return math.NaN()
		}
		m, _ := d.Truth(rand.New(rand.NewPCG(1, 1)), d.PoolRounds()*2, est)
		return m
	}
	lo, hi := time.Duration(0), 10*time.Second
	tl, th := truth(lo), truth(hi)
	if !(min(tl, th) <= target && target <= max(tl, th)) {
		return engine.Config{}, "", fmt.Errorf("%s: the front-end cost cannot bring the estimate to %.4f (%.4f at 0, %.4f at %v): %v", s.Name, target, tl, th, hi, simErr)
	}
	falling := tl > th
	for hi-lo > max(hi/1000, time.Microsecond) {
		mid := (lo + hi) / 2
		if (truth(mid) > target) == falling {
			lo = mid
		} else {
			hi = mid
		}
	}
	return frontEndCost(hi), fmt.Sprintf("front-end per-request cost +%v", hi.Round(time.Microsecond)), simErr
}

// roundCalibs are the calibrated checks. "Twice the bound" is taken on
// the scale each verdict prints, from that scale's zero: H1's growth g
// (0: flat TTFT) 25% → 50%; H2's token cost r (0: free tokens) 0.1 → 0.2;
// H3's shift, the prompt share P (0: the prompt costs nothing at the top
// level), ½ → ¼; admission's ratio TTFT/decode 1 → ½. A claim "> b" is
// twice as strong at 2b, a claim "< b" at b/2. A bound loosened 2× is b/2
// for a "> b" claim (H1 12.5%, H2 0.05) and 2b for a "< b" claim
// (admission 2); the shift's P cannot double past 1, so its bound is
// loosened 2× on the analysis scale, the log ratio: log 2 → log 4 (P <
// ¾).
func roundCalibs() []*roundCheckCalib {
	h1 := H1Design(Default, 0, nil)
	h1Lo, h1Hi := h1.Profiles[0].PromptRep, h1.Profiles[len(h1.Profiles)-1].PromptRep
	h2 := H2Design(Default, 0, nil)
	h2First, h2Last, h2Prev := h2.Profiles[0].MaxTokens, h2.Profiles[len(h2.Profiles)-1].MaxTokens, h2.Profiles[len(h2.Profiles)-2].MaxTokens
	h3 := H3Design(Default, 0, nil)
	lo, hi := h3.Concurrency[0], h3.Concurrency[len(h3.Concurrency)-1]
	short, long := h3.Profiles[0].PromptRep, h3.Profiles[1].PromptRep
	h3est := func(i int) func([]record.Record) float64 {
		return func(round []record.Record) float64 {
			steady, _, _ := h3Steady(ok(round))
			a, b, c := h3Estimates(steady, loadLadder{}, lo, hi, short, long)
			return [3]float64{a, b, c}[i]
		}
	}
	// The pool keeps only the top level's records, the only ones shift
	// and admission read; the check gets the design's levels and prompts.
	atTop := func(r *record.Record) bool { return r.Concurrency == hi }
	h3check := func(name string) func([]record.Record, Options) verdict.Check {
		return func(recs []record.Record, o Options) verdict.Check {
			steady, _, _ := h3Steady(ok(recs))
			for _, c := range h3RoundChecks(steady, loadLadder{}, lo, hi, short, long, o) {
				if c.Name == name {
					return c
				}
			}
			panic("no check " + name)
		}
	}
	// H3's shift moves with the prefill chunk budget
	// (MaxNumBatchedTokens: a long prompt's prefill spread over more steps
	// waits longer for its first token). Its effect at c=16 is not
	// continuous in the knob (it jumps with batching), so the knob is the
	// listed value whose pooled truth lay nearest the target when these
	// were chosen (512: R ≈ 1.97, P ≈ 0.49; 1280: R ≈ 1.36, P ≈ 0.26), and
	// the test logs the gap adjust closes. Admission's boundary engine is
	// the front-end's: a fixed per-request cost large enough that the API
	// server's single queue holds first tokens back as long as decode
	// takes (bisected like H1's and H2's).
	knobAt := func(bound, twice engine.Config, b float64) func(float64) (engine.Config, string) {
		return func(target float64) (engine.Config, string) {
			cfg := twice
			if target == b {
				cfg = bound
			}
			if cfg.MaxNumSeqs > 0 {
				return cfg, fmt.Sprintf("max_num_seqs %d", cfg.MaxNumSeqs)
			}
			return cfg, fmt.Sprintf("max_num_batched_tokens %d", cfg.MaxNumBatchedTokens)
		}
	}
	shiftBound := -math.Log(1 - H3PromptShare)
	// HYPOBENCH_CALIB_ADMISSION=slots measures admission at an
	// admission-limited boundary instead (max_num_seqs 9 at c=16: ratio of
	// sums ≈ 0.88; 10: ≈ 0.66 for twice; adjust closes the rest), where
	// the old estimate, a log ratio of medians, skewed the other way; the
	// ratio of sums skews left at both (see admissionEstimate).
	var admitKnob func(float64) (engine.Config, string)
	if os.Getenv("HYPOBENCH_CALIB_ADMISSION") == "slots" {
		admitKnob = knobAt(engine.Config{MaxNumSeqs: 9}, engine.Config{MaxNumSeqs: 10}, 0)
	}
	return []*roundCheckCalib{{
		hyp: "H1", check: "growth", scale: "relative growth", suite: func() *workload.Suite { return H1Design(Default, 0, nil) }, runs: 64,
		bound: math.Log1p(H1MinGrowth), twice: math.Log1p(2 * H1MinGrowth), looser: math.Log1p(H1MinGrowth / 2), greater: true, show: math.Expm1,
		est:    func(r []record.Record) float64 { return h1GrowthEstimate(r, h1Lo, h1Hi) },
		adjust: func(r *record.Record, s float64) { scaleIf(r, r.PromptRep == h1Hi, s) },
		run:    func(recs []record.Record, o Options) verdict.Check { return h1Growth(ok(recs), h1Lo, h1Hi, o) },
	}, {
		hyp: "H2", check: "token-cost", scale: "ratio TPOT/one-token TTFT", suite: func() *workload.Suite { return H2Design(Default, 0, nil) }, runs: 64,
		bound: math.Log(H2MinTokenCost), twice: math.Log(2 * H2MinTokenCost), looser: math.Log(H2MinTokenCost / 2), greater: true, show: math.Exp,
		est:    func(r []record.Record) float64 { return h2CostEstimate(r, h2First, h2Last) },
		adjust: func(r *record.Record, s float64) { scaleIf(r, r.MaxTokens == h2First, 1/s) },
		run: func(recs []record.Record, o Options) verdict.Check {
			c, _ := h2RoundChecks(ok(recs), h2First, h2Last, h2Prev, o)
			return c
		},
	}, {
		hyp: "H3", check: "shift", scale: "prompt share P", suite: func() *workload.Suite { return H3Design(Default, 0, nil) }, runs: 16,
		knob:  knobAt(engine.Config{MaxNumBatchedTokens: 512}, engine.Config{MaxNumBatchedTokens: 1280}, shiftBound),
		bound: shiftBound, twice: -math.Log(1 - H3PromptShare/2), looser: 2 * shiftBound, show: func(x float64) float64 { return 1 - math.Exp(-x) },
		est: h3est(1), keep: atTop,
		adjust: func(r *record.Record, s float64) { scaleIf(r, r.Concurrency == hi && r.PromptRep == long, s) },
		run:    h3check("shift"),
	}, {
		hyp: "H3", check: "admission", scale: "ratio TTFT/decode", suite: func() *workload.Suite { return H3Design(Default, 0, nil) }, runs: 16,
		knob:  admitKnob,
		bound: 0, twice: math.Log(0.5), looser: math.Log(2), show: math.Exp,
		est: h3est(2), keep: atTop,
		adjust: func(r *record.Record, s float64) {
			if r.Concurrency == hi && r.PromptRep == short {
				lengthenTTFT(r, s)
			}
		},
		run: h3check("admission"),
	}}
}

// requirementMisses lists the calibration requirements a check's rates
// at its bound (edge) and at twice it miss: pass rate ≤ α (point
// estimate), its exact 95% upper bound ≤ 1.5α, 90% intervals covering
// the truth in 88–92% of sessions, power ≥ 0.95.
func requirementMisses(edge, twice calibrate.Rates) []string {
	var out []string
	hi := calibrate.UpperBound(edge.Pass, edge.N, 0.95)
	if p := edge.PassRate(); p > roundCalibAlpha {
		out = append(out, fmt.Sprintf("pass rate at the bound %.2f%% above α = %g%%", 100*round4(p), 100*roundCalibAlpha))
	}
	if hi > 1.5*roundCalibAlpha {
		out = append(out, fmt.Sprintf("its 95%% upper bound %.2f%% above 1.5α", 100*round4(hi)))
	}
	if cov := edge.Coverage(); cov < 0.88 || cov > 0.92 {
		out = append(out, fmt.Sprintf("90%% intervals covered the truth in %.2f%% of sessions, outside 88–92%%", 100*round4(cov)))
	}
	if pw := twice.PassRate(); pw < 0.95 {
		out = append(out, fmt.Sprintf("power at twice the bound %.2f%%, below 95%%", 100*round4(pw)))
	}
	return out
}

func scaleIf(r *record.Record, cond bool, s float64) {
	if cond {
		scaleLatencies(r, s)
	}
}

// roundPoint is one calibration point: a check at one true effect.
type roundPoint struct {
	c             *roundCheckCalib
	target        float64 // analysis scale
	engine        string
	gap, truthSE  float64 // log factor adjust applied; Monte Carlo s.e. of the truth
	rates, looser calibrate.Rates
	err           error
}

var (
	roundCalibOnce sync.Once
	roundCalibPts  []*roundPoint
)

// calibrateRounds tunes and measures every check of roundCalibs at its
// bound and at twice it.
func calibrateRounds(t *testing.T) []*roundPoint {
	t.Helper()
	roundCalibOnce.Do(func() {
		n := roundCalibSessions
		if v, err := strconv.Atoi(os.Getenv("HYPOBENCH_CALIB_SESSIONS")); err == nil && v > 0 {
			n = v
		}
		poolMul := 1
		if v, err := strconv.Atoi(os.Getenv("HYPOBENCH_CALIB_POOL")); err == nil && v > 0 {
			poolMul = v
		}
		only := os.Getenv("HYPOBENCH_CALIB_ONLY") // check names, comma-separated
		var pts []*roundPoint
		for _, c := range roundCalibs() {
			if only != "" && !slices.Contains(strings.Split(only, ","), c.check) {
				continue
			}
			pts = append(pts, &roundPoint{c: c, target: c.bound}, &roundPoint{c: c, target: c.twice})
		}
		var wg sync.WaitGroup
		for i, p := range pts {
			wg.Go(func() { p.err = p.measure(n, poolMul, roundCalibSeed+uint64(i)) })
		}
		wg.Wait()
		roundCalibPts = pts
	})
	for _, p := range roundCalibPts {
		if p.err != nil {
			t.Fatalf("%s %s at %.4f: %v", p.c.hyp, p.c.check, p.target, p.err)
		}
	}
	return roundCalibPts
}

// measure tunes the engine, pools its runs, closes the gap to the target
// exactly, and runs n sessions through the check.
func (p *roundPoint) measure(n, poolMul int, seed uint64) error {
	c := p.c
	s := c.suite()
	var cfg engine.Config
	if c.knob != nil {
		cfg, p.engine = c.knob(p.target)
	} else {
		var err error
		if cfg, p.engine, err = tuneFrontEnd(s, c.est, p.target); err != nil {
			return err
		}
	}
	d, err := calibrate.NewDesignSim(cfg, s, c.runs*poolMul, calibrate.DefaultNoise)
	if err != nil {
		return err
	}
	if c.keep != nil {
		d.Prune(c.keep)
	}
	// The same rounds and noise before and after the adjustment (common
	// random numbers): it moves every round's estimate by exactly the gap,
	// so the truth lands on the target; its Monte Carlo error is the
	// first estimate's.
	truth, se := d.Truth(rand.New(rand.NewPCG(seed, 0x7e57)), roundTruthRounds, c.est)
	p.gap, p.truthSE = p.target-truth, se
	d.Adjust(func(r *record.Record) { c.adjust(r, math.Exp(p.gap)) })
	if truth, _ = d.Truth(rand.New(rand.NewPCG(seed, 0x7e57)), roundTruthRounds, c.est); math.Abs(truth-p.target) > 1e-9 {
		return fmt.Errorf("after the adjustment the truth is %.9f, want %.9f", truth, p.target)
	}
	rng := rand.New(rand.NewPCG(seed, 0xca11b))
	o := Options{Alpha: roundCalibAlpha, Seed: 1}
	want := c.show(p.target)
	looser := c.show(c.looser)
	for range n {
		chk := c.run(d.Session(rng), o)
		p.rates.Count(string(chk.Outcome), chk.EffectCI.Lo, chk.EffectCI.Hi, want)
		p.looser.Count(string(verdict.CIOutcome(chk.EffectCI, looser, c.greater)), chk.EffectCI.Lo, chk.EffectCI.Hi, want)
	}
	return nil
}

// TestRoundCalibration measures H1's growth, H2's token-cost and H3's
// shift and admission checks at their null boundary in virtual time and
// asserts their operating characteristics.
//
// Per check and true effect (at the bound, and at twice it — see
// roundCalibs for "twice" on each check's scale), the engine is tuned so
// that its effect lies at the target: H1 and H2 by bisecting a fixed
// per-request front-end cost on the jitter-free engine, H3 by a scheduler
// limit chosen from a listed value; its design (H1Design, H2Design,
// H3Design, Default size) runs 64 times (H3: 16) with 7% step jitter in
// the engine, and the pooled rounds are resampled into sessions with
// calibrate.DefaultNoise's per-round level (log-sd 0.2), run factor (1%),
// drift (0.5% per round) and per-request noise (3%). The truth is the mean
// round estimate over 8,000 rounds drawn the same way; the last gap
// between it and the target is closed exactly by a factor on one level's
// latencies (logged: a percent or two where the knob is continuous), and
// the truth re-estimated. Over 4,000 sessions per point from a fixed seed,
// the check — the very function H1/H2/H3 call — must pass at its bound at
// most α of the time (point estimate, and exact 95% upper bound ≤ 1.5α),
// pass at twice the bound at least 95% of the time, and its 90% interval
// must cover the truth in 88–92% of sessions at the bound. Teeth: the
// boundary sessions judged against a bound loosened 2× pass far more
// often than 1.5α. RoundCalibrated must match what is measured here; a
// requirement a check misses is not waved through: a miss by a check whose
// RoundCalibrated entry declares none fails the test at any setting (so
// HYPOBENCH_CALIB_ADMISSION=slots asserts admission at its other
// boundary too), and a declared one (Operating.Misses; only H1's growth,
// whose point estimate sits a Monte Carlo error above α: see the note) is
// shown wherever the figures are.
//
// Longer: HYPOBENCH_CALIB_SESSIONS=20000 HYPOBENCH_CALIB_POOL=4 go test
// ./hypotheses -run TestRoundCalibration -v -timeout 60m (pools 4× as
// large); HYPOBENCH_CALIB_ONLY=growth,token-cost restricts it to those
// checks.
func TestRoundCalibration(t *testing.T) {
	pts := calibrateRounds(t)
	var got []Operating
	for i := 0; i < len(pts); i += 2 {
		edge, twice := pts[i], pts[i+1]
		c := edge.c
		for _, p := range []*roundPoint{edge, twice} {
			r := p.rates
			t.Logf("%s %-10s truth %.4f (effect %.4f, s.e. %.5f; %s, gap closed ×%.4f): pass %.4f [≤%.4f], fail %.4f, inconclusive %d, coverage %.4f (%d below, %d above) of %d",
				c.hyp, c.check, p.target, c.show(p.target), p.truthSE, p.engine, math.Exp(p.gap), r.PassRate(), calibrate.UpperBound(r.Pass, r.N, 0.95),
				r.FailRate(), r.Inconclusive, r.Coverage(), r.Below, r.Above, r.N)
		}
		r := edge.rates
		hi := calibrate.UpperBound(r.Pass, r.N, 0.95)
		name := c.hyp + " " + c.check
		misses := requirementMisses(r, twice.rates)
		declared, _ := RoundCalibrated.Lookup(c.hyp, c.check)
		for _, m := range misses {
			if len(declared.Misses) == 0 {
				t.Errorf("MISS %s: %s (RoundCalibrated declares no miss for it)", name, m)
			} else {
				t.Logf("MISS %s (declared in RoundCalibrated): %s", name, m)
			}
		}
		if l := edge.looser; calibrate.UpperBound(l.Pass, l.N, 0.95) <= 1.5*roundCalibAlpha || l.PassRate() <= roundCalibAlpha {
			t.Errorf("%s: a bound 2× looser passed the boundary %.4f; the boundary assertion would not notice", name, l.PassRate())
		} else {
			t.Logf("control, %s bound loosened 2× to %.4f: the true %.4f passes %.4f (of %d) — the boundary assertion would fail", name, c.show(c.looser), c.show(edge.target), l.PassRate(), l.N)
		}
		got = append(got, Operating{Hypothesis: c.hyp, Check: c.check, Scale: c.scale, Bound: round4(c.show(c.bound)), Twice: round4(c.show(c.twice)), Sessions: r.N,
			PassAtBound: round4(r.PassRate()), PassAtBoundHi: round4(hi), PowerAtTwice: round4(twice.rates.PassRate()), Coverage: round4(r.Coverage()), Misses: misses})
	}
	if got[0].Sessions == roundCalibSessions && os.Getenv("HYPOBENCH_CALIB_POOL") == "" && os.Getenv("HYPOBENCH_CALIB_ONLY") == "" && os.Getenv("HYPOBENCH_CALIB_ADMISSION") == "" && !reflect.DeepEqual(RoundCalibrated.Checks, got) {
		t.Errorf("RoundCalibrated.Checks = %#v,\nmeasured %#v", RoundCalibrated.Checks, got)
	}
}

// TestCalibrationRunsTheLiveChecks: what the calibration calls on a
// session is the check H1, H2 and H3 put in their verdicts — on the
// default engine's records (H3's pruned to the top level, as the
// calibration's pool is) the outcome, effect and interval are the same.
func TestCalibrationRunsTheLiveChecks(t *testing.T) {
	t.Parallel()
	calibs := roundCalibs()
	seen := map[string]bool{}
	for _, c := range calibs {
		d, err := calibrate.NewDesignSim(engine.Config{}, c.suite(), 1, calibrate.DefaultNoise)
		if err != nil {
			t.Fatal(err)
		}
		recs := d.Session(rand.New(rand.NewPCG(3, 3)))
		var v verdict.Verdict
		switch c.hyp {
		case "H1":
			v = H1(recs, Options{})
		case "H2":
			v = H2(recs, nil, Options{})
		case "H3":
			v = H3(recs, nil, Options{})
		}
		// The check on the same records, pruned as the pool is.
		var kept []record.Record
		for _, r := range recs {
			if c.keep == nil || c.keep(&r) {
				kept = append(kept, r)
			}
		}
		got := c.run(kept, DefaultOptions)
		var want *verdict.Check
		for i := range v.Checks {
			if v.Checks[i].Name == c.check {
				want = &v.Checks[i]
			}
		}
		if want == nil {
			t.Fatalf("%s has no check %s", c.hyp, c.check)
		}
		seen[c.hyp+" "+c.check] = true
		t.Logf("%s %s: %s %v %+v", c.hyp, c.check, got.Outcome, got.Effect, got.EffectCI)
		if got.Outcome != want.Outcome || got.Effect != want.Effect || got.EffectCI != want.EffectCI || got.N != want.N {
			t.Errorf("%s %s: calibration's check %s %v %+v (n %d), the verdict's %s %v %+v (n %d)", c.hyp, c.check,
				got.Outcome, got.Effect, got.EffectCI, got.N, want.Outcome, want.Effect, want.EffectCI, want.N)
		}
	}
	if len(seen) != 4 {
		t.Errorf("checked %v", seen)
	}
}

// TestTrendCalibration measures H2's e2e-trend check — a one-sided
// Kendall τ-b test with a global permutation p-value and a bootstrap
// interval of τ, over the output ladder's requests — on request
// (HYPOBENCH_CALIB_TREND=1; HYPOBENCH_CALIB_SESSIONS sessions per point,
// default 1,000: at ~33 ms a session it is too slow for `make test`). Its
// bound is τ = 0, so "twice the bound" has no meaning; it is measured at
// the null (the FreeDecode engine with no per-token streaming cost: E2E
// does not depend on output tokens, τ = 0) and at H2's token-cost bound
// (an output token costs 0.1 of a one-token request), where a decode
// cost H2 still accepts must show as a trend. It asserts nothing beyond
// the null's pass rate ≤ 1.5α: what it measures is in the note.
func TestTrendCalibration(t *testing.T) {
	if os.Getenv("HYPOBENCH_CALIB_TREND") == "" {
		t.Skip("on request: HYPOBENCH_CALIB_TREND=1")
	}
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("HYPOBENCH_CALIB_SESSIONS")); err == nil && v > 0 {
		n = v
	}
	s := H2Design(Default, 0, nil)
	fe := engine.FrontEnd{PerRequest: engine.DefaultFrontEnd.PerRequest, PerPromptToken: engine.DefaultFrontEnd.PerPromptToken}
	null := engine.Config{FrontEnd: &fe, Knobs: engine.Knobs{FreeDecode: true}}
	c := roundCalibs()[1]
	atBound, what, err := tuneFrontEnd(s, c.est, c.bound)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Alpha: roundCalibAlpha, Seed: 1}.WithDefaults()
	for i, p := range []struct {
		name string
		cfg  engine.Config
	}{{"null (free decode, no streaming cost)", null}, {"token-cost bound (" + what + ")", atBound}} {
		d, err := calibrate.NewDesignSim(p.cfg, s, 64, calibrate.DefaultNoise)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(roundCalibSeed+100+uint64(i), 0xca11b))
		var r calibrate.Rates
		for range n {
			var xs, ys []float64
			for _, rec := range ok(d.Session(rng)) {
				if y, ok := fptr(rec.E2E); ok {
					xs, ys = append(xs, float64(rec.N())), append(ys, y)
				}
			}
			chk := experiment.KendallTrend("e2e-trend", "E2E rises with output tokens", xs, ys, experiment.Rising, 2, o)
			r.Count(string(chk.Outcome), chk.EffectCI.Lo, chk.EffectCI.Hi, 0)
		}
		t.Logf("e2e-trend at the %s: pass %.4f [≤%.4f], fail %.4f, inconclusive %d; interval of τ covered 0 in %.4f of %d",
			p.name, r.PassRate(), calibrate.UpperBound(r.Pass, r.N, 0.95), r.FailRate(), r.Inconclusive, r.Coverage(), r.N)
		if i == 0 && calibrate.UpperBound(r.Pass, r.N, 0.95) > 1.5*roundCalibAlpha {
			t.Errorf("e2e-trend passes %.4f of sessions where E2E does not depend on output tokens", r.PassRate())
		}
	}
}
