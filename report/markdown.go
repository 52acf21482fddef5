package report

import (
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hypobench/hypobench/record"
)

// Section is an extra titled block appended to summary.md (server metrics,
// kernel trace), already formatted as Markdown.
type Section struct {
	Title    string
	Markdown string
}

// metric names one latency metric of a Group for the tables and plots.
type metric struct {
	Title string // heading
	Field string // the record's JSON field
	Get   func(*Group) *Dist
}

var metrics = []metric{
	{"TTFT (first event with choices)", "ttft_s", func(g *Group) *Dist { return &g.TTFT }},
	{"TTFT to first non-empty text", "ttft_text_s", func(g *Group) *Dist { return &g.TTFTText }},
	{"TPOT", "tpot_s", func(g *Group) *Dist { return &g.TPOT }},
	{"ITL (pooled gaps)", "itl_s", func(g *Group) *Dist { return &g.ITL }},
	{"E2E (last content event)", "e2e_s", func(g *Group) *Dist { return &g.E2E }},
	{"Total (end of body)", "total_s", func(g *Group) *Dist { return &g.Total }},
}

// WriteMarkdown renders s as summary.md: a header stating the quantile
// definition and the CI method, per suite a requests-and-throughput table
// and one table per latency metric (milliseconds), the extra sections, and
// the lines skipped while reading the run directory.
func WriteMarkdown(w io.Writer, s Summary, skipped []error, extra []Section) error {
	var b strings.Builder
	b.WriteString("# Summary\n\n")
	if s.Banner != "" {
		fmt.Fprintf(&b, "**%s**\n\n", mdEsc(s.Banner))
	}
	fmt.Fprintf(&b, "%d records in %d groups (suite × profile × concurrency). %s\n\n", s.Records, len(s.Groups), unitSentence(s.Time))
	if line := overheadLine(s.ClientOverhead); line != "" {
		fmt.Fprintf(&b, "- %s\n", line)
	}
	fmt.Fprintf(&b, "- Quantiles: %s.\n", s.QuantileDefinition)
	fmt.Fprintf(&b, "- Intervals: %s.\n", s.CIMethod)
	b.WriteString("- Errored records are left out of every latency metric; TPOT is undefined (and left out, counted) for fewer than 2 output tokens.\n")
	b.WriteString("- ITL pools the gaps of every successful request; its intervals treat gaps of one request as independent and are too narrow.\n")
	b.WriteString("- Rates divide by the summed phase windows of phases.jsonl (or, without them, the span of the records).\n")
	b.WriteString("- " + sloLine(s.SLO) + "\n")
	for _, suite := range suites(s) {
		gs := groupsOf(s, suite)
		fmt.Fprintf(&b, "\n## Suite %s\n\n### Requests and throughput\n\n", mdEsc(suite))
		b.WriteString("| profile | concurrency | n | ok | errors | excluded | window (s) | req/s | output tok/s | goodput |\n")
		b.WriteString("|---|---:|---:|---:|---|---|---:|---:|---:|---|\n")
		for _, g := range gs {
			fmt.Fprintf(&b, "| %s | %s | %d | %d | %s | %s | %s | %s | %s | %s |\n",
				mdEsc(g.Profile), g.Level(), g.N, g.OK, errorsCell(g.Errors), excludedCell(g.Excluded),
				windowCell(g), num(g.RequestsS), num(g.OutputTokS), goodputCell(g.Goodput))
		}
		for _, m := range metrics {
			fmt.Fprintf(&b, "\n### %s (`%s`, ms)\n\n", m.Title, m.Field)
			b.WriteString("| profile | concurrency | n | mean | p50 [95% CI] | p90 [95% CI] | p99 [95% CI] |\n")
			b.WriteString("|---|---:|---:|---:|---|---|---|\n")
			for i := range gs {
				d := m.Get(&gs[i])
				fmt.Fprintf(&b, "| %s | %s | %d | %s | %s | %s | %s |\n", mdEsc(gs[i].Profile), gs[i].Level(), d.N,
					ms(d.Mean), qCell(d.P50), qCell(d.P90), qCell(d.P99))
			}
		}
	}
	for _, sec := range extra {
		fmt.Fprintf(&b, "\n## %s\n\n%s\n", sec.Title, strings.TrimRight(sec.Markdown, "\n"))
	}
	if len(skipped) > 0 {
		b.WriteString("\n## Skipped lines\n\n")
		for _, e := range skipped {
			fmt.Fprintf(&b, "- %s\n", mdEsc(SkippedLine(e)))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// SkippedLine formats a skipped-line error with the file's base name, so the
// report does not depend on where the run directory lives.
func SkippedLine(err error) string {
	var le *record.LineError
	if errors.As(err, &le) {
		return fmt.Sprintf("%s:%d: %v", filepath.Base(le.File), le.Line, le.Err)
	}
	return err.Error()
}

func sloLine(s *SLOJSON) string {
	if s == nil {
		return "No SLO was given, so goodput is not computed (`hypobench report --slo-ttft … --slo-tpot … --slo-e2e …`)."
	}
	var parts []string
	add := func(name string, v *float64) {
		if v != nil {
			parts = append(parts, fmt.Sprintf("%s ≤ %s ms", name, ms(v)))
		}
	}
	add("TTFT", s.TTFT)
	add("TPOT", s.TPOT)
	add("E2E", s.E2E)
	return "Goodput counts successful requests meeting every threshold: " + strings.Join(parts, ", ") +
		" (a request with TPOT undefined meets the TPOT threshold); its fraction is of all records, errored included."
}

// suites lists the summary's suites in group order.
func suites(s Summary) []string {
	var out []string
	for _, g := range s.Groups {
		if len(out) == 0 || out[len(out)-1] != g.Suite {
			out = append(out, g.Suite)
		}
	}
	return out
}

func groupsOf(s Summary, suite string) []Group {
	var gs []Group
	for _, g := range s.Groups {
		if g.Suite == suite {
			gs = append(gs, g)
		}
	}
	return gs
}

func errorsCell(m map[string]int) string {
	if len(m) == 0 {
		return "–"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s ×%d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func excludedCell(e Excluded) string {
	var parts []string
	add := func(n int, why string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, why))
		}
	}
	add(e.Errored, "errored")
	add(e.TTFTUndefined, "TTFT undefined")
	add(e.TTFTTextUndefined, "no text")
	add(e.TPOTUndefined, "TPOT undefined (N<2)")
	add(e.E2EUndefined, "E2E undefined")
	if len(parts) == 0 {
		return "–"
	}
	return strings.Join(parts, "; ")
}

func windowCell(g Group) string {
	if g.WindowSource == "" {
		return "–"
	}
	s := sig4(g.WindowS)
	if g.WindowSource != "phases" {
		s += " (" + g.WindowSource + ")"
	}
	if g.Interrupted {
		s += " interrupted"
	}
	return s
}

func goodputCell(gp *Goodput) string {
	if gp == nil {
		return "–"
	}
	s := fmt.Sprintf("%d", gp.Met)
	if gp.Fraction != nil {
		s += fmt.Sprintf(" (%.1f%%)", *gp.Fraction*100)
	}
	if gp.PerS != nil {
		s += fmt.Sprintf(", %s req/s", num(gp.PerS))
	}
	return s
}

// num formats a value with 4 significant digits, "–" for nil.
func num(p *float64) string {
	if p == nil {
		return "–"
	}
	return sig4(*p)
}

// ms formats seconds as milliseconds with 4 significant digits.
func ms(p *float64) string {
	if p == nil {
		return "–"
	}
	return sig4(*p * 1000)
}

// sig4 formats v with 4 significant digits, as a whole number from 1000
// up (12345, not 1.234e+04).
func sig4(v float64) string {
	if math.Abs(v) >= 1000 && math.Abs(v) < 1e15 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.4g", v)
}

// qCell formats a quantile and its CI in milliseconds.
func qCell(q Quantile) string {
	if q.Value == nil {
		return "–"
	}
	if q.Lo == nil {
		return ms(q.Value) + " [–]"
	}
	return fmt.Sprintf("%s [%s, %s]", ms(q.Value), ms(q.Lo), ms(q.Hi))
}

func mdEsc(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

// unitSentence says what the figures' milliseconds and seconds are.
func unitSentence(tb record.TimeBase) string {
	switch {
	case tb.Prediction:
		return "Latencies are in milliseconds of simulated (modelled GPU) time, rates per simulated second."
	case tb.Simulated:
		return "Latencies are in milliseconds of simulated (modelled GPU) time: the engine's stamped server time plus the client's measured overhead, unscaled; rates are per simulated second."
	case tb.Embedded:
		return "Latencies are in milliseconds of wall-clock time as measured, rates per wall-clock second."
	}
	return "Latencies are in milliseconds."
}

// overheadLine describes the client's measured share of TTFT, "" without
// stamps.
func overheadLine(d *Dist) string {
	if d == nil || d.N == 0 {
		return ""
	}
	return fmt.Sprintf("Client overhead (ttft_s − sim_ttft_s / speed: the client, HTTP and host share of TTFT, wall clock, never scaled): median %s ms, p90 %s ms over %d requests.",
		ms(d.P50.Value), ms(d.P90.Value), d.N)
}
