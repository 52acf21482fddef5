package main

import (
	"io"
	"time"

	hrun "github.com/hypobench/hypobench/run"
)

// targetHooks returns the phase hooks for a run against tgt: /metrics
// scraping (1 s interval plus every phase edge; a target without /metrics
// gets one notice). The API key goes to /metrics only with --metrics-auth
// (HYPOBENCH_METRICS_AUTH); it is scrubbed from the scrape log either way.
func targetHooks(tgt *hrun.Target, env hrun.Env, dir string, stderr io.Writer) []hrun.Hook {
	return []hrun.Hook{hrun.NewMetricsHook(hrun.MetricsConfig{BaseURL: tgt.URL, APIKey: env.APIKey, SendKey: env.MetricsAuth,
		Dir: dir, Interval: time.Second, Settle: 50 * time.Millisecond, Notices: stderr})}
}
