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
// sleeping goroutine's lateness, the client's share of send lag, and each
// uncapped open-loop phase's achieved rate. The result is config.json's
// client_check; a run it flags has every hypothesis verdict made
// inconclusive (verdict.ForRun). The time between a read returning and
// its event being parsed is not sampled: the client records the read
// instant and parses on the same goroutine right after, so it would cost
// one more clock reading per event in package openai. Warm-up requests run before the
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
// cannot fit. Requests that still run out of descriptors are records of
// class record.ClassClientLimit, and the run's config.json is marked
// client-limited (a ClientCheck reason with code record.ReasonFD). Files that could not be
// written whole (a full disk) are listed in RunConfig.WriteErrors. The
// progress line counts requests with no response byte for
// Config.StallAfter as stalled.
//
// A run can be one shard of a run spread over several client machines
// (Config.Sharding, `hypobench run --shard i/N`): it executes its share of
// every phase (SplitPlan), optionally in time slots common to all shards,
// and writes a normal run directory whose config.json says which shard it
// is and carries its clock estimates; package merge joins the shards.
package run
