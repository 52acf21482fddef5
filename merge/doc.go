// Package merge joins the run directories of the shards of one sharded
// run — one run spread over many client machines, each writing a normal
// run directory with a "shard" field in its config.json — into one run
// directory that reports, hypotheses and compare read like any other.
//
// Nothing is summarised on the way: every raw record of every shard is
// written to the merged requests.jsonl (percentiles stay exact; merging
// histograms would lose them). A merged record differs from the shard's
// only where the merged run means something else: its id is prefixed with
// the shard ("s2-req_000017"), run_id is the merged run's, shard says
// which shard made it, start_unix_ns, end_unix_ns and (open loop)
// intended_unix_ns are put on the coordinator's clock, and a closed-loop
// record's concurrency is the phase's total over the shards (what the run
// as a whole held in flight); an open-loop record's concurrency, the
// requests in flight when it was sent, stays its own shard's count (the
// others' at that instant are not known exactly). Durations (TTFT, TPOT,
// ITL, E2E, queue) are on each client's monotonic clock and are kept as
// measured. Records are written in order of their corrected end, by a
// k-way merge of the shards' files (each already in end order), so the
// merge holds one record per shard at a time, not the run.
//
// Phases are aligned by index: the shards ran the same plan, so phase i is
// the same profile everywhere, and the merged phase i has the summed
// concurrency and requests and one window from the earliest corrected
// start to the latest corrected end. Its status is complete only when
// every shard of the run completed it. A shard that died mid-phase left
// no line for that phase; its records stand in (count, concurrency,
// first start, last end).
//
// An open-loop phase (run.Sharding: each shard sent its share of one
// plan-wide schedule) is merged by summing the shards' target, offered
// and achieved rates and max_concurrency caps, each shard's being its
// share; when every shard of the run wrote the phase's line, the target
// rate is set to the plan's rate the records carry, which the sum equals
// up to floating-point rounding (0.9/3 summed thrice is
// 0.8999999999999999), so the merged run groups and compares under the
// plan's rate label. Its send_lag is recomputed exactly from every
// merged record's queue_s, as a single process computes it.
//
// The shards' client self-checks (record.ClientCheck) are joined so that
// a shard found limited by its own client leaves the merged run limited:
// every reason is kept with its phase, its detail prefixed "shard i: ";
// lags the shards only summarised are pooled with quantiles taken as the
// largest shard's (an upper bound of the pooled quantile); CPU is the
// busiest shard's; median TTFT and total_s, run-wide and per phase, come
// exactly from the merged records.
//
// The plan check refuses (ErrPlanMismatch) shards that disagree on the
// shard count, claim one index twice, ran a different suite (compared as
// JSON values, so an open-loop suite's rates, arrival, cap and seed
// included), common start or phase slot (record.Shard StartAt and
// PhaseDurationNs), model or target, or list a different profile or arrival
// process (or open loop against closed) at one phase index, and completed
// shards that ran different phase lists. Shards of
// the run that were not given are refused (ErrMissingShard) unless
// Options.Partial. Seeds may differ: a runner gives each shard its own so
// that nonces, hence prefix-cache misses, stay distinct across shards.
//
// Clocks: each shard's config.json carries NTP-style estimates of its
// wall clock against a coordinator (package clocksync), taken when the
// shard starts and ends. The merge adds the offset to the shard's wall
// times, interpolating linearly between the first and the last estimate
// (held constant outside them). It warns, per shard, when the clock was
// off by more than the tolerance (ErrClockSkew: corrected, but the user
// should know), when the offset is known only to more than the tolerance
// (ErrClockUncertain: half the kept sample's round trip), when it drifted
// by more (ErrClockDrift), and when there was no estimate (ErrNoClock). The
// tolerance is ToleranceFraction (10%) of the merged run's median TTFT,
// never below MinTolerance (1 ms, the resolution reported), or a fixed
// value from Options.SkewTolerance. The latencies themselves do not
// depend on the wall clock; what skew distorts is the phase windows (the
// rates divide by them), the order of requests across shards, and the
// alignment with server metrics and kernel traces.
//
// server-metrics.jsonl is taken from the lowest-index shard that has one,
// its scrape times corrected like the records': every shard scraped the
// same target, and one log describes it for the whole run.
//
// A shard whose status is not complete (interrupted, or still "running"
// because its process died) is merged with every record it finished and
// a warning (ErrShardIncomplete); the merged run is then marked
// interrupted. The merged config.json lists every shard (record.MergedShard:
// directory, run id, status, records, offsets, delay) and every warning.
package merge
