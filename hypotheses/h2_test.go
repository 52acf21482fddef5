package hypotheses

import (
	"testing"

	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/verdict/verdicttest"
)

const h2Design = "output ladder at concurrency 1 with 10-repetition prompts (max_tokens 1, 8, 64, 256, 512 × 2 × 3 rounds, interleaved; full: × 3 × 4 rounds) and a concurrency ladder of short_long with 128 output tokens (c = 1–16; full: 1–32; ≥ 3 requests and 2 per worker per level; 3 rounds, level order random per round)"

// TestH2 checks H2, "TPOT follows decode: latency tracks max_tokens, TPOT
// settles over long outputs and rises with concurrency at most linearly".
//
// Design: H2Design (output ladder) and ConcurrencyDesign, both in 3
// rounds. Checks, each decided by a 90% interval (each tail a one-sided
// test at α = 0.05): token-cost — per round, median TPOT at 512 tokens over
// median TTFT of the one-token requests, above 0.1 (H2MinTokenCost; t
// interval over rounds); e2e-trend — one-sided Kendall τ-b of E2E on output
// tokens (permutation p, requests at c=1); settle — per-round ratio of
// median TPOT at 512 and 256 tokens inside [0.8, 1.25]; batching — the
// per-round elasticity of median TPOT on concurrency below ¼
// (MaxDecodeElasticity). TPOT of the max_tokens 1 requests is undefined:
// excluded and counted in the verdict.
func TestH2(t *testing.T) {
	l := runDesign(t, "H2", H2Design(sess.size, sess.env.Requests, sess.outputLadder), nil)
	c := runDesign(t, "concurrency", ConcurrencyDesign(sess.size, sess.env.Requests, sess.env.Concurrency), nil)
	v := finish(t, H2(l.recs, c.recs, opts()), h2Design, l, c)
	verdicttest.Report(t, sessionDir(t), v)
}

// TestH2NegativeControl runs H2 against the embedded engine with
// FreeDecode, where decoding costs nothing: an output token costs only its
// streaming (≈ 9 µs of HTTP per event on a loaded 2-core machine) against
// a ~4 ms one-token request at speed 5 — a token-cost near 0.002, fifty
// times below the bound of 0.1 — and H2 must fail. The bound is a ratio of
// the server's own times, so unlike the previous E2E-growth bound it does
// not drift with the speed (TestMatrix: speed 1 and 10, three profiles).
func TestH2NegativeControl(t *testing.T) {
	k := engine.Knobs{FreeDecode: true}
	ec := control(k, 1, 0)
	l := runDesign(t, "H2-control-free-decode", H2Design(Default, 0, nil), ec)
	c := runDesign(t, "concurrency-control-free-decode", ConcurrencyDesign(Default, 0, nil), ec)
	v := finish(t, H2(l.recs, c.recs, opts()), h2Design, l, c)
	v.ID, v.Claim = "H2 control", "negative control (FreeDecode engine): "+v.Claim
	liveTruth(t, &v, *ec, func(m model) (truth, error) {
		return truthH2(m, H2Design(Default, 0, nil), ConcurrencyDesign(Default, 0, nil)), nil
	})
	assertFails(t, v)
}
