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
// # Page
//
// index.html is rendered with html/template (every string escaped): the
// verdict table first ("no hypotheses were run" when there are none), the
// configuration from config.json (secret-looking keys redacted), the
// summary tables, the plots inlined as data: URIs, the server-metrics and
// kernel-trace sections when available, notes on what was left out, and the
// skipped lines. It uses inline CSS, no external resource and no server. A
// short inline script records each image's natural width after load; the
// browser test reads it back from headless Chromium.
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
