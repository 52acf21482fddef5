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
	return fixtureAnalysisNamed(t, o, uniform, false)
}

// fixtureAnalysisNamed is fixtureAnalysis with, when anonymous, every
// kernel renamed to one name that classifies as nothing.
func fixtureAnalysisNamed(t testing.TB, o kerneltrace.Options, uniform, anonymous bool) kerneltrace.Analysis {
	t.Helper()
	tr, err := kerneltrace.Load(context.Background(), "../fixtures/traces/kineto.pt.trace.json.gz", kerneltrace.FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	phases, _, err := record.ReadPhases("../fixtures/traces/phases.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	for i := range tr.Events {
		if uniform {
			tr.Events[i].Dur = 20 * time.Microsecond
		}
		if anonymous {
			tr.Events[i].Name = "kernel_0x1f"
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
	if r.Split.Method != H4ByName || r.PrefillBlock != 3 || r.DecodeBlock != 3 {
		t.Errorf("split %+v, blocks %d/%d: want the split by name and blocks of 3", r.Split, r.PrefillBlock, r.DecodeBlock)
	}
	if v := H4(r, 1); v.Outcome != verdict.Pass || len(v.Checks) != 2 {
		t.Errorf("verdict %s with %d checks, want pass with 2", v.Outcome, len(v.Checks))
	}

	// Uniform kernels: both claims fail, not merely inconclusive.
	u := fixtureAnalysis(t, kerneltrace.Options{}, true)
	ur := H4Trace(rand.New(rand.NewPCG(1, 2)), u, H4DefaultPrefill, H4DefaultDecode, 0, 1000, 0.05)
	if ur.Outcome != verdict.Fail || ur.LongBlocks.Outcome != verdict.Fail || ur.ShortDensity.Outcome != verdict.Fail {
		t.Fatalf("H4 on uniform kernels: %s, long blocks %s, density %s (%s); want fail on both", ur.Outcome, ur.LongBlocks.Outcome, ur.ShortDensity.Outcome, ur.Reason)
	}

	// Anonymous names: the duration split, stated, still passes; with
	// uniform durations too there is no split at all.
	n := fixtureAnalysisNamed(t, kerneltrace.Options{}, false, true)
	nr := H4Trace(rand.New(rand.NewPCG(1, 2)), n, H4DefaultPrefill, H4DefaultDecode, 0, 1000, 0.05)
	if nr.Split.Method != H4ByDuration || nr.Split.Threshold.Value != n.Threshold.Value || nr.Outcome != verdict.Pass {
		t.Errorf("anonymous kernels: split %+v, %s (%s); want the duration split at %v and a pass", nr.Split, nr.Outcome, nr.Reason, n.Threshold.Value)
	}
	if v := H4(nr, 1); !strings.Contains(strings.Join(v.Info, "\n"), "duration split, threshold otsu-log10") {
		t.Errorf("the verdict does not state the duration split: %q", v.Info)
	}
	nu := fixtureAnalysisNamed(t, kerneltrace.Options{}, true, true)
	nur := H4Trace(rand.New(rand.NewPCG(1, 2)), nu, H4DefaultPrefill, H4DefaultDecode, 0, 1000, 0.05)
	if nur.Outcome == verdict.Pass || len(nur.Warnings) == 0 || !errors.Is(nur.Warnings[len(nur.Warnings)-1], ErrTrace) {
		t.Errorf("anonymous uniform kernels: %s, warnings %v; want no pass and the no-split warning wrapping ErrTrace", nur.Outcome, nur.Warnings)
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
		r.LongBlocks.Outcome != verdict.Fail || r.ShortDensity.Outcome != verdict.Fail {
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
	if r1.LongBlocks.RatioCI != r2.LongBlocks.RatioCI {
		t.Errorf("same seed, different CIs: %v %v", r1.LongBlocks.RatioCI, r2.LongBlocks.RatioCI)
	}
	// The point estimates are the pooled phase values, recomputed here
	// from the events.
	pooled := func(p kerneltrace.PhaseStats) (block, density float64) {
		var lt, ln, sn, kt float64
		for _, e := range p.Events {
			kt += float64(e.Dur)
			switch kerneltrace.Classify(e.Name) {
			case kerneltrace.ClassGEMM, kerneltrace.ClassAttention:
				lt += float64(e.Dur)
				ln++
			case kerneltrace.ClassElementwise:
				sn++
			}
		}
		return lt / ln, sn / (kt / 1e6)
	}
	pb, pd := pooled(byProfile[H4DefaultPrefill])
	db, dd := pooled(byProfile[H4DefaultDecode])
	for _, c := range []struct{ got, want float64 }{{r1.LongBlocks.Prefill, pb}, {r1.LongBlocks.Decode, db}, {r1.ShortDensity.Prefill, pd}, {r1.ShortDensity.Decode, dd}} {
		if math.Abs(c.got/c.want-1) > 1e-12 {
			t.Errorf("point estimate %v, pooled phase value %v", c.got, c.want)
		}
	}
}

// TestH4TraceJSON: a result with no long block (a stated threshold above
// every anonymous kernel) has NaN means and intervals; it is inconclusive
// on that claim and still encodes, with nulls.
func TestH4TraceJSON(t *testing.T) {
	t.Parallel()
	a := fixtureAnalysisNamed(t, kerneltrace.Options{Threshold: time.Hour}, false, true)
	r := H4Trace(rand.New(rand.NewPCG(1, 1)), a, H4DefaultPrefill, H4DefaultDecode, 0, 200, 0.05)
	if r.LongBlocks.Outcome != verdict.Inconclusive || r.Outcome == verdict.Pass {
		t.Errorf("no long kernels anywhere: long-blocks claim %s, H4 %s; want inconclusive and no pass", r.LongBlocks.Outcome, r.Outcome)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"ratio":null`) || !strings.Contains(string(b), `"method":"duration"`) {
		t.Errorf("JSON %s", b)
	}
}

// TestCircularBlocks: every resample is n indices made of runs of L
// consecutive windows (wrapping at n), each run but the last whole.
func TestCircularBlocks(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []struct{ n, L int }{{20, 3}, {7, 1}, {5, 5}, {10, 4}} {
		idx := make([]int, tc.n)
		seen := map[int]bool{}
		for range 200 {
			circularBlocks(rng, idx, tc.L)
			for i := range idx {
				if idx[i] < 0 || idx[i] >= tc.n {
					t.Fatalf("n=%d L=%d: index %d", tc.n, tc.L, idx[i])
				}
				if i%tc.L != 0 && idx[i] != (idx[i-1]+1)%tc.n {
					t.Fatalf("n=%d L=%d: %v breaks a block at %d", tc.n, tc.L, idx, i)
				}
				seen[idx[i]] = true
			}
		}
		if len(seen) != tc.n {
			t.Errorf("n=%d L=%d: only %d windows ever drawn", tc.n, tc.L, len(seen))
		}
	}
	for n, want := range map[int]int{1: 1, 8: 2, 9: 3, 20: 3, 27: 3, 28: 4, 40: 4} {
		if got := H4BlockLength(n); got != want {
			t.Errorf("H4BlockLength(%d) = %d, want %d", n, got, want)
		}
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
