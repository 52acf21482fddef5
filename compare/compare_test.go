package compare

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/hypobench/hypobench/internal/fakerun"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/verdict"
)

func TestCompareOutcomes(t *testing.T) {
	type testCase struct {
		name      string
		n         int
		scale     float64 // TTFT of the new run relative to the baseline
		sigma     float64
		opts      Options
		want      verdict.Outcome
		wantTTFT  verdict.Outcome // outcome of every TTFT check
		wantMoreN bool            // NeededN must exceed n
	}
	run := func(t *testing.T, tc testCase) {
		base := fakerun.Records(1, tc.n, 1, tc.sigma)
		cand := fakerun.Records(2, tc.n, tc.scale, tc.sigma)
		// One run per side decides only with a stated run-to-run
		// variation: a tiny one here, so the request-level part decides.
		o := tc.opts
		o.RunToRun = 0.001
		rep := Compare(base, cand, o)
		if rep.Outcome != tc.want {
			t.Errorf("outcome %s, want %s", rep.Outcome, tc.want)
		}
		if len(rep.Checks) != 2*3*2 {
			t.Fatalf("%d checks, want 12 (2 groups × 3 metrics × 2 quantiles)", len(rep.Checks))
		}
		for _, c := range rep.Checks {
			if tc.wantTTFT != "" && c.Metric == TTFT && c.Outcome != tc.wantTTFT {
				t.Errorf("%s: %s (ratio %.3f CI [%.3f, %.3f]), want %s", c.Name(), c.Outcome, c.Ratio, c.CI.Lo, c.CI.Hi, tc.wantTTFT)
			}
		}
		if tc.wantMoreN && rep.NeededN <= tc.n {
			t.Errorf("NeededN %d, want more than the %d requests given", rep.NeededN, tc.n)
		}
		if !tc.wantMoreN && rep.Outcome != verdict.Inconclusive && rep.NeededN != 0 {
			t.Errorf("NeededN %d on a decided report", rep.NeededN)
		}
	}
	for _, tc := range []testCase{
		{name: "20% slower TTFT fails", n: 200, scale: 1.20, sigma: 0.1, want: verdict.Fail, wantTTFT: verdict.Fail},
		{name: "same TTFT passes", n: 200, scale: 1.00, sigma: 0.1, want: verdict.Pass, wantTTFT: verdict.Pass},
		{name: "too few requests is inconclusive", n: 5, scale: 1.00, sigma: 0.1, want: verdict.Inconclusive, wantTTFT: verdict.Inconclusive, wantMoreN: true},
		{name: "too noisy is inconclusive", n: 20, scale: 1.00, sigma: 0.5, want: verdict.Inconclusive, wantMoreN: true},
		{name: "20% within a 30% TTFT budget passes", n: 200, scale: 1.20, sigma: 0.1,
			opts: Options{Budgets: map[Metric]float64{TTFT: 0.30}}, want: verdict.Pass, wantTTFT: verdict.Pass},
		{name: "faster passes", n: 200, scale: 0.8, sigma: 0.1, want: verdict.Pass, wantTTFT: verdict.Pass},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

func TestCompareDeterministic(t *testing.T) {
	base, cand := fakerun.Records(1, 50, 1, 0.2), fakerun.Records(2, 50, 1.05, 0.2)
	a := Compare(base, cand, Options{Seed: 7})
	b := Compare(base, cand, Options{Seed: 7})
	c := Compare(base, cand, Options{Seed: 8})
	same := true
	for i := range a.Checks {
		if a.Checks[i].CI != b.Checks[i].CI {
			t.Fatalf("%s: same seed, different CI %v and %v", a.Checks[i].Name(), a.Checks[i].CI, b.Checks[i].CI)
		}
		same = same && a.Checks[i].CI == c.Checks[i].CI
	}
	if same {
		t.Error("seeds 7 and 8 gave identical intervals: the seed is not used")
	}
	// A check's interval does not depend on the other groups present.
	d := Compare(base[:50], cand[:50], Options{Seed: 7})
	if d.Checks[0].Name() != a.Checks[6].Name() || d.Checks[0].CI != a.Checks[6].CI {
		t.Errorf("%s alone: CI %v, with another group %s: %v", d.Checks[0].Name(), d.Checks[0].CI, a.Checks[6].Name(), a.Checks[6].CI)
	}
}

func TestCompareGroups(t *testing.T) {
	base := fakerun.Records(1, 30, 1, 0.1, fakerun.Group{Profile: "a", Concurrency: 1}, fakerun.Group{Profile: "b", Concurrency: 1})
	cand := fakerun.Records(2, 30, 1, 0.1, fakerun.Group{Profile: "b", Concurrency: 1}, fakerun.Group{Profile: "c", Concurrency: 2})
	// Two failed requests in the new run.
	cand[0].ErrorClass, cand[1].ErrorClass = record.ClassTimeout, record.ClassReset
	rep := Compare(base, cand, Options{})
	if len(rep.OnlyBase) != 1 || rep.OnlyBase[0] != (Group{Profile: "a", Concurrency: 1}) {
		t.Errorf("OnlyBase %v, want [a/c=1]", rep.OnlyBase)
	}
	if len(rep.OnlyNew) != 1 || rep.OnlyNew[0] != (Group{Profile: "c", Concurrency: 2}) {
		t.Errorf("OnlyNew %v, want [c/c=2]", rep.OnlyNew)
	}
	for _, c := range rep.Checks {
		if c.Group != (Group{Profile: "b", Concurrency: 1}) {
			t.Errorf("check on %s, which is not in both runs", c.Group)
		}
	}
	if len(rep.Errors) != 1 || rep.Errors[0].NewErrors != 2 || rep.Errors[0].BaseErrors != 0 {
		t.Errorf("Errors %+v, want b/c=1 with 2 new errors", rep.Errors)
	}
	if len(rep.Warnings) != 3 {
		t.Errorf("warnings %q, want 3 (errors, only base, only new)", rep.Warnings)
	}
	if none := Compare(fakerun.Records(1, 30, 1, 0.1, fakerun.Group{Profile: "a", Concurrency: 1}), fakerun.Records(1, 30, 1, 0.1, fakerun.Group{Profile: "z", Concurrency: 1}), Options{}); none.Outcome != verdict.Inconclusive {
		t.Errorf("disjoint runs: outcome %s, want inconclusive", none.Outcome)
	}
}

func TestOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   Options
		m    Metric
		want Options
		bud  float64
	}{
		{name: "zero takes defaults", m: TTFT,
			want: Options{Budget: 0.05, Quantiles: DefaultQuantiles, B: 2000, Level: 0.90, Seed: 1, SeedSet: true, MinN: 10}, bud: 0.05},
		{name: "per-metric budget", in: Options{Budget: 0.02, Budgets: map[Metric]float64{TPOT: 0.1}}, m: TPOT,
			want: Options{Budget: 0.02, Budgets: map[Metric]float64{TPOT: 0.1}, Quantiles: DefaultQuantiles, B: 2000, Level: 0.90, Seed: 1, SeedSet: true, MinN: 10}, bud: 0.1},
		{name: "other metric keeps the global budget", in: Options{Budget: 0.02, Budgets: map[Metric]float64{TPOT: 0.1}}, m: E2E,
			want: Options{Budget: 0.02, Budgets: map[Metric]float64{TPOT: 0.1}, Quantiles: DefaultQuantiles, B: 2000, Level: 0.90, Seed: 1, SeedSet: true, MinN: 10}, bud: 0.02},
		{name: "seed 0 when set", in: Options{SeedSet: true, B: 5000, Level: 0.95, MinN: 30, Quantiles: []float64{0.99}}, m: TTFT,
			want: Options{Budget: 0.05, Quantiles: []float64{0.99}, B: 5000, Level: 0.95, Seed: 0, SeedSet: true, MinN: 30}, bud: 0.05},
		{name: "bad level and B fall back", in: Options{Level: 1.5, B: -1, MinN: 1}, m: TTFT,
			want: Options{Budget: 0.05, Quantiles: DefaultQuantiles, B: 2000, Level: 0.90, Seed: 1, SeedSet: true, MinN: 10}, bud: 0.05},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in.withDefaults()
			if got.Budget != tc.want.Budget || got.B != tc.want.B || got.Level != tc.want.Level || got.Seed != tc.want.Seed ||
				got.SeedSet != tc.want.SeedSet || got.MinN != tc.want.MinN || len(got.Quantiles) != len(tc.want.Quantiles) ||
				got.Quantiles[0] != tc.want.Quantiles[0] || len(got.Budgets) != len(tc.want.Budgets) {
				t.Errorf("withDefaults() = %+v, want %+v", got, tc.want)
			}
			if b := got.BudgetFor(tc.m); b != tc.bud {
				t.Errorf("BudgetFor(%s) = %g, want %g", tc.m, b, tc.bud)
			}
		})
	}
}

func TestParseBudget(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"5%", 0.05, true}, {" 2.5 % ", 0.025, true}, {"0.1", 0.1, true}, {"10%", 0.10, true},
		{"0", 0, false}, {"-5%", 0, false}, {"abc", 0, false}, {"%", 0, false}, {"", 0, false}, {"inf", 0, false}, {"NaN%", 0, false}, {"1000%", 10, true}, {"1001%", 0, false}, {"1e308", 0, false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseBudget(tc.in)
			if (err == nil) != tc.ok || math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("ParseBudget(%q) = %g, %v; want %g, ok %v", tc.in, got, err, tc.want, tc.ok)
			}
		})
	}
}

func TestParseMetric(t *testing.T) {
	for in, want := range map[string]Metric{"ttft": TTFT, "TPOT": TPOT, " e2e ": E2E, "itl": ""} {
		got, err := ParseMetric(in)
		if got != want || (err == nil) != (want != "") {
			t.Errorf("ParseMetric(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestVerdict(t *testing.T) {
	rep := Compare(fakerun.Records(1, 200, 1, 0.1), fakerun.Records(2, 200, 1.2, 0.1), Options{RunToRun: 0.001})
	v := rep.Verdict()
	if v.Outcome != verdict.Fail {
		t.Errorf("verdict %s, want fail", v.Outcome)
	}
	if len(v.Checks) != len(rep.Checks) {
		t.Errorf("%d verdict checks, want %d", len(v.Checks), len(rep.Checks))
	}
	if v.N != 800 {
		t.Errorf("verdict n %d, want 800 (2 groups × 200 × 2 runs)", v.N)
	}
	if v.Checks[0].Outcome != verdict.Fail || v.Effect != v.Checks[0].Effect {
		t.Errorf("headline %v %v, want the first failing check %v", v.Outcome, v.Effect, v.Checks[0].Effect)
	}
}

// synthRounds builds rounds runs of n requests per group, each round's
// latencies scaled by its own log-normal factor (σ = roundSigma): the
// between-run noise a shared machine adds.
func synthRounds(seed uint64, rounds, n int, scale, sigma, roundSigma float64, side string) []record.Record {
	rng := rand.New(rand.NewPCG(seed, 0x40d))
	var rs []record.Record
	for k := range rounds {
		f := math.Exp(roundSigma * rng.NormFloat64())
		round := fakerun.Records(seed*100+uint64(k), n, scale*f, sigma)
		for i := range round {
			round[i].RunID = fmt.Sprintf("%s-r%02d", side, k)
		}
		rs = append(rs, round...)
	}
	return rs
}

func TestCompareRounds(t *testing.T) {
	for _, tc := range []struct {
		name       string
		rounds     int
		scale      float64
		roundSigma float64
		want       verdict.Outcome
	}{
		// Four rounds per side whose levels differ by ~15% from round to
		// round: a request-level bootstrap would call the pooled 0% change
		// decided; the two-stage one must not claim a fail or a pass.
		{name: "between-round noise is inconclusive", rounds: 4, scale: 1, roundSigma: 0.15, want: verdict.Inconclusive},
		{name: "quiet rounds, same speed passes", rounds: 4, scale: 1, roundSigma: 0.005, want: verdict.Pass},
		{name: "quiet rounds, 20% slower fails", rounds: 4, scale: 1.2, roundSigma: 0.005, want: verdict.Fail},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := synthRounds(11, tc.rounds, 60, 1, 0.1, tc.roundSigma, "A")
			cand := synthRounds(12, tc.rounds, 60, tc.scale, 0.1, tc.roundSigma, "B")
			rep := Compare(base, cand, Options{})
			if rep.Outcome != tc.want {
				for _, c := range rep.Checks {
					t.Logf("%s %s ratio %.3f CI [%.3f, %.3f]", c.Name(), c.Outcome, c.Ratio, c.CI.Lo, c.CI.Hi)
				}
				t.Errorf("outcome %s, want %s", rep.Outcome, tc.want)
			}
			c := rep.Checks[0]
			if c.RoundsBase != tc.rounds || c.RoundsNew != tc.rounds {
				t.Errorf("rounds %d/%d, want %d", c.RoundsBase, c.RoundsNew, tc.rounds)
			}
			if tc.want == verdict.Inconclusive && rep.NeededRounds <= tc.rounds {
				t.Errorf("NeededRounds %d, want more than %d", rep.NeededRounds, tc.rounds)
			}
			if tc.roundSigma < 0.1 {
				return
			}
			// The same data with the rounds hidden: one run per side,
			// whose request-level interval is far narrower than the
			// rounds' — overconfident — so the gate must not decide.
			for i := range base {
				base[i].RunID = "A"
			}
			for i := range cand {
				cand[i].RunID = "B"
			}
			iid := Compare(base, cand, Options{})
			if iid.Outcome != verdict.Inconclusive || iid.Checks[0].Design != SingleRound || !strings.Contains(iid.Checks[0].Detail, "one run per side") {
				t.Errorf("rounds hidden: outcome %s, design %s, detail %q; want inconclusive because of one run per side", iid.Outcome, iid.Checks[0].Design, iid.Checks[0].Detail)
			}
			wr, wi := c.CI.Hi/c.CI.Lo, iid.Checks[0].CI.Hi/iid.Checks[0].CI.Lo
			if wi >= wr {
				t.Errorf("request-level interval ×%.3f wide, rounds' ×%.3f: the test data no longer show the overconfidence", wi, wr)
			}
		})
	}
}

// interleave builds an interleaved session: rounds pairs of runs, the
// pair's runs sharing a log-normal level factor (σ = level, the machine's
// state during the round), run in the order A B, B A, A B, …
func interleave(seed uint64, rounds, n int, scale, sigma, level float64) (base, cand []record.Record) {
	rng := rand.New(rand.NewPCG(seed, 0xabba))
	for k := range rounds {
		f := math.Exp(level * rng.NormFloat64())
		for side, out := range []*[]record.Record{&base, &cand} {
			s := f
			if side == 1 {
				s *= scale
			}
			run := fakerun.Records(seed*100+uint64(2*k+side), n, s, sigma)
			slot := 2*k + side
			if k%2 == 1 {
				slot = 2*k + 1 - side
			}
			for i := range run {
				run[i].RunID = fmt.Sprintf("%c-r%02d", 'A'+side, k+1)
				run[i].StartUnixNs = int64(slot+1)*1e12 + int64(i)
			}
			*out = append(*out, run...)
		}
	}
	return base, cand
}

func TestCompareInterleaved(t *testing.T) {
	for _, tc := range []struct {
		name  string
		scale float64
		want  verdict.Outcome
	}{
		{name: "same speed passes despite 15% round-to-round levels", scale: 1, want: verdict.Pass},
		{name: "20% slower fails", scale: 1.2, want: verdict.Fail},
		{name: "at the budget is inconclusive", scale: 1.05, want: verdict.Inconclusive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, cand := interleave(21, 8, 60, tc.scale, 0.1, 0.15)
			rep := Compare(base, cand, Options{Metrics: []Metric{TTFT}})
			for _, c := range rep.Checks {
				if c.Design != Interleaved {
					t.Fatalf("%s: design %s, want interleaved", c.Name(), c.Design)
				}
			}
			if rep.Outcome != tc.want {
				for _, c := range rep.Checks {
					t.Logf("%s %s ratio %.3f CI [%.3f, %.3f]", c.Name(), c.Outcome, c.Ratio, c.CI.Lo, c.CI.Hi)
				}
				t.Errorf("outcome %s, want %s", rep.Outcome, tc.want)
			}
			if tc.want == verdict.Inconclusive && rep.NeededRounds <= 8 {
				t.Errorf("NeededRounds %d, want more than the 8 given", rep.NeededRounds)
			}
			if op := rep.Operating; op == nil || op.Design != Interleaved {
				t.Errorf("operating characteristics %+v, want the interleaved calibration", op)
			}
			// The same runs, not paired (start times dropped): the
			// shared levels no longer cancel, and the interval is much
			// wider.
			for i := range base {
				base[i].StartUnixNs = 0
			}
			u := Compare(base, cand, Options{Metrics: []Metric{TTFT}})
			p, q := rep.Checks[0].CI, u.Checks[0].CI
			if u.Checks[0].Design != Unpaired || math.Log(q.Hi/q.Lo) < 2*math.Log(p.Hi/p.Lo) {
				t.Errorf("unpaired: design %s CI %v, paired CI %v; want unpaired and at least twice as wide", u.Checks[0].Design, q, p)
			}
		})
	}
}

func TestSingleRoundCannotDecide(t *testing.T) {
	// 50% slower in one run against one run: with no stated run-to-run
	// variation, the gate cannot tell this from two runs' difference.
	rep := Compare(fakerun.Records(1, 400, 1, 0.1), fakerun.Records(2, 400, 1.5, 0.1), Options{})
	if rep.Outcome != verdict.Inconclusive || rep.NeededN != 0 {
		t.Errorf("outcome %s NeededN %d, want inconclusive without a request count", rep.Outcome, rep.NeededN)
	}
	for _, c := range rep.Checks {
		if c.Design != SingleRound || !strings.Contains(c.Detail, "hypobench abab") || !c.CI.Valid() {
			t.Errorf("%s: design %s, CI %v, detail %q", c.Name(), c.Design, c.CI, c.Detail)
		}
	}
	if rep.Operating != nil {
		t.Errorf("operating characteristics %+v for an uncalibrated design", rep.Operating)
	}
	// Given a run-to-run variation of 5%, 50% slower is a regression.
	if r := Compare(fakerun.Records(1, 400, 1, 0.1), fakerun.Records(2, 400, 1.5, 0.1), Options{RunToRun: 0.05}); r.Outcome != verdict.Fail {
		t.Errorf("with --run-to-run 5%%: outcome %s, want fail", r.Outcome)
	}
	// A 20% run-to-run variation swallows a 10% change: only rounds help.
	r := Compare(fakerun.Records(1, 400, 1, 0.1), fakerun.Records(2, 400, 1.1, 0.1), Options{RunToRun: 0.2, Metrics: []Metric{TTFT}})
	if r.Outcome != verdict.Inconclusive || r.NeededN != 0 || r.NeededRounds == 0 {
		t.Errorf("with --run-to-run 20%%: outcome %s NeededN %d NeededRounds %d, want inconclusive asking for rounds", r.Outcome, r.NeededN, r.NeededRounds)
	}
}

// TestOpenLoopGroupsByRate: open-loop records group by their phase's
// target rate, whatever the requests in flight each was sent with.
func TestOpenLoopGroupsByRate(t *testing.T) {
	recs := fakerun.Records(1, 30, 1, 0.1, fakerun.Group{Profile: "a", Concurrency: 1}, fakerun.Group{Profile: "a", Concurrency: 2})
	for i := range recs {
		recs[i].Concurrency = 1 + i%7 // in flight when sent
		recs[i].TargetRate = 5
		if i%2 == 1 {
			recs[i].TargetRate = 10
		}
	}
	g := byGroup(recs)
	if len(g) != 2 || len(g[Group{Profile: "a", Rate: 5}]) != len(recs)/2 || len(g[Group{Profile: "a", Rate: 10}]) != len(recs)/2 {
		t.Fatalf("groups %d: %v", len(g), keysOf(g))
	}
	if s := (Group{Profile: "a", Rate: 2.5}).String(); s != "a/rate=2.5" {
		t.Errorf("name %q", s)
	}
}

func keysOf(m map[Group][]*record.Record) []Group {
	var ks []Group
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
