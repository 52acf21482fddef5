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
		for range n {
			tok := r + 5
			ttft := (base + slope*float64(tok)) * math.Exp(noise*rng.NormFloat64())
			recs = append(recs, record.Record{Profile: "p", Concurrency: 1, PromptRep: r, MaxTokens: 1, PromptTokens: record.I(tok),
				OutputTokens: record.I(1), TTFT: record.F(ttft), E2E: record.F(ttft), Total: ttft})
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
		for range n {
			ttft := 0.02 * math.Exp(0.05*rng.NormFloat64())
			tp := tpot * math.Exp(0.03*rng.NormFloat64())
			e2e := ttft + float64(m-1)*tp
			r := record.Record{Concurrency: c, PromptRep: 40, MaxTokens: m, OutputTokens: record.I(m), TTFT: record.F(ttft), E2E: record.F(e2e), Total: e2e}
			if m >= 2 {
				r.TPOT = record.F(tp)
			}
			recs = append(recs, r)
		}
	}
	return recs
}

func TestH2AndH3Outcomes(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 1))
	lad := synthOutputs(rng, []int{1, 8, 64, 256, 512}, 6, 0.02, 1)
	var conc, concCB []record.Record
	for _, c := range []int{1, 2, 4, 8, 16} {
		conc = append(conc, synthOutputs(rng, []int{128}, 8, 0.02*(1+0.01*float64(c)), c)...)
		concCB = append(concCB, synthOutputs(rng, []int{128}, 8, 0.02*float64(c), c)...)
	}
	v := H2(lad, conc, Options{Seed: 1})
	if v.Outcome != verdict.Pass {
		t.Errorf("H2 on a decode-bound server: %s", verdict.Summary(v))
	}
	if v.Info[0] != "TPOT is undefined for 6 of 30 requests with fewer than 2 output tokens: excluded and counted, never averaged in" {
		t.Errorf("the N<2 exclusion is not reported: %q", v.Info[0])
	}
	flat := synthOutputs(rng, []int{1, 8, 64, 256, 512}, 6, 1e-6, 1)
	if v := H2(flat, conc, Options{Seed: 1}); v.Outcome != verdict.Fail {
		t.Errorf("H2 on a server whose decode is free: %s", verdict.Summary(v))
	}
	if v := H3(conc, nil, Options{Seed: 1}); v.Outcome != verdict.Pass {
		t.Errorf("H3 on a memory-bound decode: %s", verdict.Summary(v))
	}
	if v := H3(concCB, nil, Options{Seed: 1}); v.Outcome != verdict.Fail {
		t.Errorf("H3 on a compute-bound decode: %s", verdict.Summary(v))
	}
	if v := H3(conc[:16], nil, Options{Seed: 1}); v.Outcome != verdict.Inconclusive {
		t.Errorf("H3 on two levels: %s", verdict.Summary(v))
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
