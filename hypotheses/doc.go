// Package hypotheses holds the seed's hypotheses H1–H4: the analyses that
// turn records (or a kernel trace) into verdicts, the workload design each
// one drives, and the Go tests that run them.
//
// The analyses are ordinary code, side by side: H1 (TTFT follows prefill),
// H2 (TPOT follows decode), H3 (the bottleneck moves to memory-bound decode
// as concurrency rises; ServerEvidence adds the server's /metrics), and H4
// (the kernel timeline follows the workload: H4Trace bootstraps time
// windows of a kerneltrace.Analysis, H4 makes the verdict). Each returns a
// verdict.Verdict; Options holds α, the resample count and the seed. They
// never import testing, so the CLI links them (hypobench trace prints H4).
//
// The tests, `go test ./hypotheses/`, run them against HYPOBENCH_TARGET, or
// against the embedded engine when it is unset; every verdict lands in
// hypotheses.jsonl and hypotheses.md of the session's run directory
// (HYPOBENCH_RUN_DIR, or a new reports/<id>-hypotheses), written and judged
// by verdict/verdicttest.
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
