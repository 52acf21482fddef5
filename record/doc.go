// Package record owns the run directory: the data contract between the
// runner, the statistics, the comparisons and the reports. It defines the
// per-request Record, the Phase window, the RunConfig written to
// config.json, the names of every file in a run directory (RequestsFile,
// PhasesFile, ConfigFile, ServerMetricsFile, ...), the run and phase
// Status values, the ErrorClass of a failed request, ErrNoRecords, the
// JSONL codecs and the atomic write (WriteFileAtomic) every writer of a
// run directory uses. No other package declares these.
//
// A run directory holds requests.jsonl (one Record per line, written whole and
// flushed as each request ends, through a Writer from OpenAppend),
// phases.jsonl (one Phase per line) and config.json (one RunConfig, written
// when the run starts and rewritten when it ends). Readers report a corrupt
// line with its line number and skip it; nothing is silently dropped.
//
// Sharded runs add three optional fields, absent otherwise: a shard's
// config.json has Shard (its index, the shard count and its ClockEstimate
// values against the coordinator); a run merged from shards (package
// merge) has Shards (one MergedShard each) in config.json and Shard on
// every record.
//
// Metric definitions, on the client's monotonic clock:
//
//   - t0 is the instant just before the request is written to the connection.
//   - c_k is the arrival of the k-th SSE event carrying at least one choice.
//   - TTFT (ttft_s) = c_1 − t0. TTFTText (ttft_text_s) = arrival of the first
//     event whose text (or chat delta content) is non-empty − t0.
//   - E2E (e2e_s) = arrival of the last content event − t0; the usage-only
//     event and [DONE] are excluded.
//   - Total (total_s, the seed's field) = end of the response body − t0.
//   - TPOT (tpot_s) = (E2E − TTFT) / (N − 1), defined only for N ≥ 2, where N
//     is the server's usage.completion_tokens, falling back to the counted
//     content chunks (TokenSource says which; a disagreement is recorded).
//   - ITL (itl_s) = gaps between consecutive content events.
//   - Queue (queue_s) = t0 − the instant the request was due (closed loop: the
//     instant its worker became free).
package record
