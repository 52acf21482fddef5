// Package hypotheses holds the seed's hypotheses H1–H4: the analyses that
// turn records (or a kernel trace) into verdicts, the workload design each
// one drives, and the Go tests that run them.
//
// The analyses are ordinary code, side by side: H1 (TTFT follows prefill),
// H2 (TPOT follows decode), H3 (the bottleneck moves from prefill to
// batched decode as concurrency rises; ServerEvidence adds the server's
// /metrics), and H4
// (the kernel timeline follows the workload: H4Trace bootstraps time
// windows of a kerneltrace.Analysis, H4 makes the verdict). Each returns a
// verdict.Verdict; Options (experiment.Options) holds α, the resample
// count and the seed. They never import testing, so the CLI links them
// (hypobench trace prints H4).
//
// The tests, `go test ./hypotheses/`, run them against HYPOBENCH_TARGET, or
// against the embedded engine when it is unset; every verdict lands in
// hypotheses.jsonl and hypotheses.md of the session's run directory
// (HYPOBENCH_RUN_DIR, or a new reports/<id>-hypotheses), written and judged
// by verdict/verdicttest. They run their designs through the public
// experiment API (experiment.Session.RunSuite), as a user's own hypothesis
// does: progress lines on stderr while a design runs, and with
// HYPOBENCH_BUDGET=5m each H1–H4 design run sized to the budget by a pilot
// (run.SizeDesign) or refused with the budget it would need.
//
// # Units, intervals and α
//
// The H1–H3 designs run in rounds (workload.Suite.Rounds; DesignRounds,
// H3Rounds): every round runs every level once, in its own random order,
// after unrecorded warm-up requests. A deciding check computes one
// estimate per round — a log ratio of medians, a slope of per-level
// medians — and decides on the t interval of their mean (stats.TInterval):
// the round is the independent unit, never the requests of one level,
// which share batches and a time window. Checks on requests at
// concurrency 1 (the Kendall trend tests), which share no batch, use the
// request. Both are the public API's checks (experiment.RoundCheck,
// experiment.KendallTrend), the ones a user's own hypothesis decides by. Each check names its unit (verdict.Check.Sample). Every
// interval is two-sided at 1 − 2α, each tail a one-sided test at
// α = 0.05, the convention stated once in package verdict. Each
// definition's doc comment (H1, H2, H3) says what it measures, its bound,
// its unit and the claim-false engine it is meant to catch.
//
// # Truth, the matrix and the live slice
//
// TestMatrix (matrix_test.go, truth_test.go; the table is MATRIX.md) is
// the definitions' proof: for three GPU/model profiles, two speeds and, per
// hypothesis, the sound engine and the engines built to make its claim
// false (H1: flat prefill; H2: free decode, no batching; H3: flat prefill,
// no batching, admission-limited), it computes whether the claim holds
// from the engine's cost model, generates the records a live run would
// write with package predict (seeded 5% step jitter, the client's
// overhead added in wall-clock time so that the speed matters as live),
// and asserts the verdict equals the truth in 20 of 20 seeds — pass where
// the claim holds, fail (not inconclusive) where it does not — except in
// cells whose truth lies near a bound, where only the opposite verdict is
// an error. It runs in virtual time in `make test`.
//
// The live slice is the TestH1…TestH3 tests and their negative controls:
// one claim-true and one claim-false engine per hypothesis over HTTP, the
// claim-false ones far beyond their bound so that they cannot flake on a
// loaded machine. Each live control records its ground truth from the
// cost model in its verdict (Info) and fails unless the cost model says
// the claim is false there.
//
// Calibration at the null boundary (package calibrate): TestRoundCalibration
// (h123calib_test.go) tunes the embedded engine in virtual time so that
// H1's growth, H2's token-cost and H3's shift and admission checks sit
// exactly at their bounds and at twice them, draws 4,000 sessions of each
// design from a pool of simulated rounds under calibrate.DefaultNoise, runs
// the very check functions the verdicts use, and checks the measured
// operating characteristics against RoundCalibrated; TestH4Calibration
// (h4calib_test.go) does the same for H4 against H4Calibrated. The figures,
// and any calibration requirement a check misses (Operating.Misses), go
// into each verdict's check details and info lines, and CalibrationOf
// hands them to the report's page. The other checks (the trend tests,
// settle, batching, prefill-bound) are not calibrated and say so.
//
// # Rate ladders
//
// H3 and H2's batching check read a rate ladder as well as a concurrency
// ladder (ladder.go): when the records are open-loop (they carry
// target_rate) a level is a target rate, its concurrency the mean of the
// requests in flight at send, the i-th phase at each rate is round i, and
// each phase's first m requests (m its median in-flight count) are left
// out as its ramp; the verdict's first info line names the ladder it
// read. RateDesign is H3Design on a rate ladder. TestRateLadderMatrix
// (rateladder_test.go, truthH3Rate) is its matrix and TestH3RateLadder and
// its negative control its live slice. On a rate ladder the sound engine's
// H3 is claim-false: with Poisson arrivals a long prompt's first token
// keeps waiting mostly on its own prefill up to the top rate (the prompt
// share P stays ≈ 0.8 with ~14 requests in flight), where a closed loop's
// workers, sending in waves, make first tokens wait on each other.
//
// Designs come in two sizes: the default, sized to give the same verdict in
// every run on a loaded 2-core machine within a few minutes, and the full
// one (HYPOBENCH_DESIGN=full, used by `make bench`). Against a real server,
// HYPOBENCH_REQUESTS and HYPOBENCH_CONCURRENCY scale them.
package hypotheses
