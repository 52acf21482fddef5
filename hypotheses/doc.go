// Package hypotheses holds the seed's hypotheses H1–H4 as Go tests, with
// the workload design each one drives. `go test ./hypotheses/` runs them
// against HYPOBENCH_TARGET, or against the embedded engine when it is unset;
// every verdict lands in hypotheses.jsonl and hypotheses.md of the session's
// run directory (HYPOBENCH_RUN_DIR, or a new reports/<id>-hypotheses).
//
// Each hypothesis has a negative control: the same test against the
// embedded engine with the knob that makes the claim false, asserted to
// give fail (not pass, not merely inconclusive).
//
// Designs come in two sizes: the default, sized to give the same verdict in
// every run on a loaded 2-core machine within a few minutes, and the full
// one (HYPOBENCH_DESIGN=full, used by `make bench`). Against a real server,
// HYPOBENCH_REQUESTS and HYPOBENCH_CONCURRENCY scale them.
package hypotheses
