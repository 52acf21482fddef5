package main

import (
	"io"
	"time"

	hrun "github.com/hypobench/hypobench/run"
)

// targetHooks returns the phase hooks for a run against tgt: /metrics
// scraping (1 s interval plus every phase edge; a target without /metrics
// gets one notice).
func targetHooks(tgt *hrun.Target, apiKey, dir string, stderr io.Writer) []hrun.Hook {
	return []hrun.Hook{hrun.MetricsHook(tgt.URL, apiKey, dir, time.Second, 50*time.Millisecond, stderr)}
}
