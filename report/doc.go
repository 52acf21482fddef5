// Package report turns a run directory into the reports people read:
// summary.json and summary.md, plots in PNG and SVG under plots/, and one
// self-contained index.html. Everything is rebuilt from the directory's
// files alone (requests.jsonl, phases.jsonl, config.json, hypotheses.jsonl,
// and server-metrics.jsonl and a kernel trace when present), never from live
// objects, so `hypobench report DIR` regenerates them at any time and the
// same input gives byte-identical files.
//
// # Summary
//
// Summarize groups records by suite × profile × concurrency. Per group it
// counts records, successes and errors by class, and the records left out
// of each metric and why: errored records are left out of every latency
// metric; a successful record with an undefined metric (TPOT for fewer than
// 2 output tokens, TTFT-to-text when no text arrived) is counted, never
// averaged in. For TTFT (ttft_s and ttft_text_s), TPOT, ITL (the gaps of
// every successful request pooled), E2E and total_s it gives n, the mean and
// p10/p50/p90/p99 (stats.Quantile, Hyndman–Fan type 7) with 95%
// distribution-free intervals (stats.QuantileCI: order statistics from the
// binomial distribution; null where n is too small for the level). Metric
// definitions are record's (see package record). Rates divide by the summed
// phase windows of phases.jsonl, or the span of the group's records without
// them: output tokens/s, successful requests/s and, given SLO thresholds,
// goodput (requests meeting every threshold, as a fraction of all records
// and per second).
//
// # Plots
//
// Plots uses gonum.org/v1/plot: per suite, total latency, TTFT and TPOT
// against concurrency (p50 with p10–p90 error bars, one line per profile,
// the seed's three); TTFT against prompt tokens (H1) and E2E against output
// tokens (H2) at the lowest concurrency with a Theil–Sen line
// (stats.TheilSen, on a fixed-stride sample of 2,000 points above that);
// empirical CDFs of TTFT and E2E per suite and profile, one line per
// concurrency; and, when a kernel trace is analysed (package kerneltrace),
// the kernel-duration distribution per profile with the long/short
// threshold. Axes carry units; an axis whose positive values span more than
// two decades is logarithmic. Scatter plots draw at most about 3,000 points
// and CDF lines 400, thinned by fixed strides, so output stays small and
// deterministic. PNGs are rendered at 110 dpi; SVGs name their fonts
// instead of embedding them, so they stay small (a viewer without
// Liberation fonts substitutes a similar face).
//
// # Time
//
// A run of the embedded engine is shown in the modelled GPU's simulated
// time (record.TimeBase from config.json's meta.engine), under a banner
// naming the GPU, the model and the compression: each latency is the
// engine's stamped server time plus the client's measured overhead,
// unscaled (record.SimTime), and each group's rate window is stretched by
// the ratio of its records' total_s as shown to as measured, so rates are
// per simulated second. An open-loop group's target rate and the
// open-loop phases' target, offered and achieved rates are divided by the
// speed S (a run at speed S offers R/S requests per simulated second:
// Group.RateShown, record.TimeBase.RateFactor), the phases' latencies are
// the simulated ones and their send lag stays the client's wall-clock
// delay; the capacity section stays wall-clock, as its sweep's flags were
// given, says so, and restates the capacity per simulated second.
// Options.WallClock (hypobench report --wall-clock)
// shows the figures as measured. A prediction is in simulated time
// already; another target is shown as measured. summary.json carries the
// time base ("time") and its banner; summary.md, the plots' axes and the
// page say it. The server-metrics and kernel-trace sections stay in the
// time their sources give.
//
// # Page
//
// index.html is rendered with html/template (every string escaped) and
// reads top-down (Page lists the section order and ids): the time banner,
// what was tested (target, model, GPU, time, suite), one sentence per
// verdict (verdict.Sentence), the operating characteristics of every
// check of H1–H4 and the regression gate beside its outcome on the run
// (hypotheses.CalibrationOf: the figures the calibration tests measured
// and check against their tables; a user's hypothesis has none), the
// plots, a reserved place for the open-loop sections
// (capacity plots, the client's self-check), the verdict and summary
// tables, the server-metrics and kernel-trace sections when available,
// the configuration from config.json grouped by its first key and
// collapsed in <details> (secret-looking keys redacted), notes on what was
// left out, and the skipped lines. It uses inline CSS, no external
// resource and no server. A short inline script records each image's
// natural width after load; the browser test reads it back from headless
// Chromium, and checks that the banner and the verdict sentences come
// before the first table.
//
// # Memory
//
// Build never holds the run's records: it streams requests.jsonl
// decoding only the fields it reads (record.ScanFields) and keeps per
// record only a row of them (176 bytes with no pointers, so the garbage
// collector never scans the rows; durations exact, as float64), plus each
// group's pooled ITL gaps. Those are exact (float64)
// up to ExactITLGaps in the whole run; beyond, every group's are held as
// float32 — each ITL quantile then lies within a relative 2⁻²⁴ of the
// exact one, the mean comes from a compensated float64 sum of the exact
// gaps (it may differ from the in-memory path in the last digits), and a
// note says so; a figure shown rounded can then flip its last digit at a
// rounding edge. Spilled pools are sorted by radix on their float32
// bits, and only the order statistics the figures read are widened.
// BenchmarkBuild gives the figures (HYPOBENCH_REPORT_DIR keeps its run
// for timing the CLI on it); measured on a loaded 2-core machine, 1M
// records (2.7 GB): 26 CPU-s and 913 MiB peak RSS with the CLI's default
// 900 MiB soft memory limit (186 CPU-s and 1,091 MiB before ScanFields
// and these layouts).
//
// # Errors
//
// A corrupt or truncated JSONL line is skipped and reported with its file
// and line number (record.LineError): on Options.Log as it is found, and in
// the "Skipped lines" sections of summary.md and index.html. Only a missing
// requests.jsonl (record.ErrNoRecords) or an unreadable file stops Build.
//
// # What is hand-written
//
// The grouping, the tables and the page are specific to hypobench's record
// and are written here; quantiles, intervals and fits come from package
// stats, drawing from gonum/plot, escaping from html/template. Where the
// server-metrics and kernel-trace sections come from: packages
// servermetrics (ReadFile, Summarize, FormatMarkdown) and kerneltrace
// (Load, Analyze).
package report
