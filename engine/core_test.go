package engine

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func same(n int, r SimRequest) []SimRequest {
	out := make([]SimRequest, n)
	for i := range out {
		out[i] = r
		out[i].Key = uint64(i)
	}
	return out
}

// mustSim simulates the engine core alone: without a FrontEnd in cfg, the
// front-end costs nothing, so times are the cost model's.
func mustSim(t *testing.T, cfg Config, reqs []SimRequest, c int) ([]SimResult, SimStats) {
	t.Helper()
	if cfg.FrontEnd == nil {
		cfg.FrontEnd = &FrontEnd{}
	}
	res, st, err := Simulate(cfg, reqs, c)
	if err != nil {
		t.Fatal(err)
	}
	return res, st
}

// TestTTFTFollowsCostModel: at concurrency 1 the step loop's TTFT equals
// the cost model's own prefill prediction (chunks included) within 15%.
func TestTTFTFollowsCostModel(t *testing.T) {
	t.Parallel()
	cm := defaultCost(t, Knobs{})
	var prev time.Duration
	for _, n := range []int{45, 405, 1005, 2500, 3500} {
		res, _ := mustSim(t, Config{}, same(3, SimRequest{PromptTokens: n, MaxTokens: 8, IgnoreEOS: true}), 1)
		want := cm.PrefillTime(n, 2048)
		for i, r := range res {
			if relErr(r.TTFT(), want) > 0.15 {
				t.Errorf("prompt %d request %d: TTFT %v, cost model %v (more than 15%% apart)", n, i, r.TTFT(), want)
			}
		}
		if res[0].TTFT() <= prev {
			t.Errorf("TTFT for %d prompt tokens %v does not exceed the shorter prompt's %v", n, res[0].TTFT(), prev)
		}
		prev = res[0].TTFT()
	}
}

func TestChunkedPrefill(t *testing.T) {
	t.Parallel()
	_, st := mustSim(t, Config{}, []SimRequest{{PromptTokens: 3000, MaxTokens: 1}}, 1)
	if st.Steps != 2 {
		t.Errorf("a 3000-token prompt with a 2048-token budget took %d steps, want 2 chunks", st.Steps)
	}
}

func TestStepRespectsLimits(t *testing.T) {
	t.Parallel()
	t.Run("token budget", func(t *testing.T) {
		_, info, _ := Config{}.resolve()
		c := newCoreFrom(Config{MaxNumSeqs: 256, MaxNumBatchedTokens: 2048, MaxModelLen: 4096}, info)
		for range 10 {
			c.add(coreRequest{PromptTokens: 500, MaxTokens: 10, IgnoreEOS: true}, 0)
		}
		res := c.step(0)
		if res.Cost.Tokens != 2048 || len(res.Work) != 5 {
			t.Errorf("first step computed %d tokens over %d sequences, want 2048 over 5", res.Cost.Tokens, len(res.Work))
		}
	})
	t.Run("max_num_seqs", func(t *testing.T) {
		_, st := mustSim(t, Config{}, same(300, SimRequest{PromptTokens: 20, MaxTokens: 64, IgnoreEOS: true}), 300)
		if st.MaxRunning != 256 {
			t.Errorf("max running %d, want max_num_seqs 256", st.MaxRunning)
		}
	})
	t.Run("running first", func(t *testing.T) {
		_, info, _ := Config{}.resolve()
		c := newCoreFrom(Config{MaxNumSeqs: 256, MaxNumBatchedTokens: 2048, MaxModelLen: 4096}, info)
		c.add(coreRequest{PromptTokens: 100, MaxTokens: 10, IgnoreEOS: true}, 0)
		first := c.step(0)
		c.add(coreRequest{PromptTokens: 3000, MaxTokens: 10, IgnoreEOS: true}, first.End())
		res := c.step(first.End())
		want := []SeqWork{{NewTokens: 1, Context: 100, Samples: true}, {NewTokens: 2047, Prefill: true}}
		if d := cmp.Diff(want, res.Work); d != "" {
			t.Errorf("second step (-want +got):\n%s", d)
		}
	})
}

// TestPreemption: when KV blocks run out the newest running request is
// preempted and recomputed; every request still completes.
func TestPreemption(t *testing.T) {
	t.Parallel()
	cfg := Config{NumGPUBlocksOverride: 256} // 4096 tokens
	res, st := mustSim(t, cfg, same(4, SimRequest{PromptTokens: 20, MaxTokens: 2000, IgnoreEOS: true}), 4)
	if st.Preemptions == 0 {
		t.Fatal("4 requests of 2020 tokens in a 4096-token cache caused no preemption")
	}
	if res[0].Preemptions != 0 {
		t.Errorf("the oldest request was preempted %d times, want 0", res[0].Preemptions)
	}
	if res[3].Preemptions == 0 {
		t.Errorf("the newest request was never preempted")
	}
	for i, r := range res {
		if r.OutputTokens != 2000 || r.FinishReason != "length" {
			t.Errorf("request %d: %d tokens, %q", i, r.OutputTokens, r.FinishReason)
		}
	}
	_, st0 := mustSim(t, Config{}, same(4, SimRequest{PromptTokens: 20, MaxTokens: 2000, IgnoreEOS: true}), 4)
	if st0.Preemptions != 0 {
		t.Errorf("the default cache preempted %d times for 8k tokens", st0.Preemptions)
	}
}

func TestEndOfSequence(t *testing.T) {
	t.Parallel()
	reqs := same(60, SimRequest{PromptTokens: 30, MaxTokens: 200, MinTokens: 10})
	cfg := Config{EOSRate: 0.005, Seed: 7}
	a, _ := mustSim(t, cfg, reqs, 8)
	b, _ := mustSim(t, cfg, reqs, 3)
	stops := 0
	for i := range a {
		if a[i].OutputTokens != b[i].OutputTokens {
			t.Errorf("request %d: %d tokens at c=8, %d at c=3; EOS must depend only on seed and request", i, a[i].OutputTokens, b[i].OutputTokens)
		}
		if a[i].FinishReason == "stop" {
			stops++
			if a[i].OutputTokens < 10 || a[i].OutputTokens >= 200 {
				t.Errorf("request %d stopped after %d tokens, outside [min_tokens 10, max_tokens 200)", i, a[i].OutputTokens)
			}
		}
	}
	if stops == 0 || stops == len(a) {
		t.Errorf("%d of %d requests stopped early at EOS rate 0.005 over 200 tokens", stops, len(a))
	}
	for i := range reqs {
		reqs[i].IgnoreEOS = true
	}
	c, _ := mustSim(t, cfg, reqs, 8)
	for i, r := range c {
		if r.OutputTokens != 200 || r.FinishReason != "length" {
			t.Fatalf("ignore_eos request %d: %d tokens, %q", i, r.OutputTokens, r.FinishReason)
		}
	}
	d, _ := mustSim(t, Config{}, reqs[:5], 1)
	for i, r := range d {
		if r.OutputTokens != 200 {
			t.Errorf("EOS rate 0: request %d has %d tokens, want max_tokens", i, r.OutputTokens)
		}
	}
}

func TestJitterIsSeeded(t *testing.T) {
	t.Parallel()
	reqs := same(20, SimRequest{PromptTokens: 400, MaxTokens: 16, IgnoreEOS: true})
	a, _ := mustSim(t, Config{Jitter: 0.2, Seed: 1}, reqs, 2)
	b, _ := mustSim(t, Config{Jitter: 0.2, Seed: 1}, reqs, 2)
	c, _ := mustSim(t, Config{Jitter: 0.2, Seed: 2}, reqs, 2)
	if d := cmp.Diff(a, b); d != "" {
		t.Errorf("same seed, different results:\n%s", d)
	}
	if cmp.Equal(a, c) {
		t.Error("seeds 1 and 2 gave identical jittered results")
	}
}

func TestOpenLoopArrivals(t *testing.T) {
	t.Parallel()
	reqs := []SimRequest{
		{At: 0, PromptTokens: 100, MaxTokens: 4},
		{At: 10 * time.Second, PromptTokens: 100, MaxTokens: 4},
	}
	res, _ := mustSim(t, Config{}, reqs, 0)
	if res[1].Arrival != 10*time.Second || res[1].FirstScheduled != 10*time.Second {
		t.Errorf("idle engine: request arriving at 10s scheduled at %v", res[1].FirstScheduled)
	}
	if res[0].TTFT() != res[1].TTFT() {
		t.Errorf("identical requests on an idle engine: TTFT %v and %v", res[0].TTFT(), res[1].TTFT())
	}
}

// TestKnobsBreakHypotheses shows each knob doing what it says at the level
// the hypotheses measure.
func TestKnobsBreakHypotheses(t *testing.T) {
	t.Parallel()
	ttft := func(cfg Config, n int) time.Duration {
		res, _ := mustSim(t, cfg, same(2, SimRequest{PromptTokens: n, MaxTokens: 1}), 1)
		return res[1].TTFT()
	}
	tpot := func(cfg Config, c int) (time.Duration, float64) {
		res, st := mustSim(t, cfg, same(4*c, SimRequest{PromptTokens: 40, MaxTokens: 256, IgnoreEOS: true}), c)
		var sum time.Duration
		for _, r := range res {
			sum += r.TPOT()
		}
		return sum / time.Duration(len(res)), float64(st.GenTokens) / st.Duration.Seconds()
	}
	e2e := func(cfg Config, maxTokens int) time.Duration {
		res, _ := mustSim(t, cfg, same(2, SimRequest{PromptTokens: 400, MaxTokens: maxTokens, IgnoreEOS: true}), 1)
		return res[1].E2E()
	}
	t.Run("FlatPrefill", func(t *testing.T) {
		if a, b := ttft(Config{}, 45), ttft(Config{}, 1005); b < 3*a {
			t.Errorf("faithful: TTFT 1005 tokens %v not > 3 × TTFT 45 tokens %v", b, a)
		}
		k := Config{Knobs: Knobs{FlatPrefill: true}}
		if a, b := ttft(k, 45), ttft(k, 1005); a != b {
			t.Errorf("FlatPrefill: TTFT %v vs %v, want equal", a, b)
		}
	})
	t.Run("ComputeBoundDecode", func(t *testing.T) {
		t1, thr1 := tpot(Config{}, 1)
		t8, thr8 := tpot(Config{}, 8)
		if t8 > 2*t1 || thr8 < 4*thr1 {
			t.Errorf("faithful: TPOT c=8/c=1 = %.2f, throughput ratio %.2f; want sub-linear TPOT, growing throughput",
				float64(t8)/float64(t1), thr8/thr1)
		}
		k := Config{Knobs: Knobs{ComputeBoundDecode: true}}
		t1, thr1 = tpot(k, 1)
		t8, thr8 = tpot(k, 8)
		if float64(t8) < 6*float64(t1) || thr8 > 1.3*thr1 {
			t.Errorf("ComputeBoundDecode: TPOT c=8/c=1 = %.2f, throughput ratio %.2f; want ≈ 8 and ≈ 1",
				float64(t8)/float64(t1), thr8/thr1)
		}
	})
	t.Run("FreeDecode", func(t *testing.T) {
		if a, b := e2e(Config{}, 8), e2e(Config{}, 512); b < 10*a {
			t.Errorf("faithful: E2E 512 tokens %v not ≫ E2E 8 tokens %v", b, a)
		}
		k := Config{Knobs: Knobs{FreeDecode: true}}
		if a, b := e2e(k, 8), e2e(k, 512); a != b {
			t.Errorf("FreeDecode: E2E %v vs %v, want equal", a, b)
		}
	})
}

func TestSimulateRejectsOversizedRequests(t *testing.T) {
	t.Parallel()
	if _, _, err := Simulate(Config{}, []SimRequest{{PromptTokens: 4000, MaxTokens: 512}}, 1); err == nil {
		t.Error("prompt 4000 + 512 accepted with max_model_len 4096")
	}
}
