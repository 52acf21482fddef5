// Package kerneltrace reads GPU kernel traces, cuts them into the phases of
// a hypobench run and computes per-phase kernel statistics: what H4
// (prefill-heavy phases spend a larger share of GPU kernel time in long
// kernels, decode-heavy phases launch short kernels more densely) is decided
// on. The H4 test itself, a window bootstrap over an Analysis, is
// hypotheses.H4Trace.
//
// # Inputs
//
// Three formats load into the same Trace (kernels as Event values, NVTX
// ranges as Range values, an optional absolute time base):
//
//   - Nsight Systems SQLite exports (nsys export --type sqlite), read with
//     the pure-Go driver modernc.org/sqlite, read-only. Kernel start/end in
//     CUPTI_ACTIVITY_KIND_KERNEL are nanoseconds from the session start;
//     TARGET_INFO_SESSION_START_TIME.utcEpochNs is that start's unix time
//     (checked against public analysis scripts that add the two; nsys
//     itself documents GPU_METRICS and CUPTI timestamps as session-relative).
//     NVTX_EVENTS ranges come along when present.
//   - nsys stats --report cuda_gpu_trace (or the older gputrace) CSV: times
//     relative to the capture start, no absolute base. Give the base
//     (Trace.SetBase, the CLI's --base-unix-ns), or let Phases align the
//     first kernel with the first phase and warn that the cut is approximate.
//   - PyTorch profiler / kineto Chrome traces, plain or gzipped: ts and dur
//     in microseconds relative to baseTimeNanoseconds (unix ns). This is what
//     vLLM writes after /start_profile + /stop_profile, and what the embedded
//     engine writes.
//
// Rows are sorted after reading; nothing depends on storage order.
// Malformed input gives a *ParseError naming the file and the line (CSV),
// byte offset (JSON) or table and rowid (SQLite).
//
// # Phases and statistics
//
// Phases places phases.jsonl's wall-clock windows (record.Phase) on the
// trace's clock, or uses NVTX ranges named after the profiles. A kernel
// belongs to the phase its start lies in; kernels in no phase are counted.
// Analyze gives per phase: kernel count and time, busy time (interval
// union), long-kernel share of kernel time, short-kernel density per ms,
// p50/p90/p99 of durations (stats.QuantileSorted, type 7), and the top
// kernel names classified GEMM / attention / element-wise / other by name
// pattern (Classify; KV-cache writes such as vLLM's
// reshape_and_cache_flash_kernel are copies, hence element-wise, even
// though their names say flash). WindowSums is one time window's sums
// after a long/short split, the unit H4's bootstrap resamples.
// "Long" is a stated threshold or SplitLog10's adaptive split (Otsu on
// log10 durations); the Threshold in the result says which, and its value.
//
// Hand-written: no Go library reads nsys exports or kineto traces; the CSV
// and JSON readers use encoding/csv and encoding/json (a streaming Decoder,
// so a large trace is not held twice in memory).
package kerneltrace
