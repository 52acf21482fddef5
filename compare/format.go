package compare

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/stats"
	"github.com/hypobench/hypobench/verdict"
)

// WriteJSON writes the report as indented JSON to path, atomically.
func WriteJSON(path string, rep Report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", path, err)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	return record.WriteFileAtomic(path, append(b, '\n'))
}

// WriteText writes the report as a benchstat-like table: one row per
// check with both quantiles, the change "vs base" with its CI, the budget
// and the outcome, then the warnings — repeated in capitals after the table
// so they cannot scroll away unseen.
func WriteText(w io.Writer, rep Report) error {
	o := rep.Options
	var b strings.Builder
	fmt.Fprintf(&b, "hypobench compare: %s\n", strings.ToUpper(string(rep.Outcome)))
	side := func(label string, s *Source) {
		if s != nil {
			fmt.Fprintf(&b, "%s %s (run %s, %d requests)\n", label, s.Path, orUnknown(s.RunID), s.Requests)
		}
	}
	side("base:", rep.Base)
	side("new: ", rep.New)
	var budgets []string
	for _, m := range AllMetrics {
		budgets = append(budgets, fmt.Sprintf("%s +%s", m, pct(o.BudgetFor(m))))
	}
	fmt.Fprintf(&b, "gate: pass when the upper bound of the %s bootstrap CI of new/base ≤ 1 + budget (one-sided %s), fail when its lower bound > 1 + budget; B=%d, seed %d, min n %d; budgets %s\n",
		pct(o.Level), pct(1-(1-o.Level)/2), o.B, o.Seed, o.MinN, strings.Join(budgets, ", "))
	if len(rep.Warnings) > 0 {
		fmt.Fprintf(&b, "\n%d WARNING(S):\n", len(rep.Warnings))
		for _, s := range rep.Warnings {
			fmt.Fprintf(&b, "  !! %s\n", s)
		}
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "group\tmetric\tbase\tnew\tvs base\t%s CI\tbudget\tn base/new\tverdict\n", pct(o.Level))
	for _, c := range rep.Checks {
		n := fmt.Sprintf("%d/%d", c.NBase, c.NNew)
		if c.RoundsBase > 1 || c.RoundsNew > 1 {
			n += fmt.Sprintf(" in %d/%d rounds", c.RoundsBase, c.RoundsNew)
		}
		fmt.Fprintf(tw, "%s\t%s %s\t%s\t%s\t%s\t%s\t+%s\t%s\t%s\n",
			c.Group, c.Metric, QuantileName(c.Quantile), dur(float64(c.Base)), dur(float64(c.New)),
			change(float64(c.Ratio)), ciString(c), pct(c.Budget), n, outcomeCell(c))
	}
	tw.Flush()
	if len(rep.Errors) > 0 {
		b.WriteString("\nfailed requests (left out of the latencies):\n")
		for _, e := range rep.Errors {
			fmt.Fprintf(&b, "  %s: base %d of %d, new %d of %d  error rate %s", e.Group, e.BaseErrors, e.BaseN, e.NewErrors, e.NewN, strings.ToUpper(string(e.Outcome)))
			if e.Detail != "" {
				fmt.Fprintf(&b, ": %s", e.Detail)
			}
			b.WriteString("\n")
		}
	}
	n := map[verdict.Outcome]int{}
	for _, c := range rep.Checks {
		n[c.Outcome]++
	}
	fmt.Fprintf(&b, "\n%d checks: %d pass, %d fail, %d inconclusive → %s\n", len(rep.Checks),
		n[verdict.Pass], n[verdict.Fail], n[verdict.Inconclusive], strings.ToUpper(string(rep.Outcome)))
	if rep.Outcome == verdict.Inconclusive && rep.NeededN > 0 {
		fmt.Fprintf(&b, "about %d requests per profile and level on each side would likely decide it (HYPOBENCH_REQUESTS or --requests)\n", rep.NeededN)
	}
	if rep.Outcome == verdict.Inconclusive && rep.NeededRounds > 0 {
		fmt.Fprintf(&b, "about %d interleaved rounds per side would likely decide it (hypobench abab --rounds)\n", rep.NeededRounds)
	}
	if len(rep.Warnings) > 0 {
		fmt.Fprintf(&b, "WARNING: %d warning(s) above — a comparison across different machines or targets measures them, not the change\n", len(rep.Warnings))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func outcomeCell(c Check) string {
	s := strings.ToUpper(string(c.Outcome))
	if c.Outcome == verdict.Inconclusive && c.NeededN > 0 {
		s += fmt.Sprintf(" (n≈%d)", c.NeededN)
	}
	if c.Outcome == verdict.Inconclusive && c.NeededRounds > 0 {
		s += fmt.Sprintf(" (rounds≈%d)", c.NeededRounds)
	}
	return s
}

func ciString(c Check) string {
	if !c.CI.Valid() {
		return "–"
	}
	return "[" + change(c.CI.Lo) + ", " + change(c.CI.Hi) + "]"
}

// change formats a ratio as a signed percentage change: 1.2 → +20.0%.
func change(r float64) string {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return "–"
	}
	d := (r - 1) * 100
	if math.Abs(d) < 0.05 {
		d = 0
	}
	return fmt.Sprintf("%+.1f%%", d)
}

// pct formats a fraction as a percentage without trailing zeros.
func pct(f float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", f*100), "0"), ".") + "%"
}

// dur formats seconds as milliseconds with three significant figures.
func dur(s float64) string {
	if math.IsNaN(s) || math.IsInf(s, 0) {
		return "–"
	}
	ms := s * 1000
	switch a := math.Abs(ms); {
	case a >= 100:
		return fmt.Sprintf("%.0fms", ms)
	case a >= 10:
		return fmt.Sprintf("%.1fms", ms)
	case a >= 1:
		return fmt.Sprintf("%.2fms", ms)
	}
	return fmt.Sprintf("%.3fms", ms)
}

// ErrNotLikeForLike is the sentinel every warning of a regression verdict
// wraps (errors.Is): something makes the comparison less than like for like
// (another machine or target, failed requests, groups on one side only,
// lines or files that could not be read).
var ErrNotLikeForLike = errors.New("not a like-for-like comparison")

// Verdict turns the report into a verdict, so a regression gate
// run as a Go test is written and reported like H1–H4: one check per
// metric quantile and group, the effect the ratio new/base with its CI.
func (r Report) Verdict() verdict.Verdict {
	v := verdict.Verdict{
		ID:    "regression",
		Claim: "the new run is no slower than the baseline beyond the budget (median and p90 of TTFT, TPOT, E2E per profile × concurrency)",
		Seed:  r.Options.Seed,
	}
	for _, w := range r.Warnings {
		v.Warnings = append(v.Warnings, stats.Warnf(ErrNotLikeForLike, "%s", w))
	}
	alpha := (1 - r.Options.Level) / 2
	for _, c := range r.Checks {
		v.Checks = append(v.Checks, verdict.Check{
			Name:      c.Name(),
			Claim:     fmt.Sprintf("%s %s new/base ≤ %.3g", c.Metric, QuantileName(c.Quantile), 1+c.Budget),
			Outcome:   c.Outcome,
			Test:      fmt.Sprintf("bootstrap ratio of %s, B=%d, non-inferiority margin %.3g", QuantileName(c.Quantile), r.Options.B, 1+c.Budget),
			Statistic: c.Ratio,
			Alpha:     alpha,
			Effect:    c.Ratio,
			EffectCI:  c.CI,
			Unit:      "ratio new/base",
			N:         c.NBase + c.NNew,
			Detail:    c.Detail,
			NeededN:   c.NeededN,
		})
		if c.Metric == TTFT && c.Quantile == r.Options.Quantiles[0] {
			v.N += c.NBase + c.NNew // each group's successful requests, once
		}
	}
	for _, e := range r.Errors {
		v.Checks = append(v.Checks, verdict.Check{
			Name:      e.Group.String() + " error rate",
			Claim:     "the new run fails no more requests than the baseline",
			Outcome:   e.Outcome,
			Test:      "Fisher's exact test, one-sided",
			Statistic: verdict.Float(rate(e.NewErrors, e.NewN)),
			P:         verdict.P(e.P),
			Alpha:     alpha,
			Effect:    verdict.Float(rate(e.NewErrors, e.NewN) - rate(e.BaseErrors, e.BaseN)),
			EffectCI:  stats.CI{Lo: math.NaN(), Hi: math.NaN()},
			Unit:      "error rate new − base",
			N:         e.BaseN + e.NewN,
			Detail:    e.Detail,
		})
	}
	if r.Base != nil && r.New != nil {
		v.Info = append(v.Info, fmt.Sprintf("baseline %s (run %s), new %s (run %s)", r.Base.Path, r.Base.RunID, r.New.Path, r.New.RunID))
	}
	v.Combine()
	return v
}
