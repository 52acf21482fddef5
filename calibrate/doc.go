// Package calibrate measures a check's operating characteristics at the
// null boundary in virtual time: it generates the records a design would
// produce, from the embedded engine's virtual-time core (package predict,
// the same records and run layout a live run writes), under a stated
// noise model, with the engine tuned so that the true effect sits exactly
// where the check draws its line; it then runs the check on thousands of
// such sessions and counts how often it passes, fails and covers the
// truth. It is public because a user who writes a check of their own will
// want to calibrate it the same way.
//
// # The regression gate
//
// GateDesign is one gate experiment: the base engine, the suite every run
// executes, the group whose records are kept, the rounds per side and
// their Layout (ABBA, ABAB or Sequential), and the Noise. Slower makes an
// engine whose GPU is k times slower (memory bandwidth and peak FLOP/s
// divided by k; the host-side step overhead and the API front-end keep
// their cost, so a latency's ratio is not k); Truth simulates both engines
// once without noise and returns the true ratio of a quantile; Tune
// bisects k until that truth equals a target (1.05 for a 5% budget). The
// truth is computed, never assumed.
//
// GateSim then draws sessions. What is simulated and what is resampled:
// each side's engine is simulated Pool times with the design's step-time
// jitter inside the engine (engine seeds 1…Pool on both sides: common
// random numbers, so the two pools differ by the slowdown rather than by
// their draws), which gives runs whose closed-loop batching and phase
// alignment vary as live runs do; a session draws each of its runs from
// its side's pool and applies fresh per-session noise — a per-round level
// effect (shared by a pair in interleaved layouts, per run in a
// sequential one), an unshared run-to-run factor, a steady drift per run
// slot and per-request noise. A fresh simulation costs about 4 ms per run,
// minutes for 4,000 sessions of 32 runs; the pool is the documented
// shortcut.
//
// DefaultNoise holds the values the gate's calibration uses: 7% step
// jitter, per-round level log-sd 0.2, 1% run-to-run, 0.5% drift per run
// slot, 3% per request.
//
// Rates counts outcomes and coverage; UpperBound and LowerBound are exact
// Clopper–Pearson bounds (gonum's Beta quantile). TestGateCalibration
// asserts the gate's figures in `make test` and checks that
// compare.Calibrated, which compare prints beside its verdicts, matches
// them; TestGateDetectionCurve measures the fail rate by rounds on
// request. compare's doc.go lists the figures and the commands.
//
// # H4's kernel streams
//
// KernelTrace runs a suite on the engine in virtual time and returns the
// kernel trace its profiler would write (engine.Simulator.Kernels, through
// predict.Options.Kernels): H4's design on every GPU/model profile in
// about a second instead of the run's wall time. PhaseMix is a phase's
// kernel stream in expectation (per window: long blocks, short fragments,
// mean block length, kernel time per fragment; MixOf derives it from a
// trace's window sums), and KernelNoise.Windows draws a phase's windows
// from it: Poisson counts (gonum's distuv.Poisson), a per-window
// composition factor on block lengths and a clock factor on every
// duration, both AR(1) across adjacent windows, a centred drift over the
// phase and an optional per-phase level. Every factor is mean-one, so the
// true ratios are the mixes'. DefaultKernelNoise holds the values H4's
// calibration (hypotheses/h4calib_test.go) uses; the true effect is
// tuned there by scaling the prefill-heavy mix, not the engine.
//
// # Round-based designs (H1–H3)
//
// DesignSim is the same pool-and-noise scheme for a design whose rounds
// are its independent units (H1Design, H2Design, H3Design in package
// hypotheses): the engine's virtual-time core runs the suite a number of
// times with step jitter, every round goes into a pool, and a session
// draws the design's number of rounds from it with a fresh per-round
// level, a per-session run factor, a drift over the session and
// per-request noise. Adjust closes the last gap between an engine's
// effect and a target exactly (a factor on one level's latencies moves a
// round's log ratio of medians by exactly its log), Prune drops the
// records a check never reads, Truth estimates the true effect as the
// mean round estimate, and Rates.Count tallies outcomes and coverage.
// hypotheses/h123calib_test.go uses them; the commands and figures are in
// hypotheses/doc.go and the calibration note.
package calibrate
