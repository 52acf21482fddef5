package examples_test

import (
	"testing"

	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/experiment"
	"github.com/hypobench/hypobench/stats"
	"github.com/hypobench/hypobench/verdict"
	"github.com/hypobench/hypobench/verdict/verdicttest"
)

// The SLO example: p90 TTFT of 200-repetition prompts with 32 output
// tokens stays under sloBound up to 8 concurrent users. The cost model
// predicts a p90 of about 0.27 s at c = 8 (a closed loop's requests arrive
// together, so their prefills share a step): the bound 0.5 s holds at
// every level with a margin of 1.8× — room for the client's own stalls,
// which a shown figure includes unscaled (on a loaded machine, tens of
// milliseconds) — and the negative control's 0.2 s lies 25% below the
// prediction at c = 8, where stalls can only add.
const (
	sloBound = 0.5
	sloTight = 0.2
)

var sloLevels = []float64{1, 2, 4, 8}

func sloDesign() experiment.Ladder {
	return experiment.Ladder{Name: "slo-concurrency", Over: experiment.Concurrency, Levels: sloLevels, Requests: 16, Rounds: 4,
		Request: experiment.Request{PromptRep: 200, MaxTokens: 32}}
}

// TestSLOUpToConcurrency8 checks "p90 TTFT stays under 500 ms up to 8
// users" on a concurrency ladder, and shows the same data failing a 200 ms
// SLO at 8 users.
func TestSLOUpToConcurrency8(t *testing.T) {
	p90 := map[float64]float64{}
	for _, c := range sloLevels {
		var ps []prompt
		for i := range 8 * int(c) {
			ps = append(ps, prompt{completion(200, i, false), 32})
		}
		p90[c] = stats.Quantile(seconds(predictTTFT(t, engine.DefaultConfig, ps, int(c))), 0.9)
	}
	t.Logf("cost model p90 TTFT by concurrency: %v", p90)
	if p90[8]*1.6 > sloBound || p90[8] < sloTight*1.25 {
		t.Fatalf("the cost model's p90s %v sit too close to the bounds %g s and %g s for a stable example: re-size it", p90, sloBound, sloTight)
	}

	s := experiment.Open(t)
	r := s.Run(t, sloDesign())
	m := experiment.Quantile(experiment.TTFT, 0.9)
	verdicttest.Report(t, r.SessionDir, r.Verdict("slo-ttft", "p90 TTFT stays under 500 ms up to 8 concurrent users", experiment.SLO(m, sloBound).UpTo(8)))

	up8 := r.Verdict("slo-ttft-200ms-c8", "negative control: p90 TTFT stays under 200 ms up to 8 concurrent users", experiment.SLO(m, sloTight).UpTo(8))
	verdicttest.Record(t, r.SessionDir, up8)
	if up8.Outcome != verdict.Fail {
		t.Errorf("a 200 ms SLO at 8 users (predicted p90 %.3f s) gave %s, want fail", p90[8], up8.Outcome)
	}
}
