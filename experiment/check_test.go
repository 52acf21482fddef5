package experiment

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/verdict"
)

// synth builds a result whose group g has, in each of rounds rounds, n
// requests with TTFT level[g] × exp(noise) × roundEffect, noise a seeded
// normal of sd sigma: the per-round ratio a/b is level[a]/level[b] up to
// noise.
func synth(levels map[string]float64, order []string, rounds, n int, sigma float64, seed uint64) *Result {
	rng := rand.New(rand.NewPCG(seed, 7))
	r := &Result{Name: "synth"}
	for i, label := range order {
		r.Groups = append(r.Groups, Group{Label: label, X: float64(i + 1)})
	}
	for k := 1; k <= rounds; k++ {
		day := math.Exp(rng.NormFloat64() * 0.1) // shared by every group of a round
		for i, label := range order {
			for range n {
				v := levels[label] * day * math.Exp(rng.NormFloat64()*sigma)
				r.Groups[i].Records = append(r.Groups[i].Records, record.Record{TTFT: record.F(v), Round: k})
			}
		}
	}
	return r
}

func outcome(t *testing.T, c Check, r *Result) verdict.Outcome {
	t.Helper()
	cs := c.Decide(r, DefaultOptions)
	return verdict.Combine(func() []verdict.Outcome {
		var os []verdict.Outcome
		for _, x := range cs {
			os = append(os, x.Outcome)
		}
		return os
	}()...)
}

func TestComparisonChecks(t *testing.T) {
	t.Parallel()
	ttft := Median(TTFT)
	for _, tc := range []struct {
		name   string
		a, b   float64
		rounds int
		sigma  float64
		check  func() Check
		want   verdict.Outcome
	}{
		{"half below 0.6", 0.5, 1, 5, 0.02, func() Check { return Ratio(ttft, "a", "b").Below(0.6) }, verdict.Pass},
		{"equal below 0.6", 1, 1, 5, 0.02, func() Check { return Ratio(ttft, "a", "b").Below(0.6) }, verdict.Fail},
		{"at the bound below 0.6", 0.6, 1, 5, 0.3, func() Check { return Ratio(ttft, "a", "b").Below(0.6) }, verdict.Inconclusive},
		{"double above 1.5", 2, 1, 5, 0.02, func() Check { return Ratio(ttft, "a", "b").Above(1.5) }, verdict.Pass},
		{"equal above 1.5", 1, 1, 5, 0.02, func() Check { return Ratio(ttft, "a", "b").Above(1.5) }, verdict.Fail},
		{"equal within 10%", 1, 1, 5, 0.01, func() Check { return Ratio(ttft, "a", "b").Within(0.1) }, verdict.Pass},
		{"30% off within 10%", 1.3, 1, 5, 0.01, func() Check { return Ratio(ttft, "a", "b").Within(0.1) }, verdict.Fail},
		{"30% faster within 10%", 1 / 1.3, 1, 5, 0.01, func() Check { return Ratio(ttft, "a", "b").Within(0.1) }, verdict.Fail},
		{"10% off within 10%, noisy", 1.1, 1, 5, 0.1, func() Check { return Ratio(ttft, "a", "b").Within(0.1) }, verdict.Inconclusive},
		{"equal non-inferior 5%", 1, 1, 5, 0.005, func() Check { return Ratio(ttft, "a", "b").NonInferior(0.05) }, verdict.Pass},
		{"faster non-inferior 5%", 0.8, 1, 5, 0.005, func() Check { return Ratio(ttft, "a", "b").NonInferior(0.05) }, verdict.Pass},
		{"20% slower non-inferior 5%", 1.2, 1, 5, 0.005, func() Check { return Ratio(ttft, "a", "b").NonInferior(0.05) }, verdict.Fail},
		{"two rounds", 0.5, 1, 2, 0.01, func() Check { return Ratio(ttft, "a", "b").Below(0.6) }, verdict.Inconclusive},
		{"difference below", 1.0, 1.02, 5, 0.001, func() Check { return Difference(ttft, "a", "b").Below(0) }, verdict.Pass},
		{"difference within", 1.0, 1.001, 5, 0.001, func() Check { return Difference(ttft, "a", "b").Within(0.01) }, verdict.Pass},
		{"difference above, wrong side", 1.0, 1.1, 5, 0.001, func() Check { return Difference(ttft, "a", "b").Above(0) }, verdict.Fail},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := synth(map[string]float64{"a": tc.a, "b": tc.b}, []string{"a", "b"}, tc.rounds, 6, tc.sigma, 1)
			if got := outcome(t, tc.check(), r); got != tc.want {
				t.Errorf("outcome %s, want %s: %+v", got, tc.want, tc.check().Decide(r, DefaultOptions))
			}
		})
	}
}

func TestInconclusiveSaysWhatWouldDecide(t *testing.T) {
	t.Parallel()
	r := synth(map[string]float64{"a": 0.55, "b": 1}, []string{"a", "b"}, 4, 5, 0.3, 3)
	cs := Ratio(Median(TTFT), "a", "b").Below(0.6).Decide(r, DefaultOptions)
	if cs[0].Outcome != verdict.Inconclusive || cs[0].NeededN <= 5*4 {
		t.Errorf("%s, needed %d: want inconclusive asking for more than the 20 requests per group it had", cs[0].Outcome, cs[0].NeededN)
	}
}

func TestUnknownGroupIsInconclusive(t *testing.T) {
	t.Parallel()
	r := synth(map[string]float64{"a": 0.5, "b": 1}, []string{"a", "b"}, 5, 4, 0.01, 1)
	if got := outcome(t, Ratio(Median(TTFT), "a", "typo").Below(0.6), r); got != verdict.Inconclusive {
		t.Errorf("a group that does not exist gave %s", got)
	}
}

func TestSLO(t *testing.T) {
	t.Parallel()
	levels := map[string]float64{"c=1": 0.05, "c=2": 0.06, "c=4": 0.08, "c=8": 0.4}
	order := []string{"c=1", "c=2", "c=4", "c=8"}
	r := synth(levels, order, 5, 8, 0.05, 2)
	for i, x := range []float64{1, 2, 4, 8} {
		r.Groups[i].X = x
	}
	p90 := Quantile(TTFT, 0.9)
	if got := outcome(t, SLO(p90, 0.2).UpTo(4), r); got != verdict.Pass {
		t.Errorf("SLO 0.2 s up to c=4: %s, want pass", got)
	}
	if got := outcome(t, SLO(p90, 0.2), r); got != verdict.Fail {
		t.Errorf("SLO 0.2 s at every level (c=8 at 0.4 s): %s, want fail", got)
	}
	if n := len(SLO(p90, 0.2).UpTo(4).Decide(r, DefaultOptions)); n != 3 {
		t.Errorf("SLO up to c=4 made %d checks, want one per level (3)", n)
	}
	if got := outcome(t, SLO(p90, 0.2).UpTo(0.5), r); got != verdict.Inconclusive {
		t.Errorf("SLO below every level: %s, want inconclusive", got)
	}
}

func TestTrendAndElasticity(t *testing.T) {
	t.Parallel()
	order := []string{"1", "2", "4", "8"}
	rising := synth(map[string]float64{"1": 1, "2": 2, "4": 4, "8": 8}, order, 4, 4, 0.05, 4)
	flat := synth(map[string]float64{"1": 1, "2": 1, "4": 1, "8": 1}, order, 4, 4, 0.05, 4)
	falling := synth(map[string]float64{"1": 8, "2": 4, "4": 2, "8": 1}, order, 4, 4, 0.05, 4)
	for _, r := range []*Result{rising, flat, falling} {
		for i, x := range []float64{1, 2, 4, 8} {
			r.Groups[i].X = x
		}
	}
	for _, tc := range []struct {
		name string
		c    Check
		r    *Result
		want verdict.Outcome
	}{
		{"rising trend", Trend(TTFT, Rising), rising, verdict.Pass},
		{"falling data, rising claim", Trend(TTFT, Rising), falling, verdict.Fail},
		{"falling trend", Trend(TTFT, Falling), falling, verdict.Pass},
		{"linear growth above 0.5", Elasticity(Median(TTFT)).Above(0.5), rising, verdict.Pass},
		{"linear growth below 0.5", Elasticity(Median(TTFT)).Below(0.5), rising, verdict.Fail},
		{"flat above 0.5", Elasticity(Median(TTFT)).Above(0.5), flat, verdict.Fail},
		{"flat below 0.5", Elasticity(Median(TTFT)).Below(0.5), flat, verdict.Pass},
	} {
		if got := outcome(t, tc.c, tc.r); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestVerdictCombinesAndFlagsFailures(t *testing.T) {
	t.Parallel()
	r := synth(map[string]float64{"a": 0.5, "b": 1}, []string{"a", "b"}, 5, 4, 0.01, 1)
	r.Groups[0].Records = append(r.Groups[0].Records, record.Record{Round: 1, ErrorClass: "server_error"})
	v := r.Verdict("X", "a is half of b", Ratio(Median(TTFT), "a", "b").Below(0.6), Ratio(Median(TTFT), "a", "b").Above(0.55))
	if v.Outcome != verdict.Fail || len(v.Checks) != 2 {
		t.Errorf("pass + fail gave %s with %d checks", v.Outcome, len(v.Checks))
	}
	if len(v.Warnings) != 1 || len(v.Evidence) != 2 || v.Evidence[0].N != 20 {
		t.Errorf("warnings %v, evidence %+v: want the failed request excluded and counted", v.Warnings, v.Evidence)
	}
	limited := &record.RunConfig{ClientCheck: &record.ClientCheck{Reasons: []record.ClientReason{{Code: record.ReasonSendLag, Detail: "late"}}}}
	r.Runs = []*Run{{Config: &record.RunConfig{}}, {Config: limited}}
	if v := r.Verdict("X", "a is half of b", Ratio(Median(TTFT), "a", "b").Below(0.6)); v.Outcome != verdict.Inconclusive {
		t.Errorf("a client-limited run left the verdict %s", v.Outcome)
	}
}
