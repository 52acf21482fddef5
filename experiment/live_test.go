package experiment_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/experiment"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/run"
	"github.com/hypobench/hypobench/verdict"
	"github.com/hypobench/hypobench/verdict/verdicttest"
)

// TestTwoEngines runs an A/B of two embedded engines — the default one and
// one whose prefill costs a single token's time (FlatPrefill) — one run
// per arm and round, and checks the mechanics a user relies on: every
// round is in both groups, the verdict is written to the session's
// hypotheses.md with its design and data directory, and a second Run of
// the design is the first one.
func TestTwoEngines(t *testing.T) {
	s := experiment.Open(t)
	flat := experiment.DefaultEngine()
	flat.Knobs.FlatPrefill = true
	d := experiment.AB{Name: "two-engines", Rounds: 4, Requests: 4,
		A: experiment.Arm{Label: "sound", Request: experiment.Request{PromptRep: 800, MaxTokens: 1}, Target: experiment.Embedded(experiment.DefaultEngine())},
		B: experiment.Arm{Label: "flat", Request: experiment.Request{PromptRep: 800, MaxTokens: 1}, Target: experiment.Embedded(flat)}}
	r := s.Run(t, d)
	if again := s.Run(t, d); again != r {
		t.Errorf("a second Run of the design ran it again")
	}
	if len(r.Runs) != 8 {
		t.Errorf("%d runs, want one per arm and round (8)", len(r.Runs))
	}
	for _, g := range r.Groups {
		rounds := map[int]int{}
		for _, rec := range g.Records {
			rounds[rec.Round]++
		}
		if len(rounds) != 4 || rounds[1] != 4 || rounds[4] != 4 {
			t.Errorf("group %s: requests per round %v, want 4 in each of rounds 1–4", g.Label, rounds)
		}
	}
	// Prefill of 800 tokens on the modelled RTX 4090 costs several times
	// one token's step: the sound engine's TTFT is far above the flat one's.
	v := r.Verdict("two-engines", "prefill costs time on the sound engine", experiment.Ratio(experiment.Median(experiment.TTFT), "sound", "flat").Above(2))
	verdicttest.Report(t, r.SessionDir, v)
	md, err := os.ReadFile(filepath.Join(r.SessionDir, "hypotheses.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"two-engines pass", "Design: A/B sound", "data: `two-engines`", "simulated time: rtx4090"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("hypotheses.md lacks %q", want)
		}
	}
	if v.Outcome != verdict.Pass {
		t.Logf("verdict %s", v.Outcome)
	}
}

// TestRateLadder runs a small open-loop rate ladder and checks that its
// records fall into one group per rate in every round, with TTFT from due
// defined.
func TestRateLadder(t *testing.T) {
	s := experiment.Open(t)
	r := s.Run(t, experiment.Ladder{Name: "rates", Over: experiment.Rate, Levels: []float64{5, 20}, Requests: 4, Rounds: 3,
		Request: experiment.Request{PromptRep: 40, MaxTokens: 4}})
	for _, g := range r.Groups {
		if len(g.Records) != 12 {
			t.Errorf("%s: %d records, want 4 × 3 rounds", g.Label, len(g.Records))
		}
		for _, rec := range g.Records {
			if _, ok := experiment.TTFTFromDue.Value(&rec); !ok || rec.Round < 1 {
				t.Errorf("%s: record %s without TTFT from due or round (%d)", g.Label, rec.ID, rec.Round)
				break
			}
		}
	}
	// A light load at either rate: the p90 TTFT from due is far below 1 s.
	v := r.Verdict("rates-slo", "p90 TTFT from due stays below 1 s", experiment.SLO(experiment.Quantile(experiment.TTFTFromDue, 0.9), 1))
	verdicttest.Report(t, r.SessionDir, v)
}

// TestClientLimitedRunsAreMeasuredAgain makes the client's check flag
// every run (a scheduler-lag threshold of 1 ns): each run is measured
// 1 + DefaultClientRetries times, the flagged attempts are kept beside
// it, and the verdict is inconclusive and says why.
func TestClientLimitedRunsAreMeasuredAgain(t *testing.T) {
	env, err := run.LoadEnv()
	if err != nil {
		t.Fatal(err)
	}
	env.Target, env.Out = "", t.TempDir()
	s := experiment.NewSession(env)
	strict := run.DefaultSelfCheck
	strict.LagFloor, strict.LagShare = time.Nanosecond, 1e-9
	s.SelfCheck = &strict
	r := s.Run(t, experiment.Ladder{Name: "flagged", Over: experiment.MaxTokens, Levels: []float64{1, 2, 4}, Requests: 1, Rounds: 3})
	for k := 1; k <= experiment.DefaultClientRetries; k++ {
		if _, err := os.Stat(fmt.Sprintf("%s.client-limited-%d", r.Dir, k)); err != nil {
			t.Errorf("attempt %d not kept: %v", k, err)
		}
	}
	v := r.Verdict("flagged", "E2E rises with max_tokens", experiment.Elasticity(experiment.Median(experiment.E2E)).Above(0))
	if v.Outcome != verdict.Inconclusive || len(v.Info) < experiment.DefaultClientRetries+1 {
		t.Errorf("verdict %s, info %q: want inconclusive, naming each attempt measured again", v.Outcome, v.Info)
	}
	// The written verdict is judged on the run directory's own config too.
	if err := verdict.Append(r.SessionDir, v); err != nil {
		t.Fatal(err)
	}
	if vs, _, _ := verdict.Read(r.SessionDir); len(vs) != 1 || vs[0].Outcome != verdict.Inconclusive {
		t.Errorf("written: %+v", vs)
	}
}

// TestFinishStampsAnAnalysisVerdict: a verdict made by one's own analysis
// of a session's runs gets the design, target, time base, data directory
// and the runs' notes, and the client check of every run.
func TestFinishStampsAnAnalysisVerdict(t *testing.T) {
	env, err := run.LoadEnv()
	if err != nil {
		t.Fatal(err)
	}
	env.Out = t.TempDir()
	s := experiment.NewSession(env)
	dir, err := s.Dir()
	if err != nil {
		t.Fatal(err)
	}
	clean := &experiment.Run{Dir: filepath.Join(dir, "H1"), Target: "embedded engine X", Time: "simulated time: …", Notes: []string{"sized to 3 rounds"}}
	v := s.Finish(verdict.Verdict{ID: "H1", Outcome: verdict.Pass}, "prompt ladder", clean)
	if v.RunDir != "H1" || v.Design != "prompt ladder" || v.Target != "embedded engine X" || v.Time == "" || len(v.Info) != 1 || v.Outcome != verdict.Pass {
		t.Errorf("stamped %+v", v)
	}
	limited := &experiment.Run{Dir: filepath.Join(dir, "H1b"), Config: &record.RunConfig{ClientCheck: &record.ClientCheck{
		Reasons: []record.ClientReason{{Code: record.ReasonCPU, Detail: "busy"}}}}}
	if v := s.Finish(verdict.Verdict{ID: "H1", Outcome: verdict.Fail}, "d", clean, limited); v.Outcome != verdict.Inconclusive {
		t.Errorf("a client-limited second run left %s", v.Outcome)
	}
}

// TestServerTarget runs one arm against a server given by URL (an embedded
// engine started here, standing for a second build) and the other against
// the session's embedded engine: both arms measure, and the verdict names
// both targets. A server given by URL has no simulated time base, so the
// design is compared on the wall clock — same engine, same speed: the
// arms are equivalent (in mixed time bases the candidate would look 5×
// faster and the check would fail). Both run in real time (speed 1), so a
// TTFT of ~130 ms stands far above the scheduling noise of a loaded
// machine running other packages' tests (at speed 5 a 26 ms wall-clock
// TTFT gave an interval of [0.98, 1.12] there), and the margin is ±20%:
// still four times closer than the 5× a mixed time base would show.
func TestServerTarget(t *testing.T) {
	cfg := experiment.DefaultEngine()
	cfg.Speed = 1
	srv, err := engine.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	env, err := run.LoadEnv()
	if err != nil {
		t.Fatal(err)
	}
	env.Target, env.Out, env.Speed = "", t.TempDir(), 1
	s := experiment.NewSession(env)
	q := experiment.Request{PromptRep: 500, MaxTokens: 1}
	r := s.Run(t, experiment.AB{Name: "by-url", Requests: 6, Rounds: 4,
		A: experiment.Arm{Label: "candidate", Request: q, Target: experiment.Server(srv.URL())},
		B: experiment.Arm{Label: "baseline", Request: q}})
	for _, g := range r.Groups {
		if len(g.Records) != 24 {
			t.Errorf("%s: %d records, want 24", g.Label, len(g.Records))
		}
	}
	if !r.WallClock {
		t.Errorf("a design mixing an embedded engine and a server is not compared on the wall clock")
	}
	v := r.Verdict("by-url", "the two servers are equally fast", experiment.Ratio(experiment.Median(experiment.TTFT), "candidate", "baseline").Within(0.2))
	if !strings.HasPrefix(v.Time, "wall clock") {
		t.Errorf("verdict time %q", v.Time)
	}
	if !strings.Contains(v.Target, srv.URL()) || !strings.Contains(v.Target, "embedded engine") {
		t.Errorf("verdict target %q does not name both servers", v.Target)
	}
	verdicttest.Report(t, r.SessionDir, v)
}
