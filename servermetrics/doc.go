// Package servermetrics scrapes an inference server's Prometheus /metrics
// endpoint during a run and turns the scrapes into per-phase server-side
// evidence that can be set beside the client's own timings.
//
// The data path is:
//
//	/metrics text ──Parse──▶ []Sample ──Scraper──▶ server-metrics.jsonl
//	server-metrics.jsonl ──ReadFile──▶ []ScrapeLine ──Summarize──▶ []PhaseSummary ──FormatMarkdown
//
// Parsing the exposition format is delegated to
// github.com/prometheus/common/expfmt (a TextParser built with
// model.UTF8Validation, because the zero TextParser is invalid). What is
// hand-written here, because no library does it for a client that only
// holds two instant snapshots rather than a Prometheus TSDB:
//
//   - flattening parsed families back into the exposition's own series
//     (histograms as name_bucket{le}, name_sum and name_count; summaries as
//     name{quantile}, name_sum and name_count), so the JSONL keeps the raw
//     samples a reader would see with curl (parse.go; fetch.go does one
//     HTTP scrape, scraper.go the scrape loop and its log);
//   - the vocabulary that maps vLLM (V1 and the older V0 names), SGLang and
//     TGI metric names onto one set of quantities (vocab.go);
//   - counter and histogram deltas between a phase's start and end scrapes,
//     and a histogram quantile estimate that follows PromQL's
//     histogram_quantile exactly (histogram.go);
//   - the join with the client's records of the same phase (summary.go).
//     A phase is labelled by its load (PhaseSummary.Load): "c=4" for a
//     closed loop, "20 req/s" for an open-loop phase's target rate.
//
// # Scrapes
//
// A Scraper scrapes at the start and end of every phase (Mark) and at a
// steady interval (DefaultInterval, 1 s) in between. Each scrape is one JSON
// line of server-metrics.jsonl:
//
//	{"unix_ns":…, "took_ns":…, "phase":i or -1, "edge":"start|end|tick",
//	 "samples":[{"name":…, "labels":{…}, "value":…}, …]}
//
// unix_ns is the wall clock just before the request was sent; took_ns is the
// time until the body had been read. A failed scrape is written with "error"
// and no samples. A target without a usable /metrics (404, refused
// connection, an HTML page, text that does not parse) is reported once on the
// Scraper's notice writer and never fails the run; after a definite "there is
// no metrics endpoint here" answer (HTTP 404/405/410 or a body that is not the
// exposition format) the Scraper stops asking.
//
// # Summaries
//
// Every server-side quantity of a phase comes from the difference between the
// phase's "start" and "end" scrapes: counters as end − start, histograms
// bucket by bucket. Only a log with no edge scrapes at all (a runner that
// never called Mark) falls back to the nearest ticks around the phase
// window, with a warning that neighbouring requests may be included. A
// restart between the two scrapes (a changed _created value, or a counter
// that went backwards) makes the deltas unavailable rather than wrong. Means are Δsum/Δcount; quantiles are
// estimated from the Δbuckets by linear interpolation inside the bucket that
// holds the rank, as PromQL's histogram_quantile does (the lowest bucket
// starts at 0 when its bound is positive; a rank in the +Inf bucket returns
// the highest finite bound). Gauges (running, waiting, KV-cache usage) are
// read from every successful scrape inside the phase window.
//
// Anything the target does not expose is reported as not available; nothing
// is estimated from another quantity.
//
// The scrape log never holds the API key: Config.Secret is removed, in any
// case (record.Redact), from every metric name, label and error text before
// a line is written, whether or not the key was sent to /metrics.
package servermetrics
