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
// record.StatusInterrupted.
//
// A run can be one shard of a run spread over several client machines
// (Config.Sharding, `hypobench run --shard i/N`): it executes its share of
// every phase (SplitPlan), optionally in time slots common to all shards,
// and writes a normal run directory whose config.json says which shard it
// is and carries its clock estimates; package merge joins the shards.
package run
