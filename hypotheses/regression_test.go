package hypotheses

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hypobench/hypobench/compare"
	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/verdict/verdicttest"
	"github.com/hypobench/hypobench/workload"
)

// Variables read by TestRegression besides the harness's HYPOBENCH_*.
const (
	baselineEnv = "HYPOBENCH_BASELINE" // a baseline run directory or requests.jsonl
	budgetEnv   = "HYPOBENCH_BUDGET"   // allowed regression, "5%" by default
)

// TestRegression is the baseline gate as a test: when HYPOBENCH_BASELINE
// names a baseline run (see reports/baselines/README.md), it runs the
// baseline's suite — read from its config.json, HYPOBENCH_SUITE when the
// config has none; HYPOBENCH_REQUESTS and HYPOBENCH_CONCURRENCY apply —
// against the current target and gates the result with package compare:
// per profile × concurrency, median and p90 of TTFT, TPOT and E2E must not
// be slower than the baseline by more than HYPOBENCH_BUDGET (5%), judged
// by the bootstrap CI of the ratio new/base. A fail verdict fails the test;
// inconclusive does too unless HYPOBENCH_ACCEPT_INCONCLUSIVE=1.
//
// Without HYPOBENCH_TARGET the current target is the embedded engine; when
// the baseline ran on the embedded engine too, its GPU:model profile and
// speed are reused (unless HYPOBENCH_ENGINE or HYPOBENCH_SPEED say
// otherwise), so the two runs differ only in what changed. Any remaining
// difference in machine or target is logged as a WARNING and written into
// the verdict.
func TestRegression(t *testing.T) {
	path := os.Getenv(baselineEnv)
	if path == "" {
		t.Skip("HYPOBENCH_BASELINE is not set: no baseline to compare against")
	}
	base, err := compare.Load(abs(path))
	if err != nil {
		t.Fatalf("loading the baseline: %v", err)
	}
	suite, err := regressionSuite(base)
	if err != nil {
		t.Fatalf("%s: %v", baselineEnv, err)
	}
	o := compare.Options{Seed: opts().Seed, SeedSet: true}
	if v := os.Getenv(budgetEnv); v != "" {
		if o.Budget, err = compare.ParseBudget(v); err != nil {
			t.Fatalf("%s: %v", budgetEnv, err)
		}
	}
	r := runDesign(t, "regression", suite, regressionEngine(base))
	cand, err := compare.Load(r.dir)
	if err != nil {
		t.Fatalf("reading the new run back: %v", err)
	}
	rep := compare.Runs(base, cand, o)
	if err := compare.WriteJSON(filepath.Join(r.dir, compare.JSONFile), rep); err != nil {
		t.Errorf("writing compare.json: %v", err)
	}
	var table bytes.Buffer
	if err := compare.WriteText(&table, rep); err != nil {
		t.Fatal(err)
	}
	t.Logf("baseline %s vs %s:\n%s", path, r.dir, table.String())
	for _, w := range rep.Warnings {
		t.Logf("WARNING: %s", w)
	}
	design := fmt.Sprintf("suite %s of baseline %s (%d requests), %v levels, %d requests per profile and level", suite.Name, path, base.Requests, suite.Concurrency, suite.Requests)
	verdicttest.Report(t, sessionDir(t), finish(t, rep.Verdict(), design, r))
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
// reproduces the baseline's, or nil for the harness's default target: when
// HYPOBENCH_TARGET is set, or the baseline did not run on the embedded
// engine.
func regressionEngine(base *compare.Source) *engine.Config {
	if sess.env.Target != "" || base.Config == nil || !strings.Contains(string(base.Config.Meta["target"]), "embedded") {
		return nil
	}
	var info struct {
		GPU   struct{ Name string } `json:"gpu"`
		Model struct{ Name string } `json:"model"`
		Speed float64               `json:"speed"`
		Seed  uint64                `json:"seed"`
	}
	if json.Unmarshal(base.Config.Meta["engine"], &info) != nil {
		return nil
	}
	c := engine.DefaultConfig
	c.Seed, c.Speed = info.Seed, info.Speed
	if info.GPU.Name != "" && info.Model.Name != "" {
		c.Spec = info.GPU.Name + ":" + info.Model.Name
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
