package hypotheses

import (
	"testing"

	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/verdict"
	"github.com/hypobench/hypobench/verdict/verdicttest"
)

const h1Design = "prompt ladder at concurrency 1, max_tokens 1: 5 prompt lengths (40–1000 repetitions of the base text) × 4 repetitions × 3 rounds (full: 8 × 5 × 4 rounds), interleaved in seeded random order within each round, 2 warm-up requests, nonce'd prompts"

// TestH1 checks H1, "TTFT follows prefill: the longer the prompt, the higher
// the TTFT".
//
// Design: H1Design — one output token at concurrency 1, prompt lengths from
// 40 to 1000 repetitions, 3 rounds, requests interleaved at random so drift
// cannot pose as an effect. Deciding check: per round, the log ratio of
// median TTFT at the longest prompt over the shortest; its t interval over
// the rounds (90%, each tail a one-sided test at α = 0.05) must lie above
// log 1.25 (H1MinGrowth). Beside it: one-sided Kendall τ-b of TTFT on the
// server's prompt tokens, permutation p-value (B = 2000), requests at c=1
// as the unit. The growth exponent (log-log slope) is reported as found.
func TestH1(t *testing.T) {
	r := runDesign(t, "H1", H1Design(sess.size, sess.env.Requests, sess.promptLadder), nil)
	v := finish(t, H1(r.recs, opts()), h1Design, r)
	verdicttest.Report(t, sessionDir(t), v)
}

// TestH1NegativeControl runs H1 against the embedded engine with
// FlatPrefill, where a prompt costs what one token costs: TTFT is flat in
// prompt length (growth 0 against the bound's 25%; the sound engine's is
// ~700%), and H1 must fail (not pass, not merely be inconclusive). It runs
// at speed 1, where a flat TTFT of ~21 ms dwarfs the scheduling noise of a
// loaded machine; TestMatrix shows the definition failing this engine at
// speed 10 too, in virtual time.
func TestH1NegativeControl(t *testing.T) {
	ec := control(engine.Knobs{FlatPrefill: true}, 1, 1)
	r := runDesign(t, "H1-control-flat-prefill", H1Design(Default, 0, nil), ec)
	v := finish(t, H1(r.recs, opts()), h1Design, r)
	v.ID, v.Claim = "H1 control", "negative control (FlatPrefill engine): "+v.Claim
	liveTruth(t, &v, *ec, func(m model) (truth, error) { return truthH1(m, H1Design(Default, 0, nil)), nil })
	assertFails(t, v)
}

// assertFails records a negative control's verdict and fails the test
// unless the verdict is fail.
func assertFails(t *testing.T, v verdict.Verdict) {
	t.Helper()
	verdicttest.Record(t, sessionDir(t), v)
	if v.Outcome != verdict.Fail {
		t.Errorf("negative control %s: verdict %s, want fail — the hypothesis test cannot tell a broken engine from a sound one", v.ID, v.Outcome)
	}
}
