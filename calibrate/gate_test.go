package calibrate

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/hypobench/hypobench/compare"
	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/workload"
)

// Calibration constants: α of the gate's one-sided test (its 90%
// two-sided interval), the fixed seed, and the default number of sessions
// per figure (HYPOBENCH_CALIB_SESSIONS for more).
const (
	alpha        = 0.05
	calibSeed    = 20261201
	calibDefault = 4000
)

func sessions(t *testing.T) int {
	n := calibDefault
	if v, err := strconv.Atoi(os.Getenv("HYPOBENCH_CALIB_SESSIONS")); err == nil && v > 0 {
		n = v
	}
	return n
}

// gateDesign is the calibrated design: the tiny suite's short_short
// profile at concurrency 8 (the group of the reported false FAIL), 32
// requests per run, 16 counterbalanced interleaved rounds per side, the
// default noise model, runs drawn from pools of 256 simulated runs.
func gateDesign(t *testing.T, rounds int) GateDesign {
	t.Helper()
	s, err := workload.LoadSuite("tiny")
	if err != nil {
		t.Fatal(err)
	}
	s.Profiles, s.Concurrency, s.Requests = s.Profiles[:1], []int{8}, 32
	if s.Profiles[0].Name != "short_short" {
		t.Fatalf("the tiny suite's first profile is %s, want short_short", s.Profiles[0].Name)
	}
	return GateDesign{Engine: engine.Config{}, Suite: s, Group: compare.Group{Profile: "short_short", Concurrency: 8},
		Rounds: rounds, Layout: ABBA, Noise: DefaultNoise, Pool: 256}
}

// point is one true effect of a calibration: its slowdown and the truth
// a noise-free simulation gives there.
type point struct {
	name      string
	k, truth  float64
	sim       *GateSim
	rates     Rates
	simErr    error
	runErr    error
	loosened  Rates // the same sessions with the budget doubled
	wideLevel Rates // the same sessions with 80% intervals
}

var (
	calibOnce sync.Once
	calibPts  []*point
)

// calibrate tunes the engine so that the true TTFT p50 change of the
// design's group is 0, exactly the budget (5%) and twice it, then gates
// n sessions at each.
func calibrate(t *testing.T) []*point {
	calibOnce.Do(func() {
		d := gateDesign(t, 16)
		b := compare.DefaultBudget
		pts := []*point{{name: "no change", k: 1, truth: 1}}
		for _, target := range []float64{1 + b, 1 + 2*b} {
			k, truth, err := Tune(d, compare.TTFT, 0.5, target)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(truth-target) > 1e-6 {
				t.Fatalf("tuned to ×%.9f, want ×%g: the quantile jumps there", truth, target)
			}
			pts = append(pts, &point{name: fmt.Sprintf("+%g%%", math.Round((target-1)*1000)/10), k: k, truth: truth})
		}
		n := sessions(t)
		var wg sync.WaitGroup
		for i, p := range pts {
			wg.Go(func() {
				if p.sim, p.simErr = NewGateSim(d, p.k); p.simErr != nil {
					return
				}
				p.rates, p.runErr = p.sim.Run(n, calibSeed+uint64(i), compare.Options{}, compare.TTFT, 0.5, p.truth)
				if i == 1 && p.runErr == nil {
					// Negative controls on the boundary's own sessions.
					p.loosened, p.runErr = p.sim.Run(n/4, calibSeed+uint64(i), compare.Options{Budget: 2 * b}, compare.TTFT, 0.5, p.truth)
					if p.runErr == nil {
						p.wideLevel, p.runErr = p.sim.Run(n/4, calibSeed+uint64(i), compare.Options{Level: 0.80}, compare.TTFT, 0.5, p.truth)
					}
				}
			})
		}
		wg.Wait()
		calibPts = pts
	})
	for _, p := range calibPts {
		if p.simErr != nil || p.runErr != nil {
			t.Fatalf("%s: %v %v", p.name, p.simErr, p.runErr)
		}
	}
	if len(calibPts) != 3 {
		t.Fatal("calibration did not run")
	}
	return calibPts
}

// TestGateCalibration measures the gate's operating characteristics at
// the null boundary in virtual time and asserts them: with α = 0.05, over
// 4,000 sessions from a fixed seed, a check passes a true TTFT p50 change
// equal to its 5% budget at most α of the time (point estimate, and
// exact 95% upper bound ≤ 1.5α); with no change it falsely fails at most
// α of the time and passes at least 90%; at twice the budget it fails at
// least 95%; its 90% intervals cover the noise-free true ratio 88–92% of
// the time. It also shows that the assertions have teeth: doubling the
// budget (so the boundary sits at half of it) or narrowing the interval to
// 80% breaks them. compare.Calibrated must match what is measured here.
func TestGateCalibration(t *testing.T) {
	pts := calibrate(t)
	zero, edge, twice := pts[0], pts[1], pts[2]
	for _, p := range pts {
		r := p.rates
		t.Logf("%-9s k=%.6f truth ×%.6f: pass %.4f [≤%.4f], fail %.4f [≥%.4f, ≤%.4f], inconclusive %d, coverage %.4f (%d below, %d above) of %d",
			p.name, p.k, p.truth, r.PassRate(), UpperBound(r.Pass, r.N, 0.95), r.FailRate(), LowerBound(r.Fail, r.N, 0.95),
			UpperBound(r.Fail, r.N, 0.95), r.Inconclusive, r.Coverage(), r.Below, r.Above, r.N)
		if c := r.Coverage(); c < 0.88 || c > 0.92 {
			t.Errorf("%s: 90%% intervals covered the truth in %.4f of sessions, want 0.88–0.92", p.name, c)
		}
	}
	if r := edge.rates; r.PassRate() > alpha || UpperBound(r.Pass, r.N, 0.95) > 1.5*alpha {
		t.Errorf("at the boundary the gate passed %.4f (upper bound %.4f), want ≤ %g and ≤ %g", r.PassRate(), UpperBound(r.Pass, r.N, 0.95), alpha, 1.5*alpha)
	}
	if r := zero.rates; r.FailRate() > alpha || UpperBound(r.Fail, r.N, 0.95) > 1.5*alpha {
		t.Errorf("with no change the gate failed %.4f (upper bound %.4f), want ≤ %g and ≤ %g", r.FailRate(), UpperBound(r.Fail, r.N, 0.95), alpha, 1.5*alpha)
	}
	if r := zero.rates; r.PassRate() < 0.9 {
		t.Errorf("with no change the gate passed %.4f, want ≥ 0.9", r.PassRate())
	}
	// Power at twice the budget: ≥ 0.95 (the bar for every check;
	// the gate's own is 0.9).
	if r := twice.rates; r.FailRate() < 0.95 {
		t.Errorf("at twice the budget the gate failed %.4f, want ≥ 0.95", r.FailRate())
	}
	// Teeth: the same boundary sessions with a doubled budget pass far
	// more often than 1.5α, and 80% intervals cover far less than 88%.
	if r := edge.loosened; UpperBound(r.Pass, r.N, 0.95) <= 1.5*alpha || r.PassRate() <= alpha {
		t.Errorf("budget doubled: the boundary passed %.4f; the boundary assertion would not notice a 2× looser gate", r.PassRate())
	} else {
		t.Logf("control, budget doubled to %g%%: pass at the true +5%% %.4f (of %d) — the boundary assertion would fail", 200*compare.DefaultBudget, r.PassRate(), r.N)
	}
	if r := edge.wideLevel; r.Coverage() >= 0.88 {
		t.Errorf("80%% intervals: coverage %.4f; the coverage assertion would not notice", r.Coverage())
	} else {
		t.Logf("control, 80%% intervals: coverage %.4f (of %d) and pass at the boundary %.4f — both assertions would fail", r.Coverage(), r.N, r.PassRate())
	}
	// The figures compare shows beside its verdicts are these.
	got := compare.Calibrated[compare.Interleaved]
	want := compare.Operating{Design: compare.Interleaved, Setup: got.Setup, Sessions: zero.rates.N, Rounds: 16,
		PassAtBoundary: round4(edge.rates.PassRate()), PassAtBoundaryHi: round4(UpperBound(edge.rates.Pass, edge.rates.N, 0.95)),
		FailAtTwice: round4(twice.rates.FailRate()), PassAtZero: round4(zero.rates.PassRate()), FailAtZero: round4(zero.rates.FailRate()),
		Coverage: round4(edge.rates.Coverage())}
	if zero.rates.N == calibDefault && got != want {
		t.Errorf("compare.Calibrated[Interleaved] = %+v,\nmeasured %+v", got, want)
	}
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }
