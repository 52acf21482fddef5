package hypotheses

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hypobench/hypobench/servermetrics"
)

// ServerEvidence turns the per-phase /metrics summaries of a concurrency
// ladder into H3's server-side evidence lines, one per concurrency level:
// the share of server request time in prefill, tokens per engine step, the
// queue's share of TTFT, the client − server TTFT gap and the running
// requests, each the mean over the level's phases (one per round) that
// reported it, as the server reported them. Missing quantities are said to
// be missing; nothing is estimated in their place. It returns nil when no
// phase has server data.
func ServerEvidence(sums []servermetrics.PhaseSummary) []string {
	type level struct {
		dialect string
		c       int
	}
	type acc struct{ sum, n float64 }
	byLevel := map[level]map[string]*acc{}
	phases := map[level]int{}
	var keys []level
	for _, p := range sums {
		if p.Bracket == "" {
			continue
		}
		k := level{p.Dialect, p.Concurrency}
		if byLevel[k] == nil {
			byLevel[k] = map[string]*acc{}
			keys = append(keys, k)
		}
		phases[k]++
		add := func(name string, v *float64) {
			if v == nil {
				return
			}
			a := byLevel[k][name]
			if a == nil {
				a = &acc{}
				byLevel[k][name] = a
			}
			a.sum += *v
			a.n++
		}
		add("prefill share of server time", p.PrefillShare)
		if p.StepTokens != nil {
			add("tokens per engine step", p.StepTokens.Mean)
		}
		add("queue share of TTFT", p.QueueShareOfTTFT)
		add("client − server TTFT", p.TTFTGapMean)
		if p.Running != nil {
			m := p.Running.Mean
			add("running mean", &m)
		}
	}
	slices.SortFunc(keys, func(a, b level) int {
		if a.c != b.c {
			return a.c - b.c
		}
		return strings.Compare(a.dialect, b.dialect)
	})
	var out []string
	for _, k := range keys {
		var parts []string
		for _, q := range []struct{ name, format string }{
			{"prefill share of server time", "%.3f"}, {"tokens per engine step", "%.1f"}, {"queue share of TTFT", "%.3f"},
			{"client − server TTFT", "%.4f s"}, {"running mean", "%.1f"},
		} {
			a := byLevel[k][q.name]
			if a == nil {
				if q.name != "running mean" {
					parts = append(parts, q.name+" n/a")
				}
				continue
			}
			parts = append(parts, fmt.Sprintf("%s "+q.format, q.name, a.sum/a.n))
		}
		out = append(out, fmt.Sprintf("server (%s /metrics) c=%d, mean of %d phases: %s", k.dialect, k.c, phases[k], strings.Join(parts, ", ")))
	}
	return out
}
