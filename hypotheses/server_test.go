package hypotheses

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hypobench/hypobench/servermetrics"
)

// TestServerEvidencePerLevel: one line per level, the mean over its
// phases (rounds), sorted by concurrency; missing quantities said to be
// missing; phases without server data skipped.
func TestServerEvidencePerLevel(t *testing.T) {
	t.Parallel()
	f := func(v float64) *float64 { return &v }
	sums := []servermetrics.PhaseSummary{
		{Concurrency: 16, Dialect: "vllm", Bracket: "edges", PrefillShare: f(0.2), StepTokens: &servermetrics.HistStat{Mean: f(80)}, Running: &servermetrics.GaugeStat{Mean: 15}},
		{Concurrency: 1, Dialect: "vllm", Bracket: "edges", PrefillShare: f(0.5), QueueShareOfTTFT: f(0.01), TTFTGapMean: f(0.001)},
		{Concurrency: 16, Dialect: "vllm", Bracket: "ticks", PrefillShare: f(0.4), StepTokens: &servermetrics.HistStat{Mean: f(82)}, Running: &servermetrics.GaugeStat{Mean: 16}},
		{Concurrency: 4, Dialect: "vllm"},
	}
	want := []string{
		"server (vllm /metrics) c=1, mean of 1 phases: prefill share of server time 0.500, tokens per engine step n/a, queue share of TTFT 0.010, client − server TTFT 0.0010 s",
		"server (vllm /metrics) c=16, mean of 2 phases: prefill share of server time 0.300, tokens per engine step 81.0, queue share of TTFT n/a, client − server TTFT n/a, running mean 15.5",
	}
	if d := cmp.Diff(want, ServerEvidence(sums)); d != "" {
		t.Errorf("ServerEvidence (-want +got):\n%s", d)
	}
	if got := ServerEvidence(sums[3:]); got != nil {
		t.Errorf("no server data gave %q", got)
	}
}
