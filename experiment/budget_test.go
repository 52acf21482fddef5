package experiment_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hypobench/hypobench/experiment"
	"github.com/hypobench/hypobench/openai/openaitest"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/run"
	"github.com/hypobench/hypobench/workload"
)

// TestBudgetFromEnvironment: a session whose Env.Budget is set
// (HYPOBENCH_BUDGET) and that has no Sizer sizes every run — its pilot is
// a run under <session>/pilots/<run name>, what it chose is in the run's
// Notes, and the design-level progress lines reach Progress — and refuses
// a run whose smallest form does not fit, before the run starts.
func TestBudgetFromEnvironment(t *testing.T) {
	srv := openaitest.NewServer(openaitest.Config{TTFT: 2 * time.Millisecond, TokenDelay: time.Millisecond})
	defer srv.Close()
	t.Setenv(experiment.RunDirEnv, "")
	s := experiment.NewSession(run.Env{Target: srv.URL, Model: "m", Out: t.TempDir(), Budget: time.Minute})
	var prog bytes.Buffer
	s.Progress = &prog
	suite := &workload.Suite{Name: "ladder", BaseText: "hi ", Nonce: true, Endpoint: "completions", IgnoreEOS: true,
		Profiles:    []workload.Profile{{Name: "p4", PromptRep: 4, MaxTokens: 2}, {Name: "p8", PromptRep: 8, MaxTokens: 2}, {Name: "p16", PromptRep: 16, MaxTokens: 2}},
		Concurrency: []int{1}, Requests: 2, MinPerWorker: 1, Mix: true, Order: workload.Ordered, Seed: 5, Rounds: 3, Warmup: 1}
	r, err := s.RunSuite(context.Background(), "ladder", suite, experiment.Target{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "budget 1m0s: pilot took") || !strings.Contains(r.Notes[0], "fits: run as given") {
		t.Errorf("notes %q", r.Notes)
	}
	dir, _ := s.Dir()
	pilot, _, err := record.ReadRecords(filepath.Join(dir, experiment.PilotsDir, "ladder", record.RequestsFile))
	if err != nil || len(pilot) != 2*run.PilotRequests {
		t.Errorf("pilot records %d (%v), want the ladder's two ends × %d", len(pilot), err, run.PilotRequests)
	}
	if _, err := os.Stat(filepath.Join(dir, "ladder", record.RequestsFile)); err != nil {
		t.Errorf("the design's own run: %v", err)
	}
	for _, want := range []string{"design ladder-pilot: 6 requests in 1 phases planned", "design ladder: 18/18 requests (100%), 3/3 phases", "(run ended)"} {
		if !strings.Contains(prog.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, prog.String())
		}
	}

	s.Env.Budget = time.Millisecond
	_, err = s.RunSuite(context.Background(), "ladder-2", suite, experiment.Target{})
	if !errors.Is(err, run.ErrOverBudget) || !strings.Contains(err.Error(), "needs a budget of at least") {
		t.Errorf("a 1 ms budget: %v, want a refusal naming the budget needed", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "ladder-2", record.RequestsFile)); err == nil {
		t.Error("the refused design ran")
	}
}
