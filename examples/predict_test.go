package examples_test

import (
	"math"
	"testing"
	"time"

	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/workload"
)

// predicted holds what the engine's cost model says a design's requests
// take, in the modelled GPU's time: the examples size their bounds and
// margins from it (and fail loudly when a change to the cost model leaves
// a bound too close to the prediction to stay stable).
type prompt struct {
	text      string
	maxTokens int
}

// predictTTFT runs prompts through the embedded engine's virtual-time
// core, closed loop at concurrency c, with no front-end cost (the live
// server's HTTP layer is real and its stamps leave it out), and returns
// each request's TTFT.
func predictTTFT(t *testing.T, cfg engine.Config, ps []prompt, c int) []time.Duration {
	t.Helper()
	_, model, err := engine.ParseSpec(specOf(cfg))
	if err != nil {
		t.Fatal(err)
	}
	cfg.FrontEnd = &engine.FrontEnd{}
	var reqs []engine.SimRequest
	for _, p := range ps {
		r := engine.SimRequest{PromptTokens: engine.CountTokens(p.text), MaxTokens: p.maxTokens, IgnoreEOS: true, Key: engine.RequestKey(p.text)}
		// As the server does: every prompt's blocks are hashed; a nonce'd
		// one shares none with another.
		r.BlockHashes = engine.BlockHashes(engine.TokenIDs(p.text, model.Vocab))
		reqs = append(reqs, r)
	}
	res, _, err := engine.Simulate(cfg, reqs, c)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]time.Duration, len(res))
	for i, r := range res {
		out[i] = r.TTFT()
	}
	return out
}

func specOf(cfg engine.Config) string {
	if cfg.Spec == "" {
		return engine.DefaultSpec
	}
	return cfg.Spec
}

// completion is a completions prompt as the runner builds it: a nonce
// (unless shared) and the base text repeated rep times.
func completion(rep, n int, shared bool) string {
	s := workload.Suite{BaseText: "hi ", Nonce: !shared}
	return s.Prompt(workload.Profile{PromptRep: rep}, workload.Nonce(99, n))
}

// chat is the same prompt as one user message, rendered as the engine
// renders chat requests.
func chat(rep, n int) string {
	return engine.RenderChat([]engine.ChatMessage{{Role: "user", Content: completion(rep, n, false)}})
}

// seconds converts durations to seconds, for package stats.
func seconds(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = d.Seconds()
	}
	return out
}

// requireInside stops the test when the cost model's prediction is not
// well inside [lo, hi] (within the middle half of the band on the log
// scale): the example's bound would then be too close to the truth for a
// verdict that never flips.
func requireInside(t *testing.T, predicted, lo, hi float64) {
	t.Helper()
	mid, half := (math.Log(lo)+math.Log(hi))/2, (math.Log(hi)-math.Log(lo))/2
	if math.Abs(math.Log(predicted)-mid) > half/2 {
		t.Fatalf("the cost model predicts %.4f, too close to the band [%.4f, %.4f] for a stable example: re-size it", predicted, lo, hi)
	}
}
