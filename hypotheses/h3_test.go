package hypotheses

import (
	"testing"

	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/run"
	"github.com/hypobench/hypobench/verdict/verdicttest"
)

const h3Design = "concurrency ladder of short_long with 128 output tokens (c = 1–16; full: 1–32; ≥ 8 requests and 2 per worker per level)"

// TestH3 checks H3, "as concurrency rises the bottleneck moves from
// prefill to memory-bound decode".
//
// Design: ConcurrencyDesign, a decode-heavy profile over a concurrency
// ladder. Statistics: bootstrap CI (B = 2000, 90%) of aggregate output
// throughput at the top level over the bottom one, which must exceed
// √(c_max/c_min) (throughput elasticity above ½); and the log-log Theil–Sen
// elasticity of TPOT on concurrency with Sen's 90% CI below 0.5. α = 0.05
// one-sided for each. Prefill's share of request time per level, and the
// server's /metrics evidence where the target has it, are reported as found.
func TestH3(t *testing.T) {
	c := runDesign(t, "concurrency", ConcurrencyDesign(sess.size, sess.env.Requests, sess.env.Concurrency), nil)
	v := finish(t, H3(c.recs, serverEvidence(t, c), opts()), h3Design, c)
	verdicttest.Report(t, sessionDir(t), v)
}

// TestH3NegativeControl runs H3 against the embedded engine with
// ComputeBoundDecode, where every sequence in a decode step costs a full
// weight read: TPOT grows in proportion to concurrency and throughput stays
// flat, and H3 must fail.
func TestH3NegativeControl(t *testing.T) {
	c := runDesign(t, "concurrency-control-compute-bound", ConcurrencyDesign(Default, 0, nil), control(engine.Knobs{ComputeBoundDecode: true}, 1, 0))
	v := finish(t, H3(c.recs, nil, opts()), h3Design, c)
	v.ID, v.Claim = "H3 control", "negative control (ComputeBoundDecode engine): "+v.Claim
	assertFails(t, v)
}

// serverEvidence returns H3's server-side evidence lines for a design run,
// from the /metrics scrapes taken during it; none when the target exposes
// no metrics.
func serverEvidence(t *testing.T, r designRun) []string {
	sums, err := run.ServerSummary(r.dir)
	if err != nil {
		t.Logf("server evidence: %v", err)
		return nil
	}
	return ServerEvidence(sums)
}
