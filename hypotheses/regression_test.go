package hypotheses

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hypobench/hypobench/compare"
	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/verdict/verdicttest"
	"github.com/hypobench/hypobench/workload"
)

// Variables read by TestRegression besides the harness's HYPOBENCH_*.
const (
	baselineEnv = "HYPOBENCH_BASELINE" // a baseline run directory, requests.jsonl, or directory of rounds
	budgetEnv   = "HYPOBENCH_BUDGET"   // allowed regression, "5%" by default; a duration is a time budget instead (run.Env.Budget)
	roundsEnv   = "HYPOBENCH_ROUNDS"   // rounds per side, 4 by default
)

// defaultRegressionRounds is TestRegression's rounds per side.
const defaultRegressionRounds = 4

// TestRegression is the baseline gate as a test: when HYPOBENCH_BASELINE
// names a baseline run (see reports/baselines/README.md), it runs the
// baseline's suite — read from its config.json, HYPOBENCH_SUITE when the
// config has none; HYPOBENCH_REQUESTS and HYPOBENCH_CONCURRENCY apply — in
// HYPOBENCH_ROUNDS rounds (4) and gates the result with package compare:
// per profile × concurrency, median and p90 of TTFT, TPOT and E2E must not
// be slower than the baseline by more than HYPOBENCH_BUDGET (5%; a
// duration there is the designs' time budget and leaves 5%). A fail
// verdict fails the test; inconclusive does too unless
// HYPOBENCH_ACCEPT_INCONCLUSIVE=1.
//
// Rounds are what let the gate see run-to-run variation (one run per side
// cannot decide: see compare.SingleRound). When the baseline ran on the
// embedded engine, its engine is started again and the rounds are
// interleaved, counterbalanced — baseline engine, current target; current
// target, baseline engine; … — and gated as pairs (compare.Interleaved),
// so a round's machine state cancels; the stored baseline supplies the
// suite and the engine. The current target is HYPOBENCH_TARGET, else the
// embedded engine with the baseline's GPU:model profile and speed unless
// HYPOBENCH_ENGINE or HYPOBENCH_SPEED say otherwise. When the baseline ran
// on a server that cannot be started here, the current target runs its
// rounds and is gated against the stored runs (compare.Unpaired: a single
// stored run is taken to vary from run to run as the new rounds do). Any
// difference in machine or target is logged as a WARNING and written into
// the verdict.
func TestRegression(t *testing.T) {
	path := os.Getenv(baselineEnv)
	if path == "" {
		t.Skip("HYPOBENCH_BASELINE is not set: no baseline to compare against")
	}
	stored, err := compare.Load(abs(path))
	if err != nil {
		t.Fatalf("loading the baseline: %v", err)
	}
	suite, err := regressionSuite(stored)
	if err != nil {
		t.Fatalf("%s: %v", baselineEnv, err)
	}
	o := compare.Options{Seed: opts().Seed, SeedSet: true}
	if v := os.Getenv(budgetEnv); v != "" && sess.env.Budget == 0 {
		if o.Budget, err = compare.ParseBudget(v); err != nil {
			t.Fatalf("%s: %v", budgetEnv, err)
		}
	}
	rounds := defaultRegressionRounds
	if v := os.Getenv(roundsEnv); v != "" {
		if rounds, err = strconv.Atoi(v); err != nil || rounds < 1 {
			t.Fatalf("%s=%q: want a positive number of rounds", roundsEnv, v)
		}
	}
	baseEngine := storedEngine(stored)
	newEngine := regressionEngine(stored)
	var runs []designRun
	for r := 1; r <= rounds; r++ {
		sides := []string{"A", "B"}
		if r%2 == 0 {
			sides = []string{"B", "A"}
		}
		for _, side := range sides {
			if side == "A" && baseEngine == nil {
				continue
			}
			ec := newEngine
			if side == "A" {
				ec = baseEngine
			}
			runs = append(runs, runDesign(t, fmt.Sprintf("regression/%s/%s-r%02d", side, side, r), suite, ec))
		}
	}
	newDir := filepath.Join(sessionDir(t), "regression", "B")
	base := stored
	how := fmt.Sprintf("%d rounds of the current target against the stored baseline %s (unpaired: the baseline's server cannot be started here, so drift between its session and this one is not cancelled)", rounds, path)
	if baseEngine != nil {
		if base, err = compare.Load(filepath.Join(sessionDir(t), "regression", "A")); err != nil {
			t.Fatalf("reading the baseline engine's rounds back: %v", err)
		}
		how = fmt.Sprintf("%d interleaved rounds (A B, B A, …) of the baseline's embedded engine (A) and the current target (B); the stored baseline %s supplies the suite and engine", rounds, path)
	}
	cand, err := compare.Load(newDir)
	if err != nil {
		t.Fatalf("reading the new rounds back: %v", err)
	}
	rep := compare.Runs(base, cand, o)
	if err := compare.WriteJSON(filepath.Join(sessionDir(t), "regression", compare.JSONFile), rep); err != nil {
		t.Errorf("writing compare.json: %v", err)
	}
	var table bytes.Buffer
	if err := compare.WriteText(&table, rep); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s:\n%s", how, table.String())
	for _, w := range rep.Warnings {
		t.Logf("WARNING: %s", w)
	}
	design := fmt.Sprintf("suite %s, %v levels, %d requests per profile and level; %s", suite.Name, suite.Concurrency, suite.Requests, how)
	verdicttest.Report(t, sessionDir(t), finish(t, rep.Verdict(), design, runs[len(runs)-1]))
}

// storedEngine returns the embedded engine configuration the baseline ran
// on, exactly as recorded, or nil when it did not run on the embedded
// engine.
func storedEngine(base *compare.Source) *engine.Config {
	c, ok := recordedEngine(base)
	if !ok {
		return nil
	}
	return &c
}

// regressionSuite returns the baseline's suite with the environment's
// overrides applied.
func regressionSuite(base *compare.Source) (*workload.Suite, error) {
	var s *workload.Suite
	if base.Config != nil && len(base.Config.Suite) > 0 && base.Config.Suite[0] == '{' {
		s = new(workload.Suite)
		if err := json.Unmarshal(base.Config.Suite, s); err != nil {
			return nil, fmt.Errorf("decoding the suite in %s's config.json: %w", base.Dir, err)
		}
	} else {
		name := sess.env.Suite
		if name == "" && base.Config != nil {
			name = base.Config.SuiteName()
		}
		if name == "" {
			return nil, fmt.Errorf("%s records no suite; set HYPOBENCH_SUITE", base.Dir)
		}
		var err error
		if s, err = workload.LoadSuite(name); err != nil {
			return nil, err
		}
	}
	if len(sess.env.Concurrency) > 0 {
		s.Concurrency = sess.env.Concurrency
	}
	if sess.env.Requests > 0 {
		s.Requests = sess.env.Requests
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("the baseline's suite: %w", err)
	}
	return s, nil
}

// regressionEngine returns the embedded engine configuration that
// reproduces the baseline's with the environment's overrides (the current
// target), or nil for the harness's default target: when HYPOBENCH_TARGET
// is set, or the baseline did not run on the embedded engine.
func regressionEngine(base *compare.Source) *engine.Config {
	if sess.env.Target != "" {
		return nil
	}
	c, ok := recordedEngine(base)
	if !ok {
		return nil
	}
	if sess.env.Engine != "" {
		c.Spec = sess.env.Engine
	}
	if sess.env.Speed > 0 {
		c.Speed = sess.env.Speed
	}
	if sess.env.SeedSet {
		c.Seed = sess.env.Seed
	}
	return &c
}

// recordedEngine reads the embedded engine's configuration from the
// baseline's config.json.
func recordedEngine(base *compare.Source) (engine.Config, bool) {
	if base.Config == nil || !strings.Contains(string(base.Config.Meta["target"]), "embedded") {
		return engine.Config{}, false
	}
	var info struct {
		GPU   struct{ Name string } `json:"gpu"`
		Model struct{ Name string } `json:"model"`
		Speed float64               `json:"speed"`
		Seed  uint64                `json:"seed"`
	}
	if json.Unmarshal(base.Config.Meta["engine"], &info) != nil {
		return engine.Config{}, false
	}
	c := engine.DefaultConfig
	c.Seed, c.Speed = info.Seed, info.Speed
	if info.GPU.Name != "" && info.Model.Name != "" {
		c.Spec = info.GPU.Name + ":" + info.Model.Name
	}
	return c, true
}
