package hypotheses

import (
	"fmt"
	"math"
	"slices"

	"github.com/hypobench/hypobench/experiment"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/stats"
	"github.com/hypobench/hypobench/verdict"
)

// H3Claim is H3 in words.
const H3Claim = "As concurrency rises the bottleneck moves from prefill to batched decode: at low concurrency a long prompt's TTFT is mostly its own prefill, at high concurrency every first token waits mostly on batched decode steps, not on its prompt and not on admission"

// H3PromptShare is the share of a long prompt's TTFT that its own prompt
// accounts for, ½, that the shift crosses: P(c) = 1 − TTFT(short prompt) /
// TTFT(long prompt) at concurrency c (medians) must lie above ½ at
// the lowest level (TTFT(long) > 2 × TTFT(short): prefill-bound) and below
// ½ at the highest (TTFT(long) < 2 × TTFT(short): the wait on others'
// work dominates). Both are ratios of TTFTs measured the same way, so a
// time compression drops out.
const H3PromptShare = 0.5

// H3 analyses H3Design: short and long prompts, each with a long output,
// interleaved at random within each concurrency level, over a ladder of
// levels, in rounds whose level order is random. server holds the
// server's /metrics evidence lines (ServerEvidence), reported as found.
//
// Checks, each on one estimate per round with a t interval over rounds at
// level 1 − 2α (the round is the unit: requests of one level share
// batches and a time window):
//
//   - prefill-bound: at the lowest level, log(median TTFT of the long
//     prompts / of the short ones) above log 2 (P > ½). Fail when wholly
//     below: prompts do not cost what their prefill should. Meant to catch
//     an engine whose prefill is free (FlatPrefill).
//   - shift: the same log ratio at the highest level below log 2 (P < ½).
//     Fail when wholly above: at high concurrency first tokens still wait
//     mostly on their own prompt (the profiles' TTFTs do not converge, as
//     the seed saw them do).
//   - batching: the elasticity of median TPOT on concurrency below
//     MaxDecodeElasticity (as H2's). Meant to catch an engine that does
//     not batch decode (ComputeBoundDecode): there TTFTs converge too —
//     everything waits on decode — but decode is not the batched,
//     memory-bound kind the claim names.
//   - admission: at the highest level, log(Σ TTFT of the short prompts /
//     Σ their decode times E2E − TTFT) below 0: a new request waits for
//     its first token less than it then spends decoding. Meant to catch
//     an admission-limited server (a small max_num_seqs or KV cache),
//     where new requests queue for a slot for whole request lifetimes
//     while TPOT stays flat. Its per-round estimates are skewed, so its
//     interval is the skewness-corrected t interval (stats.SkewTInterval;
//     see admissionCheck).
//
// The first c requests of each level, sent together as the closed loop
// starts, are a burst no steady state has (with long prompts they queue
// behind each other's tokenisation) and are excluded. At high concurrency
// TTFT is a mixture — a request that arrives just before a long prefill
// step waits for it, one that arrives after does not — so a round's median
// moves between the mixture's modes; H3Design runs more rounds than the
// other designs for that reason. Aggregate output throughput and P(c) per
// level are reported as found; "throughput grows and TPOT grows slower
// than concurrency" alone is efficient batching, not this claim.
func H3(recs []record.Record, server []string, o Options) verdict.Verdict {
	o = o.WithDefaults()
	v := verdict.Verdict{ID: "H3", Claim: H3Claim, Seed: o.Seed, Alpha: o.Alpha}
	lad, recs, info := ladderOf(recs)
	v.Info = append(v.Info, "ladder: "+lad.axis())
	v.Info = append(v.Info, info...)
	good := ok(recs)
	if n := len(recs) - len(good); n > 0 {
		v.Warnings = append(v.Warnings, stats.Warnf(stats.ErrDropped, "%d failed requests excluded", n))
	}
	// The first requests of a level are its ramp — a closed loop's c
	// requests sent together, a burst no steady state has; an open loop's
	// first arrivals into a server still holding the previous phase's
	// load — and are left out.
	all := good
	good = lad.steady(all)
	if lad.open {
		v.Info = append(v.Info, fmt.Sprintf("%d requests of the phases' ramps (the first m of each phase, m its median in-flight count) excluded", len(all)-len(good)))
	} else {
		v.Info = append(v.Info, fmt.Sprintf("%d requests of the closed loop's ramp (the first c of each level, sent together) excluded", len(all)-len(good)))
	}
	v.N = len(good)
	levels := lad.keys(good)
	var reps []int
	for _, r := range good {
		if !slices.Contains(reps, r.PromptRep) {
			reps = append(reps, r.PromptRep)
		}
	}
	slices.Sort(reps)
	ttft := func(r *record.Record) (float64, bool) { return fptr(r.TTFT) }
	// Evidence: median TTFT per level and prompt length (keys sort by
	// level, then prompt length).
	v.Evidence = append(v.Evidence, evidence(groupBy(good, func(r *record.Record) int { return lad.key(r)*100000 + r.PromptRep },
		func(r *record.Record) float64 { return float64(r.Concurrency) }, ttft),
		func(g group) string { return fmt.Sprintf("%s, prompt_rep %d", lad.name(g.key/100000), g.key%100000) }, "s TTFT", o.Level())...)
	for _, k := range levels {
		var sel []record.Record
		for _, r := range good {
			if lad.key(&r) == k {
				sel = append(sel, r)
			}
		}
		var line string
		if lad.open {
			line = fmt.Sprintf("%s: mean requests in flight at send %s, output %s tokens per wall-clock second (target rate × mean output tokens)",
				lad.name(k), verdict.Num(lad.load(sel)), verdict.Num(lad.rates[k]*meanTokens(sel)))
		} else {
			line = fmt.Sprintf("c=%d: throughput %s output tokens/s", k, verdict.Num(throughput(sel)))
		}
		if len(reps) >= 2 {
			s := medianWhere(sel, func(r *record.Record) bool { return r.PromptRep == reps[0] }, ttft)
			l := medianWhere(sel, func(r *record.Record) bool { return r.PromptRep == reps[len(reps)-1] }, ttft)
			line += fmt.Sprintf(", prompt share of a long prompt's TTFT P = 1 − TTFT(short)/TTFT(long) = %s", verdict.Num(1-s/l))
		}
		v.Info = append(v.Info, line)
	}
	if len(server) == 0 {
		v.Info = append(v.Info, "server-side evidence: not available (the target exposes no vLLM /metrics, or none was scraped)")
	}
	v.Info = append(v.Info, server...)
	if len(levels) < 3 || len(reps) < 2 {
		what := "concurrency levels"
		if lad.open {
			what = "rates"
		}
		v.Warnings = append(v.Warnings, stats.Warnf(stats.ErrTooFewData, "%d %s and %d prompt lengths; at least 3 and 2 are needed", len(levels), what, len(reps)))
		v.Combine()
		return v
	}
	v.Checks = append(v.Checks, h3RoundChecks(good, lad, levels[0], levels[len(levels)-1], reps[0], reps[len(reps)-1], o)...)
	if lad.open {
		// The calibration ran H3Design's closed-loop ladder; a rate
		// ladder's checks have not been calibrated.
		v.Info = append(v.Info, "operating characteristics: not calibrated on a rate ladder (the calibration ran the closed-loop concurrency ladder)")
	} else {
		attachCalibration(&v)
	}
	v.Combine()
	return v
}

// h3Steady leaves out of the successful records the first c requests of
// each level — sent together as the closed loop starts, a burst no steady
// state has — and returns the rest with the sorted concurrency levels and
// prompt repetitions they hold.
func h3Steady(good []record.Record) (steady []record.Record, levels, reps []int) {
	steady = make([]record.Record, 0, len(good))
	for _, r := range good {
		if r.Seq < r.Concurrency {
			continue
		}
		steady = append(steady, r)
		if !slices.Contains(levels, r.Concurrency) {
			levels = append(levels, r.Concurrency)
		}
		if !slices.Contains(reps, r.PromptRep) {
			reps = append(reps, r.PromptRep)
		}
	}
	slices.Sort(levels)
	slices.Sort(reps)
	return steady, levels, reps
}

// h3RoundChecks are H3's checks — prefill-bound, shift, batching,
// admission, in that order — on the successful records past the ramp, for
// the lowest and highest concurrency levels and the short and long prompt
// (H3 calls it; so does its calibration, hypotheses/h123calib_test.go).
func h3RoundChecks(good []record.Record, lad loadLadder, lo, hi, short, long int, o Options) []verdict.Check {
	var atLo, atHi, admit []float64
	perLo, perHi := 0, 0
	for _, rr := range rounds(good) {
		l, h, a := h3Estimates(rr, lad, lo, hi, short, long)
		atLo, atHi, admit = append(atLo, l), append(atHi, h), append(admit, a)
		perLo = max(perLo, countWhere(rr, func(r *record.Record) bool { return lad.key(r) == lo && r.PromptRep == short }))
		perHi = max(perHi, countWhere(rr, func(r *record.Record) bool { return lad.key(r) == hi && r.PromptRep == short }))
	}
	shareOf := func(logS float64) float64 { return 1 - math.Exp(-logS) }
	bound := -math.Log(1 - H3PromptShare)
	return []verdict.Check{
		experiment.RoundCheck(experiment.RoundSpec{Name: "prefill-bound",
			Claim: fmt.Sprintf("at %s a long prompt's TTFT is mostly its own prompt (P > %.2f: TTFT at prompt_rep %d over %d above %.0f)", lad.at(lo), H3PromptShare, long, short, 1/(1-H3PromptShare)),
			Test:  "per-round log ratio of median TTFT, long over short prompt", Unit: "prompt share P",
			Bound: bound, Greater: true, Show: shareOf, PerRound: perLo}, atLo, o),
		experiment.RoundCheck(experiment.RoundSpec{Name: "shift",
			Claim: fmt.Sprintf("at %s first tokens wait mostly on others' work, not their prompt (P < %.2f)", lad.at(hi), H3PromptShare),
			Test:  "per-round log ratio of median TTFT, long over short prompt", Unit: "prompt share P",
			Bound: bound, Show: shareOf, PerRound: perHi}, atHi, o),
		batchingCheck("batching", good, o),
		admissionCheck(fmt.Sprintf("at %s a short prompt waits for its first token less than it then decodes (not queued for admission)", lad.at(hi)),
			admit, perHi, o),
	}
}

// h3Estimates are one round's estimates: log(median TTFT of the long
// prompts / of the short ones) at the lowest level lo (prefill-bound) and
// at the highest hi (shift), and log(Σ TTFT / Σ (E2E − TTFT)) of the
// short prompts at hi (admission, admissionEstimate).
func h3Estimates(round []record.Record, lad loadLadder, lo, hi, short, long int) (atLo, atHi, admit float64) {
	ttft := func(r *record.Record) (float64, bool) { return fptr(r.TTFT) }
	med := func(c, rep int, y func(*record.Record) (float64, bool)) float64 {
		return medianWhere(round, func(r *record.Record) bool { return lad.key(r) == c && r.PromptRep == rep }, y)
	}
	return experiment.LogRatio(med(lo, long, ttft), med(lo, short, ttft)), experiment.LogRatio(med(hi, long, ttft), med(hi, short, ttft)),
		admissionEstimate(round, lad, hi, short)
}

// meanTokens is the mean output token count of recs.
func meanTokens(recs []record.Record) float64 {
	if len(recs) == 0 {
		return math.NaN()
	}
	var s float64
	for i := range recs {
		s += float64(recs[i].N())
	}
	return s / float64(len(recs))
}

// throughput is c × Σ output tokens / Σ total_s over recs, which is the
// aggregate output rate of a closed loop whose c workers are always busy.
func throughput(recs []record.Record) float64 {
	var tok, sec float64
	for i := range recs {
		tok += float64(recs[i].N())
		sec += recs[i].Total
	}
	if sec == 0 || len(recs) == 0 {
		return math.NaN()
	}
	return float64(recs[0].Concurrency) * tok / sec
}
