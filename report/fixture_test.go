package report

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/hypobench/hypobench/internal/fakerun"
	"github.com/hypobench/hypobench/internal/testutil"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/stats"
	"github.com/hypobench/hypobench/verdict"
)

// fixtureDir is the fixed run directory the golden tests build from.
const fixtureDir = "testdata/run"

// fixtureProfile is one profile of the synthetic suite.
type fixtureProfile struct {
	name           string
	prompt, output int
}

var fixtureProfiles = []fixtureProfile{
	{"short_short", 40, 16}, {"short_long", 40, 256}, {"long_short", 1200, 16}, {"long_long", 1200, 256},
}

// genRun builds a synthetic run deterministically from seed: per profile and
// concurrency (1, 2, 4), perGroup requests whose TTFT grows with the prompt
// and the concurrency and whose E2E grows with the output. A few requests
// fail (timeout, connect) and a few short ones stop after one token, so
// every exclusion reason appears.
func genRun(seed uint64, perGroup int) ([]record.Record, []record.Phase) {
	var recs []record.Record
	phases := genRunTo(seed, perGroup, func(r *record.Record) { recs = append(recs, *r) })
	return recs, phases
}

// genRunTo is genRun handing each record to emit as it is made, so a
// benchmark can write a large run without holding it.
func genRunTo(seed uint64, perGroup int, emit func(*record.Record)) []record.Phase {
	rng := rand.New(rand.NewPCG(seed, 0))
	const base = int64(1_790_000_000_000_000_000)
	t := base
	var phases []record.Phase
	id := 0
	for _, conc := range []int{1, 2, 4} {
		for _, p := range fixtureProfiles {
			ph := record.Phase{Index: len(phases), Suite: "tiny", Profile: p.name, Concurrency: conc, Requests: perGroup, StartUnixNs: t, Status: "complete"}
			end := t
			for seq := range perGroup {
				id++
				pt := p.prompt + rng.IntN(p.prompt/4+1)
				ttft := 0.020 + 0.00005*float64(pt)*(1+0.3*float64(conc-1)) + 0.004*rng.ExpFloat64()
				tpot := 0.012 * (1 + 0.15*float64(conc-1)) * (1 + 0.1*rng.Float64())
				n := p.output - rng.IntN(p.output/8+1)
				if p.name == "short_short" && seq%7 == 3 {
					n = 1
				}
				r := record.Record{
					ID: record.RequestID(id), Profile: p.name, Concurrency: conc, RunID: "20261128T180000Z-tiny-abc123",
					Suite: "tiny", Phase: ph.Index, Seq: seq, PromptRep: pt / 10, MaxTokens: p.output, Endpoint: "completions",
					Model: "fixture-model", HTTPStatus: 200, FinishReason: "length", TokenSource: record.TokensFromUsage,
				}
				start := t + int64(seq/conc)*int64(0.4e9) + int64(seq%conc)*1_000_000
				r.StartUnixNs = start
				switch {
				case seq == 5 && conc == 2:
					r.ErrorClass, r.Error, r.HTTPStatus, r.Total = record.ClassTimeout, "request deadline exceeded", 200, 10
				case seq == 9 && p.name == "long_long":
					r.ErrorClass, r.Error, r.HTTPStatus, r.Total = record.ClassConnect, "dial tcp: connection refused", 0, 0.001
				default:
					r.PromptTokens, r.OutputTokens, r.OutputChunks = record.I(pt), record.I(n), n
					r.TTFT, r.TTFTText = record.F(round6(ttft)), record.F(round6(ttft+0.0005))
					e2e := ttft
					for k := 1; k < n; k++ {
						gap := round6(tpot * (0.8 + 0.4*rng.Float64()))
						r.ITL = append(r.ITL, gap)
						e2e += gap
					}
					r.E2E = record.F(round6(e2e))
					if n >= 2 {
						r.TPOT = record.F(round6((e2e - ttft) / float64(n-1)))
					}
					r.Total = round6(e2e + 0.0008)
					// The engine's stamps: the server's part of each
					// figure (all but fixtureOverhead) in simulated time.
					sim := func(w float64) *float64 { return record.F(round6((w - fixtureOverhead) * fixtureSpeed)) }
					r.SimTTFT, r.SimTTFTText, r.SimE2E = sim(*r.TTFT), sim(*r.TTFTText), sim(*r.E2E)
					for _, g := range r.ITL {
						r.SimITL = append(r.SimITL, round6(g*fixtureSpeed))
					}
				}
				r.EndUnixNs = start + int64(r.Total*1e9)
				end = max(end, r.EndUnixNs)
				emit(&r)
			}
			ph.EndUnixNs = end + 2_000_000
			phases = append(phases, ph)
			t = ph.EndUnixNs + 50_000_000
		}
	}
	return phases
}

// fixtureSpeed is the fixture's embedded engine speed, fixtureOverhead
// the client's share of each figure in wall-clock seconds.
const (
	fixtureSpeed    = 10
	fixtureOverhead = 0.0003
)

func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// fixtureVerdicts are the two verdicts of the fixture's hypotheses.jsonl.
func fixtureVerdicts() []verdict.Verdict {
	h1 := verdict.Verdict{ID: "H1", Claim: "TTFT grows with prompt length <at concurrency 1>", Outcome: verdict.Pass,
		Test: "Kendall τ-b, permutation p", P: verdict.P(0.0002), Alpha: 0.05, Unit: "ms/token", N: 48, Seed: 7,
		EffectCI: stats.CI{Lo: 0.041, Hi: 0.058, Level: 0.95}}
	h1.Effect = 0.05
	h2 := verdict.Verdict{ID: "H2", Claim: "E2E tracks max_tokens", Outcome: verdict.Inconclusive,
		Test: "Theil–Sen slope CI", Alpha: 0.05, Unit: "s/token", N: 24, Seed: 7, NeededN: 60,
		EffectCI: stats.CI{Lo: -0.001, Hi: 0.03, Level: 0.95}}
	h2.Effect = 0.012
	return []verdict.Verdict{h1, h2}
}

// writeFixture writes the synthetic run directory into dir.
func writeFixture(t testing.TB, dir string) {
	t.Helper()
	recs, phases := genRun(1, 12)
	fakerun.WriteJSONL(t, filepath.Join(dir, record.RequestsFile), recs)
	fakerun.WriteJSONL(t, filepath.Join(dir, record.PhasesFile), phases)
	fakerun.WriteJSONL(t, filepath.Join(dir, record.HypothesesFile), fixtureVerdicts())
	cfg := map[string]any{
		"run_id": "20261128T180000Z-tiny-abc123", "status": "complete",
		"started": "2026-11-28T18:00:00Z", "ended": "2026-11-28T18:01:00Z", "model": "fixture-model",
		"seed": uint64(18446744073709551557), "records": len(recs), "errors": 4,
		"suite": map[string]any{"name": "tiny", "endpoint": "completions", "concurrency": []int{1, 2, 4}, "requests": 12,
			"profiles": []map[string]any{{"name": "short_short", "prompt_rep": 4, "max_tokens": 16}, {"name": "long_long", "prompt_rep": 120, "max_tokens": 256}}},
		"client": map[string]any{"hostname": "fixture-host", "os": "linux", "arch": "amd64", "cpus": 2, "go": "go1.26"},
		"meta": map[string]any{"target": "embedded",
			"engine": map[string]any{"gpu": map[string]any{"name": "h200"}, "model": map[string]any{"name": "qwen2.5-7b"}, "speed": fixtureSpeed},
			"env":    map[string]any{"HYPOBENCH_API_KEY": "sk-must-not-show", "HYPOBENCH_SUITE": "tiny"}},
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, record.ConfigFile), append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// copyFixture copies the committed fixture run directory into a fresh
// temporary directory (rewriting it first under -update).
func copyFixture(t *testing.T) string {
	t.Helper()
	if testutil.Update() {
		if err := os.MkdirAll(fixtureDir, 0o755); err != nil {
			t.Fatal(err)
		}
		writeFixture(t, fixtureDir)
	}
	dir := t.TempDir()
	for _, name := range []string{record.RequestsFile, record.PhasesFile, record.ConfigFile, record.HypothesesFile} {
		b := testutil.Fixture(t, filepath.Join(fixtureDir, name))
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestFixtureIsCurrent checks that the committed fixture is what genRun
// produces, so the golden files describe the generator in this file.
func TestFixtureIsCurrent(t *testing.T) {
	dir := t.TempDir()
	writeFixture(t, dir)
	src := copyFixture(t)
	for _, name := range []string{record.RequestsFile, record.PhasesFile, record.ConfigFile} {
		want, _ := os.ReadFile(filepath.Join(dir, name))
		got, _ := os.ReadFile(filepath.Join(src, name))
		if string(want) != string(got) {
			t.Errorf("testdata/run/%s differs from genRun's output; run go test ./report -update", name)
		}
	}
	recs, _ := genRun(1, 12)
	if n := len(recs); n != 144 {
		t.Errorf("fixture has %d records, want 144", n)
	}
}
