package hypotheses

import (
	"testing"

	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/verdict/verdicttest"
)

const h2Design = "output ladder at concurrency 1 (max_tokens 1, 8, 64, 256, 512 × 6, interleaved; full: × 12) and a concurrency ladder of short_long with 128 output tokens (c = 1–16; full: 1–32; ≥ 8 requests and 2 per worker per level)"

// TestH2 checks H2, "TPOT follows decode: latency tracks max_tokens, TPOT
// settles over long outputs and rises with concurrency at most linearly".
//
// Design: H2Design (output ladder) and ConcurrencyDesign. Statistics:
// one-sided Kendall τ-b of E2E on output tokens (permutation p, α = 0.05)
// with the Theil–Sen relative growth of E2E over the ladder above 100%;
// bootstrap CI (B = 2000, 90%) of the ratio of median TPOT at 512 and 256
// tokens inside [0.8, 1.25]; log-log Theil–Sen elasticity of TPOT on
// concurrency with its 90% CI below 1. TPOT of the max_tokens 1 requests is
// undefined: excluded and counted in the verdict.
func TestH2(t *testing.T) {
	l := runDesign(t, "H2", H2Design(sess.size, sess.env.Requests, sess.outputLadder), nil)
	c := runDesign(t, "concurrency", ConcurrencyDesign(sess.size, sess.env.Requests, sess.env.Concurrency), nil)
	v := finish(t, H2(l.recs, c.recs, opts()), h2Design, l, c)
	verdicttest.Report(t, sessionDir(t), v)
}

// TestH2NegativeControl runs H2 against the embedded engine with
// FreeDecode, where decoding costs nothing: E2E does not grow with output
// tokens beyond the cost of streaming them, and H2 must fail. It runs at
// speed 1 (real time) because with time compressed the fixed cost of
// streaming 512 events over HTTP becomes comparable to the compressed TTFT.
func TestH2NegativeControl(t *testing.T) {
	k := engine.Knobs{FreeDecode: true}
	l := runDesign(t, "H2-control-free-decode", H2Design(Default, 0, nil), control(k, 1, 1))
	c := runDesign(t, "concurrency-control-free-decode", ConcurrencyDesign(Default, 0, nil), control(k, 1, 1))
	v := finish(t, H2(l.recs, c.recs, opts()), h2Design, l, c)
	v.ID, v.Claim = "H2 control", "negative control (FreeDecode engine): "+v.Claim
	assertFails(t, v)
}
