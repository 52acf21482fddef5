package hypotheses

import (
	"fmt"
	"os"
	"sort"
	"testing"

	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/stats"
	"github.com/hypobench/hypobench/verdict"
	"github.com/hypobench/hypobench/verdict/verdicttest"
	"github.com/hypobench/hypobench/workload"
)

// TestRealEngine holds the checks that must hold on any real engine (run
// by `make e2e` against Ollama with HYPOBENCH_E2E=1): every request of a
// scaled tiny suite is a complete record, output tokens from usage equal
// max_tokens, prompt tokens grow with prompt_rep; H1's trend and growth
// checks and H2's e2e-trend and token-cost checks pass — the checks whose
// definitions gave the cost model's truth in every cell of TestMatrix
// (claim-true and claim-false engines, three profiles, two speeds); H4
// reports that no kernel trace is available and does not pass; prefix
// caching turns repeated prompts into fast TTFTs while nonce'd prompts are
// not cached. Reported as found, not gated: H1's growth exponent (no
// matrix engine violates it), H2's settle check (no matrix engine
// violates it either) and batching check (a CPU engine such as Ollama's
// may serve one sequence at a time: OLLAMA_NUM_PARALLEL), and H3 (on a
// CPU engine there is no GPU bottleneck to move, and the matrix shows its
// truth depends on the profile: false on h200:qwen2.5-0.5b).
// e2eLongPromptRep is the long prompt's repetitions in make e2e's H3: the
// tiny-cpu suite's long prompt (about 1,200 tokens on its model).
const e2eLongPromptRep = 400

func TestRealEngine(t *testing.T) {
	if os.Getenv("HYPOBENCH_E2E") != "1" || sess.env.Target == "" {
		t.Skip("HYPOBENCH_E2E=1 with HYPOBENCH_TARGET set runs the real-engine checks (make e2e)")
	}
	dir := sessionDir(t)
	o := opts()

	t.Run("suite", func(t *testing.T) {
		name := sess.env.Suite
		if name == "" {
			name = "tiny-cpu"
		}
		s, err := workload.LoadSuite(name)
		if err != nil {
			t.Fatal(err)
		}
		r := runDesign(t, "suite-"+s.Name, s, nil)
		complete(t, r.recs)
		byRep := map[int][]float64{}
		for _, rec := range r.recs {
			if rec.PromptTokens != nil {
				byRep[rec.PromptRep] = append(byRep[rec.PromptRep], float64(*rec.PromptTokens))
			}
		}
		reps := make([]int, 0, len(byRep))
		for k := range byRep {
			reps = append(reps, k)
		}
		sort.Ints(reps)
		for i := 1; i < len(reps); i++ {
			lo, hi := stats.Median(byRep[reps[i-1]]), stats.Median(byRep[reps[i]])
			t.Logf("prompt_rep %d → %v prompt tokens; %d → %v", reps[i-1], lo, reps[i], hi)
			if !(hi > lo) {
				t.Errorf("prompt tokens do not grow with prompt_rep: %d → %v, %d → %v", reps[i-1], lo, reps[i], hi)
			}
		}
	})

	t.Run("H1", func(t *testing.T) {
		r := runDesign(t, "H1", H1Design(sess.size, sess.env.Requests, sess.promptLadder), nil)
		complete(t, r.recs)
		v := finish(t, H1(r.recs, o), h1Design, r)
		verdicttest.Record(t, dir, v)
		for _, l := range v.Evidence {
			t.Logf("TTFT median at %s: %s s (CI %s)", l.Label, verdict.Num(l.Median), verdict.CIString(l.MedianCI.Lo, l.MedianCI.Hi, l.MedianCI.Level))
		}
		mustPass(t, v, "trend", "growth")
	})

	t.Run("H2", func(t *testing.T) {
		l := runDesign(t, "H2", H2Design(sess.size, sess.env.Requests, sess.outputLadder), nil)
		c := runDesign(t, "concurrency", ConcurrencyDesign(sess.size, sess.env.Requests, sess.env.Concurrency), nil)
		complete(t, l.recs)
		v := finish(t, H2(l.recs, c.recs, o), h2Design, l, c)
		verdicttest.Record(t, dir, v)
		mustPass(t, v, "e2e-trend", "token-cost")
	})

	t.Run("H3", func(t *testing.T) {
		// H3 is reported, not gated, on a CPU engine (it has no GPU
		// bottleneck to move), and it is the dearest design there: even cut
		// to 3 rounds instead of H3Rounds, the lowest and highest
		// concurrency levels and the 400-repetition long prompt of the
		// tiny-cpu suite, its 108 requests ran at ~5 a minute on Ollama
		// on this 2-core machine (measured: 28 in 5m15s, ~18 minutes for
		// H3 alone) — more than CI's whole time. So make e2e leaves it out
		// unless HYPOBENCH_E2E_H3=1.
		if os.Getenv("HYPOBENCH_E2E_H3") != "1" {
			t.Skip("H3 on a CPU engine is reported, not gated, and costs ~18 minutes: HYPOBENCH_E2E_H3=1 runs it")
		}
		levels := sess.env.Concurrency
		if len(levels) > 2 {
			levels = []int{levels[0], levels[len(levels)-1]}
		}
		s := H3Design(sess.size, sess.env.Requests, levels)
		s.Rounds = DesignRounds
		for i := range s.Profiles {
			if s.Profiles[i].PromptRep > e2eLongPromptRep {
				s.Profiles[i].PromptRep = e2eLongPromptRep
			}
		}
		c := runDesign(t, "h3", s, nil)
		v := finish(t, H3(c.recs, serverEvidence(t, c), o), h3Design, c)
		verdicttest.Record(t, dir, v)
		t.Logf("H3 on this engine, as found: %s", v.Outcome)
	})

	t.Run("H4", func(t *testing.T) {
		if sess.env.Trace != "" {
			t.Skip("HYPOBENCH_TRACE is set: TestH4 analyses it")
		}
		v := H4Unavailable("no kernel trace: the target is a CPU engine with no profiler endpoints and HYPOBENCH_TRACE is unset", o.Seed)
		verdicttest.Record(t, dir, v)
		if v.Outcome == verdict.Pass {
			t.Error("H4 passed without a trace")
		}
	})

	t.Run("prefix-cache", func(t *testing.T) {
		mk := func(nonce bool) *workload.Suite {
			return &workload.Suite{Name: fmt.Sprintf("cache-nonce-%v", nonce), BaseText: BaseText, Nonce: nonce, Endpoint: "completions", IgnoreEOS: true,
				Profiles: []workload.Profile{{Name: "long_short", PromptRep: 400, MaxTokens: 1}}, Concurrency: []int{1}, Requests: 6, Order: workload.Ordered, Seed: 105}
		}
		cached := runDesign(t, "cache-identical-prompts", mk(false), nil)
		fresh := runDesign(t, "cache-nonce-prompts", mk(true), nil)
		ttft := func(recs []record.Record, skip int) []float64 {
			var xs []float64
			for i, r := range recs {
				if i >= skip && r.TTFT != nil {
					xs = append(xs, *r.TTFT)
				}
			}
			return xs
		}
		c, f := stats.Median(ttft(cached.recs, 1)), stats.Median(ttft(fresh.recs, 0))
		t.Logf("median TTFT: identical prompts (after the first) %.4f s, nonce'd prompts %.4f s (×%.1f)", c, f, f/c)
		if !(c*3 < f) {
			t.Errorf("identical prompts are not much faster than nonce'd ones (%.4f vs %.4f s): either the cache is off or the nonce does not defeat it", c, f)
		}
	})
}

// complete asserts every record succeeded with the server's usage and
// exactly max_tokens output tokens.
func complete(t *testing.T, recs []record.Record) {
	t.Helper()
	if len(recs) == 0 {
		t.Fatal("no records")
	}
	for _, r := range recs {
		switch {
		case !r.OK():
			t.Errorf("%s: %s: %s", r.ID, r.ErrorClass, r.Error)
		case r.TTFT == nil || r.E2E == nil:
			t.Errorf("%s: incomplete timings", r.ID)
		case r.OutputTokens == nil || r.PromptTokens == nil:
			t.Errorf("%s: no usage from the server", r.ID)
		case *r.OutputTokens != r.MaxTokens:
			t.Errorf("%s: %d output tokens, max_tokens %d", r.ID, *r.OutputTokens, r.MaxTokens)
		}
	}
}

func mustPass(t *testing.T, v verdict.Verdict, names ...string) {
	t.Helper()
	for _, n := range names {
		found := false
		for _, c := range v.Checks {
			if c.Name == n {
				found = true
				if c.Outcome != verdict.Pass {
					t.Errorf("%s %s: %s, want pass", v.ID, n, c.Outcome)
				}
			}
		}
		if !found {
			t.Errorf("%s has no check %q", v.ID, n)
		}
	}
}
