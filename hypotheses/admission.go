package hypotheses

import (
	"fmt"
	"math"

	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/stats"
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
	return logRatio(wait, dec)
}

// admissionCheck is H3's admission check on one estimate per round
// (admissionEstimate): the claim is a mean log ratio below 0 (a short
// prompt waits for its first token less than it then decodes), decided as
// roundCheck decides a claim "< bound" but on SkewTInterval, the t
// interval corrected for the rounds' skewness (Hall's transformation) at
// level 1 − 2α: the per-round estimates are skewed, and over 6 rounds a
// plain t interval passed 10.4% of sessions at the bound
// (TestRoundCalibration). Pass when the interval lies wholly below 0,
// fail when wholly above, inconclusive otherwise or with fewer than
// MinRounds finite estimates. perRound is the short prompts per round at
// the top level, to turn needed rounds into needed requests.
func admissionCheck(claim string, ests []float64, perRound int, o Options) verdict.Check {
	c := verdict.Check{Name: "admission", Claim: claim,
		Test:  "per-round log ratio of Σ TTFT over Σ (E2E − TTFT), short prompts, skewness-corrected t interval over rounds (Hall)",
		Alpha: o.Alpha, Unit: "ratio", Outcome: verdict.Inconclusive}
	var fin []float64
	for _, e := range ests {
		if !math.IsNaN(e) && !math.IsInf(e, 0) {
			fin = append(fin, e)
		}
	}
	c.N = len(fin)
	c.Sample = fmt.Sprintf("%d rounds", len(fin))
	if len(fin) < MinRounds {
		nan := verdict.Float(math.NaN())
		c.Statistic, c.Effect, c.EffectCI = nan, nan, stats.CI{Lo: math.NaN(), Hi: math.NaN(), Level: o.level()}
		c.Detail = fmt.Sprintf("%d rounds with an estimate; at least %d are needed (the design's rounds)", len(fin), MinRounds)
		return c
	}
	m, ci := stats.SkewTInterval(fin, o.level())
	c.Statistic = verdict.Float(m)
	c.Effect = verdict.Float(math.Exp(m))
	c.EffectCI = stats.CI{Lo: math.Exp(ci.Lo), Hi: math.Exp(ci.Hi), Level: ci.Level}
	c.Outcome = verdict.CIOutcome(ci, 0, false)
	c.Detail = "statistic = mean per-round estimate on the analysis scale; claim: < 0 (effect scale 1)"
	if c.Outcome == verdict.Inconclusive && ci.Valid() {
		// The interval is asymmetric: the side that reaches across 0.
		half := ci.Hi - m
		if m > 0 {
			half = m - ci.Lo
		}
		if need := stats.NeededN(len(fin), half, math.Abs(m)); need > 0 {
			c.NeededN = need * max(perRound, 1)
			c.Detail += fmt.Sprintf("; about %d rounds would likely decide it", need)
		}
	}
	return c
}
