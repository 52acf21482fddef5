package hypotheses

import (
	"testing"

	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/verdict"
	"github.com/hypobench/hypobench/verdict/verdicttest"
)

const h1Design = "prompt ladder at concurrency 1, max_tokens 1: 5 prompt lengths (40–1000 repetitions of the base text) × 10 repetitions (full: 8 × 20), interleaved in seeded random order, nonce'd prompts"

// TestH1 checks H1, "TTFT follows prefill: the longer the prompt, the higher
// the TTFT".
//
// Design: H1Design — one output token at concurrency 1, prompt lengths from
// 40 to 1000 repetitions, requests interleaved at random so drift cannot
// pose as an effect. Statistic: one-sided Kendall τ-b of TTFT on the
// server's prompt tokens, permutation p-value (B = 2000), α = 0.05; effect:
// the Theil–Sen slope scaled to TTFT's relative growth over the ladder, with
// Sen's 90% CI, which must lie above 25% (H1MinGrowth). The growth
// exponent (log-log slope) is reported as found.
func TestH1(t *testing.T) {
	r := runDesign(t, "H1", H1Design(sess.size, sess.env.Requests, sess.promptLadder), nil)
	v := finish(t, H1(r.recs, opts()), h1Design, r)
	verdicttest.Report(t, sessionDir(t), v)
}

// TestH1NegativeControl runs H1 against the embedded engine with
// FlatPrefill, where a prompt costs what one token costs: TTFT is flat in
// prompt length, and H1 must fail (not pass, not merely be inconclusive).
// It runs at speed 1: compressed, its flat TTFT (≈ 4 ms at speed 5) is
// small enough that scheduling noise on a loaded machine can widen the
// growth CI past the 25% bound and leave the verdict inconclusive.
func TestH1NegativeControl(t *testing.T) {
	r := runDesign(t, "H1-control-flat-prefill", H1Design(Default, 0, nil), control(engine.Knobs{FlatPrefill: true}, 1, 1))
	v := finish(t, H1(r.recs, opts()), h1Design, r)
	v.ID, v.Claim = "H1 control", "negative control (FlatPrefill engine): "+v.Claim
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
