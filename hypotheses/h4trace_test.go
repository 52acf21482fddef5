package hypotheses

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/hypobench/hypobench/kerneltrace"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/verdict"
)

// fixtureAnalysis cuts the committed kineto trace into its run's phases;
// uniform replaces every kernel's duration by one value first, keeping the
// schedule.
func fixtureAnalysis(t testing.TB, o kerneltrace.Options, uniform bool) kerneltrace.Analysis {
	t.Helper()
	tr, err := kerneltrace.Load(context.Background(), "../fixtures/traces/kineto.pt.trace.json.gz", kerneltrace.FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	phases, _, err := record.ReadPhases("../fixtures/traces/phases.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if uniform {
		for i := range tr.Events {
			tr.Events[i].Dur = 20 * time.Microsecond
		}
	}
	a, err := kerneltrace.Analyze(tr, phases, o)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestH4TraceFixture: the fixture's timeline has the H4 structure, so H4
// passes; the same schedule with uniform kernel durations must not pass.
func TestH4TraceFixture(t *testing.T) {
	t.Parallel()
	a := fixtureAnalysis(t, kerneltrace.Options{}, false)
	r := H4Trace(rand.New(rand.NewPCG(1, 2)), a, H4DefaultPrefill, H4DefaultDecode, 0, 1000, 0.05)
	if r.Outcome != verdict.Pass {
		t.Fatalf("H4 on the fixture: %s (%s)", r.Outcome, r.Reason)
	}
	if r.PrefillWindows != H4DefaultWindows || r.DecodeWindows != H4DefaultWindows {
		t.Errorf("windows %d/%d, want %d each", r.PrefillWindows, r.DecodeWindows, H4DefaultWindows)
	}
	if v := H4(r, 1); v.Outcome != verdict.Pass || len(v.Checks) != 2 {
		t.Errorf("verdict %s with %d checks, want pass with 2", v.Outcome, len(v.Checks))
	}

	u := fixtureAnalysis(t, kerneltrace.Options{}, true)
	ur := H4Trace(rand.New(rand.NewPCG(1, 2)), u, H4DefaultPrefill, H4DefaultDecode, 0, 1000, 0.05)
	if ur.Outcome == verdict.Pass || ur.LongShare.Outcome == verdict.Pass {
		t.Fatalf("H4 passed on uniform kernels: %s, long share %s (%s)", ur.Outcome, ur.LongShare.Outcome, ur.Reason)
	}
	if len(ur.Warnings) == 0 || !errors.Is(ur.Warnings[len(ur.Warnings)-1], ErrTrace) {
		t.Errorf("uniform kernels: warnings %v, want the no-split warning wrapping ErrTrace", ur.Warnings)
	}
}

// TestH4TraceOutcomes: swapping the profiles turns the fixture's pass into
// a fail; too coarse windows or a missing profile are inconclusive; the
// same seed gives the same intervals; the point estimates are the pooled
// phase statistics.
func TestH4TraceOutcomes(t *testing.T) {
	t.Parallel()
	a := fixtureAnalysis(t, kerneltrace.Options{}, false)
	rng := func() *rand.Rand { return rand.New(rand.NewPCG(3, 4)) }
	if r := H4Trace(rng(), a, H4DefaultDecode, H4DefaultPrefill, 0, 500, 0.05); r.Outcome != verdict.Fail ||
		r.LongShare.Outcome != verdict.Fail || r.ShortDensity.Outcome != verdict.Fail {
		t.Errorf("swapped profiles: %s (%s)", r.Outcome, r.Reason)
	}
	var longest time.Duration
	byProfile := map[string]kerneltrace.PhaseStats{}
	for _, p := range a.Phases {
		longest = max(longest, time.Duration(p.End-p.Start))
		byProfile[p.Profile] = p
	}
	coarse := longest/(H4MinWindows-1) + 1
	if r := H4Trace(rng(), a, H4DefaultPrefill, H4DefaultDecode, coarse, 500, 0.05); r.Outcome != verdict.Inconclusive || r.PrefillWindows >= H4MinWindows {
		t.Errorf("windows of %v: %s, %d windows", coarse, r.Outcome, r.PrefillWindows)
	}
	if r := H4Trace(rng(), a, "huge_prompt", H4DefaultDecode, 0, 500, 0.05); r.Outcome != verdict.Inconclusive {
		t.Errorf("missing profile: %s", r.Outcome)
	}
	r1 := H4Trace(rng(), a, H4DefaultPrefill, H4DefaultDecode, 0, 500, 0.05)
	r2 := H4Trace(rng(), a, H4DefaultPrefill, H4DefaultDecode, 0, 500, 0.05)
	if r1.LongShare.DiffCI != r2.LongShare.DiffCI {
		t.Errorf("same seed, different CIs: %v %v", r1.LongShare.DiffCI, r2.LongShare.DiffCI)
	}
	if p, d := byProfile[H4DefaultPrefill], byProfile[H4DefaultDecode]; r1.LongShare.Prefill != p.LongShare || math.Abs(r1.ShortDensity.Decode/d.ShortDensity-1) > 1e-12 {
		t.Errorf("point estimates %v %v differ from the phase statistics %v %v",
			r1.LongShare.Prefill, r1.ShortDensity.Decode, p.LongShare, d.ShortDensity)
	}
}

// TestH4TraceJSON: a result with a ratio over zero and NaN intervals still
// encodes, with nulls.
func TestH4TraceJSON(t *testing.T) {
	t.Parallel()
	a := fixtureAnalysis(t, kerneltrace.Options{Threshold: time.Hour}, false)
	r := H4Trace(rand.New(rand.NewPCG(1, 1)), a, H4DefaultPrefill, H4DefaultDecode, 0, 200, 0.05)
	if r.LongShare.Outcome != verdict.Fail {
		t.Errorf("no long kernels anywhere: long-share claim %s, want fail", r.LongShare.Outcome)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"ratio":null`) || !strings.Contains(string(b), `"outcome":"fail"`) {
		t.Errorf("JSON %s", b)
	}
}

// BenchmarkH4Trace measures H4Trace (B = 2000) on the fixture's analysis.
func BenchmarkH4Trace(b *testing.B) {
	a := fixtureAnalysis(b, kerneltrace.Options{}, false)
	b.ReportAllocs()
	for b.Loop() {
		if r := H4Trace(rand.New(rand.NewPCG(1, 2)), a, H4DefaultPrefill, H4DefaultDecode, 0, 2000, 0.05); r.Outcome != verdict.Pass {
			b.Fatal(r.Reason)
		}
	}
}
