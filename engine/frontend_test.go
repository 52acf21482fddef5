package engine

import (
	"testing"
	"time"
)

// TestFrontEndLoneRequest: a lone request pays the front-end's request
// cost before prefill and one token's cost after each step.
func TestFrontEndLoneRequest(t *testing.T) {
	fe := FrontEnd{PerRequest: time.Millisecond, PerPromptToken: 2 * time.Microsecond, PerOutputToken: 50 * time.Microsecond}
	core, _ := mustSim(t, Config{}, []SimRequest{{PromptTokens: 400, MaxTokens: 2}}, 1)
	res, _ := mustSim(t, Config{FrontEnd: &fe}, []SimRequest{{PromptTokens: 400, MaxTokens: 2}}, 1)
	in := fe.PerRequest + 400*fe.PerPromptToken
	if got, want := res[0].TTFT(), in+core[0].TTFT()+fe.PerOutputToken; got != want {
		t.Errorf("TTFT %v, want %v (front-end in %v + core %v + one token out)", got, want, in, core[0].TTFT())
	}
	if got, want := res[0].EngineArrival-res[0].Arrival, in; got != want {
		t.Errorf("engine arrival %v after sending, want %v", got, want)
	}
	if got, want := res[0].TPOT(), core[0].TPOT(); got != want {
		t.Errorf("TPOT %v, want the core's %v (each token pays the same)", got, want)
	}
}

// TestFrontEndQueueDelaysFirstTokens: under heavy streaming the single
// front-end server delays new requests' first tokens behind other
// requests' output, and when serialising tokens takes longer than the GPU
// makes them, the client's throughput is capped at 1/PerOutputToken.
func TestFrontEndQueueDelaysFirstTokens(t *testing.T) {
	cfg := Config{Spec: "h100-sxm:llama-3.1-8b"}
	reqs := make([]SimRequest, 512)
	for i := range reqs {
		reqs[i] = SimRequest{PromptTokens: 64, MaxTokens: 128, IgnoreEOS: true, Key: uint64(i)}
	}
	ttft := func(fe FrontEnd) (time.Duration, float64) {
		c := cfg
		c.FrontEnd = &fe
		res, _ := mustSim(t, c, reqs, 256)
		var sum time.Duration
		var toks int
		var last time.Duration
		for _, r := range res[256:] { // requests that join a full batch
			sum += r.TTFT()
		}
		for _, r := range res {
			toks += r.OutputTokens
			last = max(last, r.End)
		}
		return sum / 256, float64(toks) / last.Seconds()
	}
	free, _ := ttft(FrontEnd{PerRequest: DefaultFrontEnd.PerRequest, PerPromptToken: DefaultFrontEnd.PerPromptToken})
	def, _ := ttft(DefaultFrontEnd)
	if def-free < 500*time.Microsecond {
		t.Errorf("mean TTFT with per-token cost %v vs %v without: the stream queue should delay first tokens", def, free)
	}
	slow := DefaultFrontEnd
	slow.PerOutputToken = 200 * time.Microsecond // at most 5,000 tokens/s
	slowTTFT, tput := ttft(slow)
	if tput > 5000*1.01 {
		t.Errorf("client throughput %.0f tok/s with 200 µs per token, want ≤ 5000", tput)
	}
	if slowTTFT < 2*def {
		t.Errorf("saturated front-end: mean TTFT %v, want far above %v", slowTTFT, def)
	}
	t.Logf("mean TTFT at c=256: %v without per-token cost, %v default, %v at 200 µs/token (%.0f tok/s)", free, def, slowTTFT, tput)
}
