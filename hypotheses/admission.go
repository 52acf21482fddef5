package hypotheses

import (
	"math"

	"github.com/hypobench/hypobench/experiment"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/verdict"
)

// admissionEstimate is one round's admission estimate: log(Σ TTFT / Σ
// (E2E − TTFT)) over the round's short prompts (prompt_rep short) at
// level hi that streamed at least two tokens — the share of their time
// spent waiting for a first token against the time spent decoding, as a
// log ratio of sums. A ratio of sums, not of medians: at the top level a
// request's TTFT is a mixture (it waits for a long prefill step or it
// does not), and a median of ~16 such requests jumps between the
// mixture's modes from round to round, which skewed the per-round
// estimate by +1.35 at a front-end-limited boundary and −0.41 at an
// admission-limited one; the sums move smoothly (skewness −0.57 and
// −0.76, one sign at both), which SkewTInterval then corrects. NaN when
// there is no such request.
func admissionEstimate(round []record.Record, lad loadLadder, hi, short int) float64 {
	var wait, dec float64
	for i := range round {
		r := &round[i]
		if lad.key(r) != hi || r.PromptRep != short || r.N() < 2 {
			continue
		}
		t, ok1 := fptr(r.TTFT)
		e, ok2 := fptr(r.E2E)
		if !ok1 || !ok2 {
			continue
		}
		wait += t
		dec += e - t
	}
	return experiment.LogRatio(wait, dec)
}

// admissionCheck is H3's admission check on one estimate per round
// (admissionEstimate): the claim is a mean log ratio below 0 (a short
// prompt waits for its first token less than it then decodes), decided by
// experiment.RoundCheck on the t interval corrected for the rounds'
// skewness (Hall's transformation, stats.SkewTInterval) at level 1 − 2α:
// the per-round estimates are skewed, and over 6 rounds a plain t
// interval passed 10.4% of sessions at the bound (TestRoundCalibration).
// perRound is the short prompts per round at the top level, to turn
// needed rounds into needed requests.
func admissionCheck(claim string, ests []float64, perRound int, o Options) verdict.Check {
	return experiment.RoundCheck(experiment.RoundSpec{Name: "admission", Claim: claim,
		Test: "per-round log ratio of Σ TTFT over Σ (E2E − TTFT), short prompts", Unit: "ratio",
		Bound: 0, Show: math.Exp, PerRound: perRound, SkewCorrected: true}, ests, o)
}
