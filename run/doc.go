// Package run opens a target — a URL or the embedded engine — with the
// client that talks to it (OpenTarget), executes a plan — a suite's phases
// (profile × concurrency) — against it and writes the run directory, whose
// file names and types package record defines:
//
//	reports/<run-id>/config.json     effective configuration, identity, status
//	reports/<run-id>/requests.jsonl  one record.Record per measured request
//	reports/<run-id>/phases.jsonl    one record.Phase per phase, in order
//	reports/latest                   symlink to the newest `hypobench run` directory
//	                                 (MarkLatest; hypothesis sessions do not move it)
//
// Load is closed-loop — a phase at concurrency c has c workers, each
// starting its next request when its last one ends — or open-loop for a
// suite with a rate, rates, ramp or trace (workload.Suite.OpenPlan): one
// dispatcher walks each phase's schedule in due order, sleeps until each
// request is due and starts it on its own goroutine, never waiting for a
// response; with max_concurrency it first waits for a free slot, and that
// wait is send lag (queue_s) too. Open-loop records carry the due instant
// and the latencies from it; the phase its target, offered and achieved
// rate and send-lag distribution (record.Phase).
//
// Every run checks its own client (SelfCheck, DefaultSelfCheck): the
// process's CPU when the server runs elsewhere (Config.ExternalTarget; the
// embedded engine shares the process, so then only the client's own
// signals count: the scheduler's lateness and the client's send lag), a
// sleeping goroutine's lateness, the client's share of send lag (judged run-wide and
// per open-loop phase, so a phase starved alone is not diluted in the
// run's figures; ClientCheck.Phases), the read→parse delay (the time from
// a read returning to its event's JSON being parsed, one clock reading
// per event in package openai, openai.Result.ParseMean), and each
// uncapped open-loop phase's achieved rate, and for an in-process engine
// (Config.Engine) the share of its virtual time lost to host stalls
// (engine_stall). The result is config.json's client_check; a run it flags has every hypothesis verdict made
// inconclusive (verdict.ForRun); a phase's own reason names the phase
// (record.ClientReason.Phase), so a capacity sweep can tell a starved
// saturated rate from one below the knee (capacity.Result.Bearing).
// Warm-up requests run before the
// first phase and are not recorded. Records are written whole and flushed as
// each request ends. Cancelling the context stops new requests, lets
// in-flight ones finish for a grace period, then cancels them (they become
// records of class record.ClassCanceled), and marks the run
// record.StatusInterrupted; closing Config.Abort (a second Ctrl-C) ends the
// grace at once. An embedded engine outlives the context, so its streams
// get the grace too.
//
// Configuration has one validation path: each HYPOBENCH_* variable and
// its flag (Env.BindFlags) go through the same parser, Env.Validate checks
// an Env built in code by the same rules, and ApplySuite/ConfigureSuite
// validate a suite with its overrides and confine every name that becomes
// a path (record.CheckName). FuzzConfig fuzzes the whole path.
//
// CheckFDs is the one resource check: it raises RLIMIT_NOFILE's soft limit
// to the hard one (Linux) and refuses a concurrency whose descriptors
// cannot fit. CheckSuiteFDs plans a suite (PlannedStreams): a closed
// loop's top concurrency, an open-loop phase's max_concurrency, or for an
// uncapped phase the most requests its schedule makes due within
// AssumedLatency (60 s, or the request timeout if shorter) — an estimate,
// and its refusal says so and names max_concurrency. Requests that still run out of descriptors are records of
// class record.ClassClientLimit, and the run's config.json is marked
// client-limited (a ClientCheck reason with code record.ReasonFD). Files that could not be
// written whole (a full disk) are listed in RunConfig.WriteErrors. A final
// config.json that cannot be written atomically is rewritten in place (its
// blocks need no free space); failing that, Execute returns
// ErrStatusNotRecorded rather than leaving status "running" unsaid. The
// progress line counts requests with no response byte for
// Config.StallAfter as stalled.
//
// Config.DesignProgress receives the design-level progress: requests done
// of the plan's total, phases ended, elapsed time and the time remaining at
// the pace so far (a request weighed 1/c at concurrency c, the waves it
// makes), at every phase end and every Config.ProgressEvery
// (10 s) between them, as plain lines for a log or a test's output
// (Config.Progress keeps the per-phase line, redrawn on a terminal).
//
// A design can be sized to a time budget (HYPOBENCH_BUDGET, Env.Budget):
// MeasurePilot runs the design's pilot (PilotSuite: its extreme levels,
// PilotRequests of each profile) and measures the target's mean request
// time per level, the run's overheads and the per-request spread (Costs);
// Costs.Estimate prices any closed-loop design from them (interpolating
// inner levels); SizeDesign keeps the design when it fits 80% of the
// budget (DefaultBudgetMargin), else cuts repetitions and rounds (never
// below Budget.MinRounds, 3) to the narrowest predicted interval that
// fits, then drops inner levels (never the extremes), and says what power
// is left (Sizing.String) — or refuses with a *BudgetError naming the
// budget needed. An open-loop design is priced by its schedule and never
// cut.
//
// A run can be one shard of a run spread over several client machines
// (Config.Sharding, `hypobench run --shard i/N`): it executes its share of
// every phase (SplitPlan; an open-loop phase's share is a round-robin
// thinning of one plan-wide schedule, see Sharding), optionally in time
// slots common to all shards (required for an open-loop suite),
// and writes a normal run directory whose config.json says which shard it
// is and carries its clock estimates; package merge joins the shards.
package run
