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
// Load is closed-loop: a phase at concurrency c has c workers, each starting
// its next request when its last one ends. Warm-up requests run before the
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
// client-limited (RunConfig.ClientLimited). Files that could not be
// written whole (a full disk) are listed in RunConfig.WriteErrors. The
// progress line counts requests with no response byte for
// Config.StallAfter as stalled.
package run
