// Package record owns the run directory: the data contract between the
// runner, the statistics, the comparisons and the reports. It defines the
// per-request Record, the Phase window, the RunConfig written to
// config.json, the names of every file in a run directory (RequestsFile,
// PhasesFile, ConfigFile, ServerMetricsFile, ...), the run and phase
// Status values, the ErrorClass of a failed request, ErrNoRecords, the
// JSONL codecs and the atomic write (WriteFileAtomic) every writer of a
// run directory uses, the confinement of every user-supplied name that
// becomes a path (CheckName, Join) and the one redaction of the API key
// (Redact, case-insensitive). No other package declares these.
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
//   - Chunking (chunking): "reported" when the server said how many tokens
//     each content event carried, "unknown" otherwise. Servers that batch
//     output (vLLM's stream interval) or decode speculatively send several
//     tokens in one event, and a gap then spans several tokens. The counts
//     come from the event's cumulative count of generated tokens:
//     llama.cpp's timings.predicted_n (request "timings_per_token": true) or
//     usage.completion_tokens on every event (vLLM's and SGLang's
//     stream_options.continuous_usage_stats). ChunkTokens (chunk_tokens) =
//     each content event's count minus the previous content event's (the
//     first minus 0); ITLToken (itl_token_s) = ITL[i] / ChunkTokens[i+1],
//     one entry per gap, to be weighted by ChunkTokens[i+1] in a per-token
//     summary. TTFT and TTFTText are unchanged by it.
//   - Queue (queue_s) = t0 − the instant the request was due (closed loop: the
//     instant its worker became free; open loop: its scheduled send time, so
//     queue_s is the send lag, a max_concurrency cap's wait included).
//   - Open loop only: intended_unix_ns is the due instant on the wall clock;
//     TTFTIntended (ttft_intended_s) = c_1 − due = queue_s + ttft_s and
//     TotalIntended (total_intended_s) = end of body − due = queue_s +
//     total_s, the latencies free of coordinated omission; target_rate is
//     the phase's target rate; and the seed's concurrency field holds the
//     requests in flight when the request was sent, itself included (in a
//     closed loop it is the phase's worker count).
//
// RunConfig.ClientCheck is the runner's check on its own client; when its
// Reasons are not empty the client, not the server, may have limited the
// run (ClientLimited), and every verdict on the run is inconclusive. For
// the embedded engine it also holds the share of the run's virtual time
// the engine lost to host stalls (EngineStallShare), a reason
// (ReasonEngineStall) above the runner's threshold.
//
// The embedded engine also stamps every token's event with its simulated
// time since the request reached the engine ("hb_sim_ns", see package
// engine); the record keeps the server's figures beside the client's:
// sim_ttft_s, sim_ttft_text_s, sim_e2e_s and sim_itl_s, in seconds of the
// modelled GPU's time. The engine's speed S is config.json's
// meta.engine.speed. TimeBase says in whose time a run is shown and
// SimTime converts a record: shown = wall + sim × (1 − 1/S), the server's
// simulated time plus the client's overhead unscaled.
//
// ReadRecords holds a whole requests.jsonl; ScanRecords streams it for
// runs of millions of records (reports, compare, merge), reading it in
// blocks whose lines are decoded in parallel and calling back in file
// order, with the same *LineError values for bad lines. ScanFields does
// the same decoding only a selection of fields (Fields), for consumers
// that read few: a report reads 24 of the 44 fields (the simulated-time
// stamps, sim_itl_s among them, only when it shows simulated time), a
// comparison every field but the arrays, which are most of a record's
// bytes.
//
// ScanFields' decoder is hand-written (scanfast.go): one pass over a
// line that validates what it skips and converts only what is selected,
// for the records hypobench writes (exact keys, plain ASCII strings,
// numbers that fit); every other line — escapes, a key in another case, a
// repeated key, a type mismatch, deep nesting, trailing data — goes to
// encoding/json, so each line gives encoding/json's result for the
// selected fields, errors included (FuzzFastDecode checks it). The
// libraries were measured first, on 4,000 lines of a synthetic run, in µs
// a line against encoding/json's 73 (a loaded 2-core machine):
// goccy/go-json v0.12.0 decoding into a struct of the selected fields 7.8,
// but nothing can tell when it disagrees with encoding/json (it claims
// compatibility, not equality) to fall back; valyala/fastjson v1.6.10
// 6.6 only to parse into a tree walked afterwards, and it accepts NaN and
// Inf, so lines would need validating again; gjson and buger/jsonparser
// do not validate what they skip; bytedance/sonic runs on amd64 only. The
// scanner decodes the same lines 12–20 times faster than encoding/json
// (BenchmarkDecode, same machine and load), with the fallback under its
// control.
package record
