package hypotheses

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hypobench/hypobench/experiment"
	"github.com/hypobench/hypobench/internal/testutil"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/stats"
	"github.com/hypobench/hypobench/verdict"
)

// synthLadder builds c=1 records whose TTFT is base + slope × prompt tokens with
// multiplicative noise.
func synthLadder(rng *rand.Rand, reps []int, n int, base, slope, noise float64) []record.Record {
	var recs []record.Record
	for _, r := range reps {
		for k := range n {
			tok := r + 5
			ttft := (base + slope*float64(tok)) * math.Exp(noise*rng.NormFloat64())
			recs = append(recs, record.Record{Profile: "p", Concurrency: 1, PromptRep: r, MaxTokens: 1, PromptTokens: record.I(tok),
				OutputTokens: record.I(1), TTFT: record.F(ttft), E2E: record.F(ttft), Total: ttft, Round: k%3 + 1})
		}
	}
	return recs
}

func TestH1Outcomes(t *testing.T) {
	t.Parallel()
	reps := []int{40, 250, 500, 750, 1000}
	for _, tc := range []struct {
		name  string
		recs  []record.Record
		want  verdict.Outcome
		check string
	}{
		{"prefill-bound", synthLadder(rand.New(rand.NewPCG(1, 1)), reps, 10, 0.02, 1.4e-4, 0.05), verdict.Pass, ""},
		{"flat", synthLadder(rand.New(rand.NewPCG(2, 1)), reps, 10, 0.02, 0, 0.05), verdict.Fail, "growth"},
		{"two levels", synthLadder(rand.New(rand.NewPCG(3, 1)), reps[:2], 10, 0.02, 1e-4, 0.05), verdict.Inconclusive, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := H1(tc.recs, Options{Seed: 7})
			if v.Outcome != tc.want {
				t.Fatalf("outcome %s, want %s: %s", v.Outcome, tc.want, verdict.Summary(v))
			}
			if v.N != len(tc.recs) || v.Seed != 7 || len(v.Evidence) == 0 {
				t.Errorf("n %d seed %d evidence %d", v.N, v.Seed, len(v.Evidence))
			}
			for _, c := range v.Checks {
				if c.Name == tc.check && c.Outcome != verdict.Fail {
					t.Errorf("check %s = %s, want fail", c.Name, c.Outcome)
				}
			}
		})
	}
	// Failed requests are excluded and said to be.
	recs := synthLadder(rand.New(rand.NewPCG(4, 1)), reps, 10, 0.02, 1.4e-4, 0.05)
	recs = append(recs, record.Record{PromptRep: 40, ErrorClass: record.ClassReset})
	v := H1(recs, Options{})
	if v.Outcome != verdict.Pass || len(v.Warnings) == 0 {
		t.Errorf("with a failed request: %s, warnings %v", v.Outcome, v.Warnings)
	}
	if len(v.Warnings) > 0 && (!errors.Is(v.Warnings[0], stats.ErrDropped) || v.Warnings[0].Error() != "1 failed requests excluded") {
		t.Errorf("warning %q does not wrap stats.ErrDropped with its own message", v.Warnings[0])
	}
}

// synthOutputs builds an output ladder with E2E = ttft + (N−1) × tpot.
func synthOutputs(rng *rand.Rand, maxTok []int, n int, tpot float64, c int) []record.Record {
	var recs []record.Record
	for _, m := range maxTok {
		for k := range n {
			ttft := 0.02 * math.Exp(0.05*rng.NormFloat64())
			tp := tpot * math.Exp(0.03*rng.NormFloat64())
			e2e := ttft + float64(m-1)*tp
			r := record.Record{Concurrency: c, PromptRep: 40, MaxTokens: m, OutputTokens: record.I(m), TTFT: record.F(ttft), E2E: record.F(e2e), Total: e2e,
				Round: k%3 + 1, Seq: c + k/3}
			if m >= 2 {
				r.TPOT = record.F(tp)
			}
			recs = append(recs, r)
		}
	}
	return recs
}

func TestH2Outcomes(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 1))
	lad := synthOutputs(rng, []int{1, 8, 64, 256, 512}, 6, 0.02, 1)
	var conc, concCB []record.Record
	for _, c := range []int{1, 2, 4, 8, 16} {
		conc = append(conc, synthOutputs(rng, []int{128}, 9, 0.02*(1+0.01*float64(c)), c)...)
		concCB = append(concCB, synthOutputs(rng, []int{128}, 9, 0.02*float64(c), c)...)
	}
	v := H2(lad, conc, Options{Seed: 1})
	if v.Outcome != verdict.Pass {
		t.Errorf("H2 on a decode-bound server: %s", verdict.Summary(v))
	}
	if v.Info[0] != "TPOT is undefined for 6 of 30 requests with fewer than 2 output tokens: excluded and counted, never averaged in" {
		t.Errorf("the N<2 exclusion is not reported: %q", v.Info[0])
	}
	// Free decode: each token costs 20 µs of transport against a 20 ms
	// request — E2E still doubles over 512 tokens, which the previous
	// definition took for decode.
	flat := synthOutputs(rng, []int{1, 8, 64, 256, 512}, 6, 2e-5, 1)
	if v := H2(flat, conc, Options{Seed: 1}); v.Outcome != verdict.Fail || v.Checks[0].Name != "token-cost" || v.Checks[0].Outcome != verdict.Fail {
		t.Errorf("H2 on a server whose decode is free: %s", verdict.Summary(v))
	} else if v.Test != v.Checks[0].Test || v.P != nil {
		t.Errorf("the headline of a failed verdict is not its failing check: %s", verdict.Summary(v))
	}
	// No batching: TPOT ∝ c must fail, not merely be inconclusive.
	if v := H2(lad, concCB, Options{Seed: 1}); v.Outcome != verdict.Fail {
		t.Errorf("H2 on a server that does not batch decode: %s", verdict.Summary(v))
	}
	// Without rounds, the round-based checks cannot decide.
	noRounds := append([]record.Record(nil), lad...)
	for i := range noRounds {
		noRounds[i].Round = 0
	}
	if v := H2(noRounds, conc, Options{Seed: 1}); v.Outcome != verdict.Inconclusive {
		t.Errorf("H2 without rounds: %s", verdict.Summary(v))
	}
}

// synthH3 builds H3Design-like records: short (40) and long (1000)
// prompts at each level, 3 rounds, with TTFTs and TPOT from the given
// functions of the level.
func synthH3(rng *rand.Rand, ttftShort, ttftLong, tpot func(c int) float64) []record.Record {
	var recs []record.Record
	for round := 1; round <= 3; round++ {
		for _, c := range []int{1, 2, 4, 8, 16} {
			for seq := range 2*c + 6 {
				rep, tt := 40, ttftShort(c)
				if seq%2 == 1 {
					rep, tt = 1000, ttftLong(c)
				}
				tt *= math.Exp(0.05 * rng.NormFloat64())
				tp := tpot(c) * math.Exp(0.03*rng.NormFloat64())
				e2e := tt + 127*tp
				recs = append(recs, record.Record{Concurrency: c, PromptRep: rep, MaxTokens: 128, OutputTokens: record.I(128), Seq: seq, Round: round,
					TTFT: record.F(tt), TPOT: record.F(tp), E2E: record.F(e2e), Total: e2e})
			}
		}
	}
	return recs
}

func TestH3Outcomes(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(6, 1))
	tpot := func(c int) float64 { return 0.02 * (1 + 0.01*float64(c)) }
	// The shift: prefill dominates a long prompt's TTFT at c=1; at c=16
	// both wait on a few decode steps.
	short := func(c int) float64 { return 0.025 + 0.02*float64(c)/4 }
	long := func(c int) float64 { return short(c) + 0.2/float64(c) }
	flat := func(c int) float64 { return short(c) }
	for _, tc := range []struct {
		name    string
		recs    []record.Record
		want    verdict.Outcome
		failing string
	}{
		{"shift", synthH3(rng, short, long, tpot), verdict.Pass, ""},
		{"flat prefill", synthH3(rng, short, flat, tpot), verdict.Fail, "prefill-bound"},
		{"no shift", synthH3(rng, short, func(c int) float64 { return short(c) + 0.2 }, tpot), verdict.Fail, "shift"},
		{"no batching", synthH3(rng, short, long, func(c int) float64 { return 0.02 * float64(c) }), verdict.Fail, "batching"},
		{"admission", synthH3(rng, func(c int) float64 { return 0.025 + 0.5*float64(c) }, func(c int) float64 { return 0.225 + 0.5*float64(c) }, func(int) float64 { return 0.02 }), verdict.Fail, "admission"},
	} {
		v := H3(tc.recs, nil, Options{Seed: 1})
		if v.Outcome != tc.want {
			t.Errorf("%s: %s", tc.name, verdict.Summary(v))
			continue
		}
		for _, c := range v.Checks {
			if c.Name == tc.failing && c.Outcome != verdict.Fail {
				t.Errorf("%s: check %s is %s, want fail", tc.name, c.Name, c.Outcome)
			}
		}
	}
	if v := H3(synthH3(rng, short, long, tpot)[:40], nil, Options{Seed: 1}); v.Outcome != verdict.Inconclusive {
		t.Errorf("H3 on two levels of one round: %s", verdict.Summary(v))
	}
}

func TestVerdictFilesGolden(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 1))
	dir := t.TempDir()
	v1 := H1(synthLadder(rng, []int{40, 250, 500, 750, 1000}, 10, 0.02, 1.4e-4, 0.05), Options{Seed: 3})
	v1.Design, v1.Target = "synthetic ladder", "synthetic"
	v2 := H4Unavailable("no kernel trace in this test", 3)
	for _, v := range []verdict.Verdict{v1, v2} {
		if err := verdict.Append(dir, v); err != nil {
			t.Fatal(err)
		}
	}
	vs, bad, err := verdict.Read(dir)
	if err != nil || len(bad) > 0 || len(vs) != 2 {
		t.Fatalf("read back %d verdicts, bad %v, err %v", len(vs), bad, err)
	}
	if !math.IsNaN(float64(vs[1].Effect)) || !math.IsNaN(vs[1].EffectCI.Lo) {
		t.Errorf("NaN did not round-trip through JSON null: %+v", vs[1])
	}
	if d := cmp.Diff(v1.Checks[1].EffectCI, vs[0].Checks[1].EffectCI); d != "" {
		t.Errorf("CI changed in the round trip: %s", d)
	}
	got, _ := os.ReadFile(filepath.Join(dir, record.HypothesesMDFile))
	testutil.Golden(t, filepath.Join("testdata", "hypotheses.md.golden"), got)
	var line map[string]any
	b, _ := os.ReadFile(filepath.Join(dir, record.HypothesesFile))
	if err := json.Unmarshal(bytes.SplitN(b, []byte("\n"), 2)[0], &line); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"statistic", "p", "alpha", "effect", "effect_ci", "n", "seed", "outcome", "claim"} {
		if _, ok := line[k]; !ok {
			t.Errorf("verdict JSON lacks %q", k)
		}
	}
}

// TestTrendCheckCanFail: a trend check fails when the data contradict a
// rising trend (τ's whole interval at or below 0), passes a rising one and
// is inconclusive on noise.
func TestTrendCheckCanFail(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(8, 1))
	var xs, up, down, flat []float64
	for i := range 40 {
		x := float64(i % 5)
		xs = append(xs, x)
		up = append(up, x+0.3*rng.NormFloat64())
		down = append(down, -x+0.3*rng.NormFloat64())
		flat = append(flat, rng.NormFloat64())
	}
	o := DefaultOptions
	for _, tc := range []struct {
		name string
		ys   []float64
		want verdict.Outcome
	}{{"rising", up, verdict.Pass}, {"falling", down, verdict.Fail}} {
		if c := experiment.KendallTrend("trend", "y rises", xs, tc.ys, experiment.Rising, 1, o); c.Outcome != tc.want {
			t.Errorf("%s: %s (τ %s CI %+v), want %s", tc.name, c.Outcome, verdict.Num(c.Effect), c.EffectCI, tc.want)
		}
	}
	if c := experiment.KendallTrend("trend", "y rises", xs, flat, experiment.Rising, 1, o); c.Outcome == verdict.Pass {
		t.Errorf("noise passed the trend check: τ %s, p %s", verdict.Num(c.Effect), verdict.PString(c.P))
	}
}

// TestRoundUnitCoverage is the reason the deciding checks resample rounds:
// with an effect shared by every request of one level in one round (log-sd
// 0.3, as a batch or a time window shares it) the per-round t interval of
// H1's growth check covers the true ratio at its nominal 90%, while an
// interval that treats the requests as independent (a bootstrap of the
// ratio of medians over requests) does not. 1000 simulated designs of 3
// rounds × 2 levels × 8 requests.
func TestRoundUnitCoverage(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(11, 3))
	const sims, truth = 1000, 2.0
	o := DefaultOptions
	roundCover, requestCover := 0, 0
	for range sims {
		var recs []record.Record
		for round := 1; round <= 3; round++ {
			for _, rep := range []int{40, 1000} {
				shared := 0.3 * rng.NormFloat64()
				base := 0.02
				if rep == 1000 {
					base *= truth
				}
				for range 8 {
					tt := base * math.Exp(shared+0.05*rng.NormFloat64())
					recs = append(recs, record.Record{Concurrency: 1, PromptRep: rep, MaxTokens: 1, Round: round, TTFT: record.F(tt)})
				}
			}
		}
		var ests []float64
		for _, rr := range rounds(recs) {
			at := func(rep int) float64 {
				return medianWhere(rr, func(r *record.Record) bool { return r.PromptRep == rep }, func(r *record.Record) (float64, bool) { return fptr(r.TTFT) })
			}
			ests = append(ests, experiment.LogRatio(at(1000), at(40)))
		}
		if _, ci := stats.TInterval(ests, o.Level()); ci.Contains(math.Log(truth)) {
			roundCover++
		}
		var lo, hi []float64
		for _, r := range recs {
			if r.PromptRep == 40 {
				lo = append(lo, *r.TTFT)
			} else {
				hi = append(hi, *r.TTFT)
			}
		}
		if _, ci := stats.BootstrapRatio(rng, lo, hi, stats.Median, 200, o.Level()); ci.Contains(truth) {
			requestCover++
		}
	}
	rc, qc := float64(roundCover)/sims, float64(requestCover)/sims
	t.Logf("coverage of a nominal 90%% interval: rounds as the unit %.3f, requests as the unit %.3f", rc, qc)
	if math.Abs(rc-0.9) > 0.03 {
		t.Errorf("per-round t interval covers %.3f, want 0.90 ± 0.03", rc)
	}
	if qc > 0.8 {
		t.Errorf("the request-level interval covers %.3f: the simulation's shared effect is too weak to show the point", qc)
	}
}
