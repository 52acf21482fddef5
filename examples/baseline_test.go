package examples_test

import (
	"testing"

	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/experiment"
	"github.com/hypobench/hypobench/stats"
	"github.com/hypobench/hypobench/verdict"
	"github.com/hypobench/hypobench/verdict/verdicttest"
)

// The baseline example: a candidate server is no slower than the baseline
// — its median TTFT at most 10% above the baseline's (non-inferiority:
// the upper end of the 90% interval of candidate/baseline below 1.10).
// Both are embedded engines of the same profile at the same speed, run in
// interleaved rounds (each round the two one after the other, in a random
// order). The negative control's candidate chunks prefill into 64-token
// steps (max_num_batched_tokens 64, a plausible misconfiguration): the
// cost model predicts about twice the baseline's TTFT for these prompts
// (1.97×).
const (
	baselineRep    = 500
	baselineMargin = 0.10
)

func baselineDesign(name string, candidate engine.Config) experiment.AB {
	q := experiment.Request{PromptRep: baselineRep, MaxTokens: 1}
	return experiment.AB{Name: name, Rounds: 5, Requests: 8,
		A: experiment.Arm{Label: "candidate", Request: q, Target: experiment.Embedded(candidate)},
		B: experiment.Arm{Label: "baseline", Request: q, Target: experiment.Embedded(experiment.DefaultEngine())}}
}

func baselineCheck() experiment.Check {
	return experiment.Ratio(experiment.Median(experiment.TTFT), "candidate", "baseline").NonInferior(baselineMargin)
}

const baselineClaim = "the candidate is no slower than the baseline: median TTFT at most 10% above"

// TestCandidateNonInferiorToBaseline: two identical engines; the claim
// holds (the truth is a ratio of 1).
func TestCandidateNonInferiorToBaseline(t *testing.T) {
	s := experiment.Open(t)
	r := s.Run(t, baselineDesign("baseline-same-engine", experiment.DefaultEngine()))
	verdicttest.Report(t, r.SessionDir, r.Verdict("non-inferiority", baselineClaim, baselineCheck()))
}

// TestNonInferiorityNegativeControl: the candidate prefills in 64-token
// chunks, so its TTFT is about twice the baseline's; the verdict must be
// fail.
func TestNonInferiorityNegativeControl(t *testing.T) {
	slow := experiment.DefaultEngine()
	slow.MaxNumBatchedTokens = 64
	var ps []prompt
	for i := range 4 {
		ps = append(ps, prompt{completion(baselineRep, i, false), 1})
	}
	predicted := stats.Median(seconds(predictTTFT(t, slow, ps, 1))) / stats.Median(seconds(predictTTFT(t, engine.DefaultConfig, ps, 1)))
	t.Logf("cost model: candidate/baseline median TTFT %.3f (margin %g%%)", predicted, baselineMargin*100)
	if predicted < 1.5*(1+baselineMargin) {
		t.Fatalf("the cost model predicts %.3f, too close to the bound %g for a stable negative control: re-size it", predicted, 1+baselineMargin)
	}

	s := experiment.Open(t)
	r := s.Run(t, baselineDesign("baseline-chunked-candidate", slow))
	v := r.Verdict("non-inferiority control", "negative control (candidate with max_num_batched_tokens 64): "+baselineClaim, baselineCheck())
	verdicttest.Record(t, r.SessionDir, v)
	if v.Outcome != verdict.Fail {
		t.Errorf("a candidate %.2f× slower gave %s, want fail", predicted, v.Outcome)
	}
}
