package hypotheses

import (
	"fmt"
	"strings"

	"github.com/hypobench/hypobench/servermetrics"
)

// ServerEvidence turns the per-phase /metrics summaries of a concurrency
// ladder into H3's server-side evidence lines: the share of server request
// time in prefill, tokens per engine step and the queue's share of TTFT per
// concurrency level, as the server reported them. Missing quantities are
// said to be missing; nothing is estimated in their place. It returns nil
// when no phase has server data.
func ServerEvidence(sums []servermetrics.PhaseSummary) []string {
	var out []string
	for _, p := range sums {
		if p.Bracket == "" {
			continue
		}
		var parts []string
		add := func(name string, v *float64, format string) {
			if v == nil {
				parts = append(parts, name+" n/a")
				return
			}
			parts = append(parts, fmt.Sprintf("%s "+format, name, *v))
		}
		add("prefill share of server time", p.PrefillShare, "%.3f")
		if p.StepTokens != nil {
			add("tokens per engine step", p.StepTokens.Mean, "%.1f")
		} else {
			parts = append(parts, "tokens per engine step n/a")
		}
		add("queue share of TTFT", p.QueueShareOfTTFT, "%.3f")
		add("client − server TTFT", p.TTFTGapMean, "%.4f s")
		if p.Running != nil {
			parts = append(parts, fmt.Sprintf("running mean %.1f", p.Running.Mean))
		}
		out = append(out, fmt.Sprintf("server (%s /metrics) c=%d: %s", p.Dialect, p.Concurrency, strings.Join(parts, ", ")))
	}
	return out
}
