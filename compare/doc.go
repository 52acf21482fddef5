// Package compare is the baseline regression gate: it compares a new run
// with a baseline run of the same suite and decides, per profile ×
// concurrency, whether the new server is slower than the baseline by more
// than an allowed budget.
//
// # The test
//
// For every group (profile × concurrency) present in both runs, and for
// the median and the 90th percentile (stats.QuantileDefinition) of TTFT,
// TPOT and E2E, Compare computes the ratio quantile(new)/quantile(base)
// and its percentile bootstrap confidence interval (stats.BootstrapRatio:
// B = 2000 replicates, each resampling the requests of both sides
// independently and with replacement, from a seeded PCG generator; each
// check has its own stream derived from the seed and its name). The check
// is a non-inferiority test with margin 1 + budget (5% by default,
// configurable per metric):
//
//   - pass when the CI's upper bound ≤ 1 + budget: the new run is at most
//     budget slower, with 95% one-sided confidence at the default 90%
//     two-sided level;
//   - fail when the CI's lower bound > 1 + budget: it is slower by more
//     than the budget;
//   - inconclusive otherwise, and when either side has fewer than MinN
//     requests — with stats.NeededN's estimate of the requests per side
//     that would likely decide it.
//
// The report's outcome is fail if any check fails, else inconclusive if
// any check is inconclusive, else pass; `hypobench compare` exits 0, 1 or
// 2 accordingly. Failed requests are left out of the latencies and counted
// apart, with a warning when the new run fails more often. Groups present
// in only one run are listed, not compared.
//
// Why a bootstrap of quantile ratios rather than benchstat's Mann–Whitney
// U test: a U test answers "do the two differ at all", which with enough
// requests is always yes; a gate needs "is the new one worse by more than
// the budget", a non-inferiority question about a tail quantile, and a
// ratio CI answers it in the units the budget is written in. The code is
// hand-written because no Go library offers a non-inferiority gate over
// request records; the statistics themselves are package stats'.
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
// # Drift control: ABAB interleaving
//
// Two runs made hours apart on a shared machine differ by drift (thermal
// state, noisy neighbours, a background job) as well as by the change
// under test, and nothing in two sequential runs can tell the two apart.
// When both servers are reachable at once, interleave them instead: run
// the same suite against A, then B, then A, then B, … in short blocks, so
// that drift affects both sides alike and averages out of the ratio. With
// the existing commands:
//
//	for i in 1 2 3 4; do
//	  HYPOBENCH_TARGET=$A go run ./cmd/hypobench run --out reports/abab/A --no-report
//	  HYPOBENCH_TARGET=$B go run ./cmd/hypobench run --out reports/abab/B --no-report
//	done
//	go run ./cmd/hypobench compare reports/abab/A reports/abab/B
//
// Load accepts a directory of run directories (every requests.jsonl one
// level below it is read when the directory has none of its own), so the
// rounds of each side pool into one sample. `hypobench abab A B` does the
// same in one command and one process (A and B are base URLs, or
// embedded@SPEED for the embedded engine). Use several short rounds
// rather than two long ones; a step change then lands in one round of
// each side instead of all of one.
//
// Pooled rounds change the bootstrap. Requests of one run share its
// conditions (the machine's load, the batching pattern a closed loop
// settles into), so they vary less among themselves than two runs do, and
// a request-level bootstrap of one run against another is overconfident:
// on a loaded 2-core machine two runs of the same deterministic engine
// were seen to differ by 20–30% in TTFT at concurrency 4 with bootstrap
// intervals a few percent wide. When a side holds several rounds (distinct
// run ids), the bootstrap is two-stage — rounds with replacement, then
// requests within each drawn round — so the interval includes the
// round-to-round noise, and an inconclusive check says how many rounds
// (not requests) would likely decide it. A single pair of runs can only
// measure the within-run noise; that is the main reason to interleave.
// Use at least 3 rounds per side: with 2, the round-level resample has
// too few distinct outcomes for a useful interval.
//
// # Sensitivity (measured)
//
// TestTTFTDetection runs the tiny suite's short_short and long_short
// profiles at concurrency 1 and 4 (30 requests per profile and level) on
// two identical embedded engines at speed 5 back to back, injects a TTFT
// regression of x into the second run's records, and gates it with the
// defaults (5% budget, B = 2000). Measured on a shared, loaded 2-core VM
// (2026-11-28), rate of fail verdicts out of the pairs:
//
//	TTFT +x                0%    2%    5%     7.5%   10%    15%    20%
//	1 round per side     2/20  2/20  12/20  20/20  20/20  20/20  20/20
//	3 rounds per side    0/10  0/10   0/10  10/10  10/10  10/10  10/10
//
// So at the default budget the gate reliably detects a TTFT regression of
// 7.5% and more; at exactly the budget (5%) it fails about half the time
// with one round (as a margin test should) and not at all with three; and
// it never passed an unchanged server at this size (every comparison at
// 0% was inconclusive apart from the false alarms: about 24 checks on 30
// requests each leave some interval straddling 1.05 — passing needs a few
// hundred requests per group). The 2/20 false alarms at 0% with one round
// per side (a 13% and a 44% TTFT shift between two runs of the same
// engine) are the run-to-run noise described above; three interleaved
// rounds removed them. Commands:
//
//	HYPOBENCH_DETECT_RUNS=20 go test ./compare -run TestTTFTDetection -v -timeout 60m
//	HYPOBENCH_DETECT_RUNS=10 HYPOBENCH_DETECT_ROUNDS=3 go test ./compare -run TestTTFTDetection -v -timeout 60m
//
// TestDetectionRate slows the whole engine instead (speed S/(1+x)); it
// failed 10/10 pairs from a 2% slowdown (1/10 false alarms at 0%), but
// because the engine's short-prompt TTFT jumps by ~25% for a 2% slowdown
// at speed 5 (4.55 → 5.72 ms at concurrency 1) while long prompts' TTFT
// barely moves until 10%, that figure says more about the engine than
// about the gate.
//
// The error rate is gated too: a group with failed requests gets an
// error-rate check that fails when the new run completed none of its
// requests while the baseline completed some, or when Fisher's exact test
// (one-sided, α = (1 − Level)/2) finds the new run's error rate higher;
// latencies are computed on successful requests only, so without it a run
// whose every request failed would be merely inconclusive.
package compare
