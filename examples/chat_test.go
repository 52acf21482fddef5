package examples_test

import (
	"testing"

	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/experiment"
	"github.com/hypobench/hypobench/stats"
	"github.com/hypobench/hypobench/verdict"
	"github.com/hypobench/hypobench/verdict/verdicttest"
)

// chatRep is the prompt of the chat example: 500 repetitions (≈ 500
// tokens), so prefill, not the client's overhead, dominates TTFT.
const chatRep = 500

// chatMargin is the equivalence margin: chat's median TTFT within ±10%
// of completions' (ratio in [1/1.1, 1.1]). The cost model predicts a
// ratio of about 1.025 — the chat template adds about a dozen prompt
// tokens to 500 — which the example checks lies inside a quarter of the
// band (log scale), so that the interval stays inside on a loaded machine.
const chatMargin = 0.10

func chatDesign(name string, completionsRep int) experiment.AB {
	return experiment.AB{Name: name, Rounds: 5, Requests: 8,
		A: experiment.Arm{Label: "chat", Request: experiment.Request{Endpoint: "chat", PromptRep: chatRep, MaxTokens: 1}},
		B: experiment.Arm{Label: "completions", Request: experiment.Request{Endpoint: "completions", PromptRep: completionsRep, MaxTokens: 1}}}
}

func chatCheck() experiment.Check {
	return experiment.Ratio(experiment.Median(experiment.TTFT), "chat", "completions").Within(chatMargin)
}

// TestChatEquivalentToCompletions: the chat endpoint's TTFT is equivalent
// to the completions endpoint's for the same text, within ±10% (two
// one-sided tests at α = 0.05).
func TestChatEquivalentToCompletions(t *testing.T) {
	var co, ch []prompt
	for i := range 4 {
		co = append(co, prompt{completion(chatRep, i, false), 1})
		ch = append(ch, prompt{chat(chatRep, i), 1})
	}
	predicted := stats.Median(seconds(predictTTFT(t, engine.DefaultConfig, ch, 1))) / stats.Median(seconds(predictTTFT(t, engine.DefaultConfig, co, 1)))
	t.Logf("cost model: chat/completions median TTFT %.4f (margin ±%g%%)", predicted, chatMargin*100)
	requireInside(t, predicted, 1/(1+chatMargin), 1+chatMargin)

	s := experiment.Open(t)
	r := s.Run(t, chatDesign("chat-vs-completions", chatRep))
	verdicttest.Report(t, r.SessionDir, r.Verdict("chat-equivalence", "chat and completions reach the first token equally fast for the same text (within ±10%)", chatCheck()))
}

// TestChatEquivalenceNegativeControl gives the completions arm 40% more
// prompt (700 repetitions against 500): the cost model puts the ratio near
// 0.72, outside the band, and the same check must fail.
func TestChatEquivalenceNegativeControl(t *testing.T) {
	s := experiment.Open(t)
	r := s.Run(t, chatDesign("chat-vs-longer-completions", 700))
	v := r.Verdict("chat-equivalence control", "negative control (completions prompt 40% longer): chat and completions equally fast", chatCheck())
	verdicttest.Record(t, r.SessionDir, v)
	if v.Outcome != verdict.Fail {
		t.Errorf("a 40%% longer prompt on one side gave %s, want fail: the equivalence check cannot see a difference four times its margin", v.Outcome)
	}
}
