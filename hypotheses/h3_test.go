package hypotheses

import (
	"testing"

	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/run"
	"github.com/hypobench/hypobench/verdict"
	"github.com/hypobench/hypobench/verdict/verdicttest"
)

const h3Design = "short (40) and long (1000 repetitions) prompts with 128 output tokens, interleaved, at c = 1–16 (full: 1–32), ≥ 3 requests of each and 3 per worker per level, 6 rounds (full: 8) with the level order random per round; the first c requests of a level (the closed loop's ramp) excluded"

// TestH3 checks H3, "as concurrency rises the bottleneck moves from
// prefill to memory-bound decode".
//
// Design: H3Design. Checks, each on one estimate per round with a 90% t
// interval over rounds (each tail a one-sided test at α = 0.05):
// prefill-bound — at c=1 a long prompt's median TTFT over a short one's
// above 2; shift — the same ratio at c=16 below 2; batching — the
// elasticity of median TPOT on concurrency below ¼; admission — at c=16 a
// short prompt's median TTFT below its median decode time. Throughput and
// the prompt's share of TTFT per level, and the server's /metrics evidence
// where the target has it, are reported as found.
//
// On the default embedded engine it runs at speed 10 (unless
// HYPOBENCH_SPEED says otherwise): five rounds of the ladder at speed 5
// would take the live slice past its budget, and TestMatrix shows the
// verdict unchanged between speed 1 and 10.
func TestH3(t *testing.T) {
	var ec *engine.Config
	if sess.env.Target == "" && sess.env.Speed == 0 {
		ec = control(engine.Knobs{}, sess.env.Seed, 10)
		if sess.env.Engine != "" {
			ec.Spec = sess.env.Engine
		}
	}
	c := runDesign(t, "h3", H3Design(sess.size, sess.env.Requests, sess.env.Concurrency), ec)
	v := finish(t, H3(c.recs, serverEvidence(t, c), opts()), h3Design, c)
	verdicttest.Report(t, sessionDir(t), v)
}

// TestH3NegativeControl runs H3 against the embedded engine limited to
// max_num_seqs 2: at c=16 a new request queues for a slot for about 7
// request lifetimes while TPOT stays flat — a short prompt waits ~7× its
// own decode time for its first token, against the admission bound of 1×
// — and H3 must fail. (Flat prefill and no batching are H3's other
// claim-false engines; TestMatrix runs all three.) It runs the ladder
// 1, 2, 16 in MinRounds rounds at speed 40: a factor 7 does not hide in
// scheduling noise, and the queue makes this engine slow.
func TestH3NegativeControl(t *testing.T) {
	ec := control(engine.Knobs{}, 1, 40)
	ec.MaxNumSeqs = 2
	d := H3Design(Default, 0, []int{1, 2, 16})
	d.Rounds = MinRounds
	c := runDesign(t, "h3-control-admission-limited", d, ec)
	v := finish(t, H3(c.recs, nil, opts()), h3Design, c)
	v.ID, v.Claim = "H3 control", "negative control (max_num_seqs 2 engine): "+v.Claim
	liveTruth(t, &v, *ec, func(m model) (truth, error) { return truthH3(m, d, ec.Speed) })
	assertFails(t, v)
	for _, ch := range v.Checks {
		if ch.Name == "admission" && ch.Outcome != verdict.Fail {
			t.Errorf("admission check on the admission-limited engine: %s, want fail", ch.Outcome)
		}
	}
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
