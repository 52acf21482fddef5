// Package compare is the baseline regression gate: it compares a new run
// with a baseline run of the same suite and decides, per profile ×
// concurrency, whether the new server is slower than the baseline by more
// than an allowed budget.
//
// # The test
//
// For every group (profile × concurrency) present in both runs, and for
// the median and the 90th percentile (stats.QuantileDefinition) of TTFT,
// TPOT and E2E, Compare estimates the ratio quantile(new)/quantile(base)
// with a two-sided confidence interval (90% by default). The check is a
// non-inferiority test with margin 1 + budget (5% by default, configurable
// per metric):
//
//   - pass when the CI's upper bound ≤ 1 + budget: the new run is at most
//     budget slower, with 95% one-sided confidence at the default 90%
//     two-sided level;
//   - fail when the CI's lower bound > 1 + budget: it is slower by more
//     than the budget;
//   - inconclusive otherwise, and when either side has fewer than MinN
//     requests — with the rounds per side that would likely decide it.
//
// The report's outcome is fail if any check fails, else inconclusive if
// any check is inconclusive, else pass; `hypobench compare` exits 0, 1 or
// 2 accordingly. Failed requests are left out of the latencies and counted
// apart, with a warning when the new run fails more often. Groups present
// in only one run are listed, not compared. A metric no successful request
// of either side carries (TPOT in the seed's own record format, which has
// id, profile, ttft_s, total_s and concurrency only) is listed as not
// compared; E2E missing from both sides is read from total_s (the end of
// the response body, a few hundred µs after the last content event), and
// the check says so.
//
// # Rounds are the unit
//
// Requests of one run share its conditions — the machine's load, the
// batching pattern a closed loop settles into — so they vary less among
// themselves than two runs do. The reported failure that shaped this
// package: two `hypobench run --suite tiny --concurrency 1,8 --requests
// 32` runs of the same embedded engine at the same speed, compared with a
// request-level bootstrap, gave FAIL (short_short c=8 TTFT p50 +39.6%,
// 90% CI [+30.9%, +50.1%]); re-run on 2026-12-01, two such runs gave FAIL
// on 7 of 48 checks (short_short c=8 E2E p50 +27.8%, CI [+26.5%, +29.4%]
// among them), and this package now calls them INCONCLUSIVE because of
// one run per side. An interval built from one run per side
// cannot see run-to-run variation at all, however many requests it has.
// So the interval comes from rounds (runs, told apart by run id), and
// its form from how the rounds were laid out (Design):
//
//   - Interleaved: both sides have the same number R ≥ 2 of rounds and in
//     time order each base round sits next to one new round (what
//     `hypobench abab` and TestRegression produce). Round r of each side
//     forms a pair that shared the machine's state; the interval is a
//     paired Student t interval over the R per-pair log ratios
//     log(q(new_r)/q(base_r)), R − 1 degrees of freedom, and the ratio
//     shown is exp of their mean (a geometric mean of per-round ratios; the
//     base and new columns show the pooled quantiles). A round's level
//     cancels within its pair; a steady drift cancels too when the order
//     alternates (A B, B A, …), as abab's does.
//   - Unpaired: rounds that were not interleaved, such as a stored
//     baseline of several runs against new runs: Welch's t interval on the
//     difference of the sides' mean per-round log quantiles. When one side
//     is a single run, it is taken to vary from run to run as the other
//     side's rounds do (standard error sd·√(1/k + 1), k − 1 degrees of
//     freedom).
//   - SingleRound: one run on each side. The request-level percentile
//     bootstrap of the ratio (stats.BootstrapQuantileRatio, B = 2000 from
//     a seeded PCG stream per check; each replicate draws the two order
//     statistics its quantile reads, the same distribution as resampling
//     and sorting, so a check costs one sort per side whatever B) is shown,
//     but the check stays inconclusive and
//     says why — unless Options.RunToRun gives the run-to-run variation
//     (a log-sd measured on the same machine and target, e.g. with an A/A
//     `hypobench abab X X`), which widens the interval to
//     z·√(se² + 2·RunToRun²) on the log scale.
//
// Why t intervals over rounds rather than a two-stage bootstrap (rounds,
// then requests within them), which this package used before: with the
// few rounds a session affords (4–16), a percentile bootstrap over rounds
// understates the spread by (R − 1)/R and uses normal instead of t
// quantiles, while its second stage counts the within-run noise twice, so
// its coverage depends on which noise dominates; the t interval on
// per-round ratios is exact when those are normal, whatever the mix, and
// costs microseconds, which is what let the calibration below run 4,000
// sessions per figure in seconds. Its coverage is measured, not assumed.
// The t and normal quantiles are gonum's (distuv); the rest is hand-written
// because no Go library offers a non-inferiority gate over request
// records.
//
// Why quantile ratios rather than benchstat's Mann–Whitney U test: a U
// test answers "do the two differ at all", which with enough requests is
// always yes; a gate needs "is the new one worse by more than the budget",
// a non-inferiority question about a quantile, and a ratio CI answers it
// in the units the budget is written in.
//
// # Calibration (measured)
//
// Package calibrate generates gate sessions in virtual time from the
// embedded engine's core (package predict) under a stated noise model (7%
// step-time jitter inside the engine, a per-round level effect of log-sd
// 0.2 shared by the pair, 1% unshared run-to-run variation, 0.5% drift per
// run slot, 3% per-request noise), with the new engine's GPU slowed down
// until the noise-free TTFT p50 ratio of the group is exactly the target
// (1.05 = the budget, 1.10 = twice it). Its TestGateCalibration, part of
// `make test`, asserts and Calibrated records (tiny suite short_short at
// c = 8, 32 requests per run, 16 interleaved ABBA rounds per side, 4,000
// sessions per figure, seed 20261201):
//
//	true change              pass     fail    90% CI coverage
//	none                    99.05%    0.00%   89.95%
//	+5% (the budget)         4.35%    4.00%   91.65%   pass: 95% upper bound 4.92%
//	+10% (twice the budget)  0.00%   98.23%   90.00%
//
// Doubling the budget turns the boundary's pass rate into 99.1%, and 80%
// intervals cover 81.4%: either would turn the test red. The pass rate at
// the budget is α whatever the number of rounds; the power is not.
// TestGateDetectionCurve (on request) measures the fail rate by rounds:
//
//	fail rate (pass rate), 1,000 sessions per cell, true TTFT p50 change:
//	rounds   +0%            +5%            +7.5%          +10%           +15%           +20%           +30%
//	 2       0.002 (0.210)  0.045 (0.039)  0.107 (0.009)  0.187 (0.005)  0.344 (0.000)  0.474 (0.000)  0.702 (0.000)
//	 4       0.000 (0.477)  0.044 (0.043)  0.188 (0.006)  0.474 (0.000)  0.892 (0.000)  0.993 (0.000)  1.000 (0.000)
//	 8       0.000 (0.831)  0.052 (0.052)  0.371 (0.002)  0.822 (0.000)  0.998 (0.000)  1.000 (0.000)  1.000 (0.000)
//	16       0.000 (0.987)  0.050 (0.054)  0.621 (0.000)  0.988 (0.000)  1.000 (0.000)  1.000 (0.000)  1.000 (0.000)
//
// Sequential rounds (every base run, then every new run: a stored baseline
// of several runs against new ones) pay for the drift and the per-run
// levels that pairs cancel: under the same noise, 16 sequential rounds
// false-alarm 9.7% at no change (the 0.5%-per-run drift alone puts the
// two halves 8% apart) and their intervals cover the truth 71–75%; 4
// sequential rounds detect nothing reliably. Interleave when both servers
// can run.
//
// So with the default 5% budget and 90% interval, the smallest TTFT p50
// regression detected reliably (fail rate ≥ 0.9) in this design is +20%
// with abab's default 4 rounds, +15% with 8 and +10% (twice the budget)
// with 16; 2 rounds detect nothing reliably. At every number of rounds the
// gate passes a change at the budget about α = 5% of the time and never
// false-alarms at no change. The figures depend on the noise: here the
// engine's own run-to-run variation of a run's TTFT p50 at c = 8 is 3.3%
// (log-sd over 256 jittered runs), which dominates a pair's spread.
//
// Commands:
//
//	go test ./calibrate -run TestGateCalibration -v
//	HYPOBENCH_CALIB_SESSIONS=20000 go test ./calibrate -run TestGateCalibration -v -timeout 60m
//	HYPOBENCH_CALIB_CURVE=1 go test ./calibrate -run TestGateDetectionCurve -v -timeout 30m
//
// # Identity
//
// A comparison across different hardware measures the hardware. Load
// reads each run's config.json (record.RunConfig) and Runs warns loudly (first in the text output
// and again after the table, and in compare.json) when the client machine
// (host, CPU, OS/arch, Go version), the target URL, the model, the suite
// or the embedded engine's resolved configuration (GPU profile, model,
// speed, knobs) differ, or when a run has no config.json.
//
// # Interleaving
//
// Two runs made hours apart on a shared machine differ by drift (thermal
// state, noisy neighbours, a background job) as well as by the change
// under test, and nothing in two sequential runs can tell the two apart.
// When both servers are reachable at once, interleave them: `hypobench
// abab A B` (A and B are base URLs, or embedded@SPEED for the embedded
// engine) runs the suite on A and B in counterbalanced rounds — A B, then
// B A, then A B, … — into A/round-NN and B/round-NN, and gates the pairs.
// By hand, with the existing commands (alternate the order each round):
//
//	for i in 1 2 3 4; do
//	  HYPOBENCH_TARGET=$A go run ./cmd/hypobench run --out reports/abab/A --no-report
//	  HYPOBENCH_TARGET=$B go run ./cmd/hypobench run --out reports/abab/B --no-report
//	done
//	go run ./cmd/hypobench compare reports/abab/A reports/abab/B
//
// Load accepts a directory of run directories (every requests.jsonl one
// level below it is read when the directory has none of its own), so the
// rounds of each side pool into one sample whose runs stay apart by run
// id; their start times show whether they were interleaved. Use several
// short rounds rather than two long ones: a step change then lands in one
// pair instead of all of one side.
//
// # Time
//
// Two embedded engine runs are compared in the modelled GPU's simulated
// time (Runs; record.TimeBase and record.SimTime): the engine's stamped
// server time plus each client's measured overhead, unscaled, so runs at
// different speeds compare like for like. When a side lacks the stamps
// (runs recorded before them) both are compared as measured, with a
// warning; Options.WallClock (hypobench compare --wall-clock) asks for
// that. Report.Time and the text's "time:" line say which.
//
// # Errors
//
// The error rate is gated too: a group with failed requests gets an
// error-rate check that fails when the new run completed none of its
// requests while the baseline completed some, or when Fisher's exact test
// (one-sided, α = (1 − Level)/2) finds the new run's error rate higher;
// latencies are computed on successful requests only, so without it a run
// whose every request failed would be merely inconclusive.
package compare
