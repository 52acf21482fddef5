// Package experiment is hypobench's public API for stating a claim about
// an inference server and checking it from a Go test in one's own module:
// take the target from the environment, declare a design, run it, apply
// checks from a menu, and get a verdict.Verdict written to the run's
// reports exactly as H1–H4's are.
//
//	func TestPrefixCaching(t *testing.T) {
//		s := experiment.Open(t) // HYPOBENCH_TARGET, or the embedded engine
//		r := s.Run(t, experiment.AB{Name: "prefix-caching",
//			A: experiment.Arm{Label: "shared", Request: experiment.Request{PromptRep: 1000, MaxTokens: 1, SharedPrompt: true}},
//			B: experiment.Arm{Label: "unique", Request: experiment.Request{PromptRep: 1000, MaxTokens: 1}}})
//		v := r.Verdict("prefix-caching", "a shared prompt halves TTFT",
//			experiment.Ratio(experiment.Median(experiment.TTFT), "shared", "unique").Below(0.5))
//		verdicttest.Report(t, r.SessionDir, v) // hypotheses.jsonl/.md; fails t on fail or inconclusive
//	}
//
// The name: an experiment is what a user designs and runs to test a claim;
// "hypotheses" is the package of the built-in claims H1–H4 (which use this
// one), and "verdict" the vocabulary the outcome is written in.
//
// # Session and target
//
// A Session (Open, Shared, NewSession) holds the HYPOBENCH_* configuration
// (run.LoadEnv): HYPOBENCH_TARGET, or the embedded engine when it is unset
// (HYPOBENCH_ENGINE, HYPOBENCH_SPEED — DefaultSpeed when unset —,
// HYPOBENCH_SEED). A design's Target may instead name an embedded engine
// of its own (Embedded, from DefaultEngine so that it runs at the
// session's speed), as negative controls and A/Bs of two engines do, or a
// server of its own (Server: the other build of an A/B).
// Every design runs once per session (memoised by name) into
// <session dir>/<design name>/, a normal run directory per run; the session
// directory is HYPOBENCH_RUN_DIR or a new reports/<id>-experiments, and it
// collects hypotheses.jsonl and hypotheses.md. Session.RunSuite runs a
// workload.Suite of one's own the same way (with extra run hooks, such as
// a profiler), and Session.Finish stamps a verdict made by an analysis of
// one's own on such runs (H1–H4's) as Result.Verdict stamps its own.
// Because designs are memoised, `go test -count=N` repeats the checks, not
// the measurement: repeat a measurement by running the test process again.
//
// A run's nonces come from its suite's seed salted with the session's
// (HYPOBENCH_SEED, else drawn per session) and the run's name, so that no
// two runs, designs or sessions send one nonce'd prompt twice to a server
// whose prefix cache outlives them. A run whose client limited its own
// measurement (run.SelfCheck) is measured again, up to ClientRetries
// times (DefaultClientRetries), with fresh nonces; the flagged attempts
// stay beside it and are named in the verdict's Info. The choice looks at
// the client's check only, never at the data.
//
// Records are read back in the run's time (record.TimeBase): an embedded
// engine's runs are compressed ×speed and shown in the modelled GPU's
// simulated time, and the verdict's Time names it (outcomes are the same
// in either time); Run.Wall keeps the records as measured. A design that
// mixes the two — an embedded engine against a server — is compared on
// the wall clock (Result.WallClock), and its verdict's Time says so.
//
// # Designs
//
//   - Ladder varies one request parameter — PromptRep, MaxTokens,
//     Concurrency, or Rate (open-loop phases, Poisson arrivals) — over
//     levels. A prompt or output ladder is one run whose rounds each
//     interleave every level's requests at random; a concurrency ladder
//     one run whose rounds take the levels in a random order; a rate
//     ladder one open-loop run per round, rates in a random order.
//   - AB compares two arms: two request variants, or one request on two
//     targets. Arms that differ only in prompt and output length on one
//     target share one run, their requests interleaved; otherwise every
//     round runs the arms one after the other in a random order, each run
//     with its own warm-up and its own nonce seed (no run's prompt is a
//     cache hit on another's).
//   - Suite wraps a workload.Suite of one's own, grouped by profile or by
//     a function.
//
// Every design runs in rounds (DefaultRounds) with DefaultRequests per
// level per round and DefaultWarmup unrecorded warm-up requests.
//
// # Checks
//
// A check compares a Measure — a Metric's (TTFT, TTFTText, E2E, TPOT,
// TTFTFromDue) median or quantile over a round's requests — across the
// result's groups:
//
//	Ratio(m, a, b).Below(x) / .Above(x)        per-round a/b, on the log scale
//	Difference(m, a, b).Below(x) / .Above(x)   per-round a − b
//	Ratio(m, a, b).Within(margin)              equivalence (TOST): a/b in [1/(1+margin), 1+margin]
//	Ratio(m, cand, base).NonInferior(margin)   non-inferiority: cand/base below 1+margin
//	SLO(m, bound).UpTo(x)                      per group up to level x: m below bound
//	Trend(metric, Rising)                      Kendall τ-b over requests, permutation p (as H1/H2)
//	Elasticity(m).Below(1) / .Above(0)         per-round log-log Theil–Sen slope over the levels
//
// The round is the unit of every check but Trend: one estimate per round,
// and the t interval of their mean (stats.TInterval) at level 1 − 2α,
// α = 0.05 (the convention of package verdict): pass only when the
// interval lies wholly on the claimed side of the bound (inside the
// equivalence band: the two one-sided tests), fail when it lies wholly on
// the other side (outside the band), inconclusive otherwise or with fewer
// than MinRounds rounds — and then the check says about how many rounds
// would likely decide it (NeededN, in requests per group). Trend's unit is
// the request, sound at concurrency 1 only. Check is an interface: a
// check of one's own implements Decide and Measure, and may decide by the
// same two tests the menu and H1–H4 use: RoundCheck (a RoundSpec and one
// estimate per round: LogRatio, LogLogSlope) and KendallTrend. Options
// (α, resamples, seed) are hypotheses.Options too.
//
// Result.Verdict combines the checks (verdict.Combine: any fail fails),
// adds an evidence row per group (EvidenceRow), names the design, target and time base,
// and makes the verdict inconclusive when any run's client limited its own
// measurement (verdict.ForRun on each run's config.json). verdicttest.Report
// writes it (verdict.Append) and fails the test on fail, and on
// inconclusive unless HYPOBENCH_ACCEPT_INCONCLUSIVE=1; verdicttest.Record
// writes it without judging (a negative control asserts fail itself).
//
// # Budgets and progress
//
// Two fields of Session are the hooks for a user's time: Progress
// receives the runner's progress lines — per phase (requests done/total,
// elapsed) and per run of a design (run.Config.DesignProgress: requests
// done of the plan's total, phases, elapsed, time remaining; every 10 s
// and at each phase end) — and Sizer is called before every run with the
// open target and the suite, and may resize it or refuse with the budget
// it would need; what it says lands in the verdict's Info. With
// HYPOBENCH_BUDGET=5m and no Sizer, a session uses BudgetSizer: a pilot
// at the design's extreme levels prices each run, which is cut to fit
// (fewer repetitions, rounds — never below 3 — then inner levels) or
// refused before it starts (run.SizeDesign).
//
// Everything here is written on the project's own packages (run,
// workload, stats, verdict); no outside library does experiment designs
// over an OpenAI-compatible server. The package never imports testing:
// TB is the part of testing.TB it needs.
package experiment
