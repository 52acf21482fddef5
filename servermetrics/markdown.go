package servermetrics

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// na is written for any quantity that is not available.
const na = "n/a"

// FormatMarkdown writes the per-phase server summaries as Markdown: server
// timings, load and token counts, and the client/server join, followed by
// each phase's warnings. Times are in milliseconds. Quantities the target
// does not expose, or that a missing scrape makes unknowable, are written as
// n/a and never estimated.
func FormatMarkdown(w io.Writer, sums []PhaseSummary) error {
	bw := bufio.NewWriter(w)
	if !anyServer(sums) {
		fmt.Fprintln(bw, "Server-side metrics: not available (the target exposed no recognised /metrics during these phases).")
		writeWarnings(bw, sums)
		return bw.Flush()
	}
	fmt.Fprintln(bw, "Server-side time per request, from histogram deltas between each phase's start and end scrapes (ms; mean / p50 / p90, quantiles interpolated within buckets as PromQL's histogram_quantile does). n/a: not available.")
	fmt.Fprintln(bw)
	table(bw, []string{"phase", "profile", "load", "server", "requests", "queue", "prefill", "decode", "TTFT", "ITL", "e2e", "prefill share", "tokens/step"},
		sums, func(s PhaseSummary) []string {
			reqs := na
			if s.E2E != nil {
				reqs = fmt.Sprintf("%.0f", s.E2E.Count)
			}
			return []string{fmt.Sprint(s.Phase), s.Profile, s.Load(), orNA(s.Dialect), reqs,
				ms3(s.Queue), ms3(s.Prefill), ms3(s.Decode), ms3(s.TTFT), ms3(s.ITL), ms3(s.E2E),
				pct(s.PrefillShare), mean1(s.StepTokens)}
		})
	fmt.Fprintln(bw)
	fmt.Fprintln(bw, "Load and tokens: gauges over the phase's scrapes (mean / max), counter deltas against the client's usage sums (server Δ vs client Σ).")
	fmt.Fprintln(bw)
	table(bw, []string{"phase", "scrapes", "running", "waiting", "KV peak", "preemptions", "prompt tokens", "generation tokens"},
		sums, func(s PhaseSummary) []string {
			return []string{fmt.Sprint(s.Phase), fmt.Sprint(s.Scrapes), gstat(s.Running), gstat(s.Waiting),
				pct(s.KVUsagePeak), num(s.Preemptions),
				tokens(s.PromptTokens, s.ClientPromptTokens, s.ClientUsageMissing),
				tokens(s.GenerationTokens, s.ClientOutputTokens, s.ClientUsageMissing)}
		})
	fmt.Fprintln(bw)
	fmt.Fprintln(bw, "Client vs server TTFT (ms): the gap is network, HTTP and client overhead; queue share is the server's mean queue time over its mean TTFT.")
	fmt.Fprintln(bw)
	table(bw, []string{"phase", "client n", "client mean", "client median", "server mean", "server p50", "gap (mean)", "gap (median)", "queue share of TTFT"},
		sums, func(s PhaseSummary) []string {
			var smean, sp50 *float64
			if s.TTFT != nil {
				smean, sp50 = s.TTFT.Mean, s.TTFT.P50
			}
			return []string{fmt.Sprint(s.Phase), fmt.Sprint(s.ClientTTFTN), msp(s.ClientTTFTMean), msp(s.ClientTTFTMedian),
				msp(smean), msp(sp50), msp(s.TTFTGapMean), msp(s.TTFTGapMedian), pct(s.QueueShareOfTTFT)}
		})
	writeWarnings(bw, sums)
	return bw.Flush()
}

func anyServer(sums []PhaseSummary) bool {
	for _, s := range sums {
		if s.Dialect != "" {
			return true
		}
	}
	return false
}

func writeWarnings(w io.Writer, sums []PhaseSummary) {
	first := true
	for _, s := range sums {
		for _, msg := range s.Warnings {
			if first {
				fmt.Fprintln(w)
				fmt.Fprintln(w, "Warnings:")
				first = false
			}
			fmt.Fprintf(w, "- phase %d: %s\n", s.Phase, msg)
		}
	}
}

func table(w io.Writer, head []string, sums []PhaseSummary, row func(PhaseSummary) []string) {
	fmt.Fprintf(w, "| %s |\n", strings.Join(head, " | "))
	sep := make([]string, len(head))
	for i := range sep {
		sep[i] = "---"
	}
	fmt.Fprintf(w, "|%s|\n", strings.Join(sep, "|"))
	for _, s := range sums {
		fmt.Fprintf(w, "| %s |\n", strings.Join(row(s), " | "))
	}
}

func orNA(s string) string {
	if s == "" {
		return na
	}
	return s
}

func msp(v *float64) string {
	if v == nil {
		return na
	}
	return fmt.Sprintf("%.1f", *v*1e3)
}

func ms3(h *HistStat) string {
	if h == nil || h.Mean == nil {
		return na
	}
	return msp(h.Mean) + " / " + msp(h.P50) + " / " + msp(h.P90)
}

func mean1(h *HistStat) string {
	if h == nil || h.Mean == nil {
		return na
	}
	return fmt.Sprintf("%.1f", *h.Mean)
}

func pct(v *float64) string {
	if v == nil {
		return na
	}
	return fmt.Sprintf("%.1f%%", *v*100)
}

func num(v *float64) string {
	if v == nil {
		return na
	}
	return fmt.Sprintf("%.0f", *v)
}

func gstat(g *GaugeStat) string {
	if g == nil {
		return na
	}
	return fmt.Sprintf("%.1f / %.0f", g.Mean, g.Max)
}

func tokens(server *float64, client, missing int) string {
	s := num(server) + " vs " + fmt.Sprint(client)
	if missing > 0 {
		s += fmt.Sprintf(" (%d without usage)", missing)
	}
	return s
}
