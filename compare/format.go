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
	fmt.Fprintf(&b, "gate: pass when the upper bound of the %s CI of new/base ≤ 1 + budget (one-sided %s), fail when its lower bound > 1 + budget; min n %d; budgets %s\n",
		pct(o.Level), pct(1-(1-o.Level)/2), o.MinN, strings.Join(budgets, ", "))
	designNotes(&b, rep)
	if rep.Time != "" {
		fmt.Fprintf(&b, "time: %s\n", rep.Time)
	}
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
		switch c.Design {
		case Interleaved:
			n += fmt.Sprintf(" in %d/%d interleaved rounds", c.RoundsBase, c.RoundsNew)
		case Unpaired:
			n += fmt.Sprintf(" in %d/%d unpaired rounds", c.RoundsBase, c.RoundsNew)
		}
		if c.FromTotal {
			n += " (e2e = total_s)"
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
	if len(rep.NotCompared) > 0 {
		b.WriteString("\nnot compared (no record on either side has the field):\n")
		for _, nc := range rep.NotCompared {
			fmt.Fprintf(&b, "  %s %s: %s\n", nc.Group, nc.Metric, nc.Reason)
		}
	}
	if op := rep.Operating; op != nil {
		fmt.Fprintf(&b, "\noperating characteristics of this design (measured, %d simulated sessions: %s):\n", op.Sessions, op.Setup)
		fmt.Fprintf(&b, "  a true change equal to the budget passes %s (95%% upper bound %s); twice the budget fails %s;\n",
			pct(op.PassAtBoundary), pct(op.PassAtBoundaryHi), pct(op.FailAtTwice))
		fmt.Fprintf(&b, "  no change passes %s and fails %s; the intervals cover the true ratio %s\n",
			pct(op.PassAtZero), pct(op.FailAtZero), pct(op.Coverage))
		if r := minRounds(rep.Checks); r < op.Rounds {
			fmt.Fprintf(&b, "  measured with %d rounds per side; this comparison has %d: the pass rate at the budget holds for any number of rounds, the power at twice it does not (see compare's doc: fewer rounds detect only larger regressions)\n", op.Rounds, r)
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

// designNotes says how the checks' intervals were formed, and what one
// run per side cannot see.
func designNotes(b *strings.Builder, rep Report) {
	seen := map[Design]bool{}
	for _, c := range rep.Checks {
		seen[c.Design] = true
	}
	o := rep.Options
	if seen[Interleaved] {
		b.WriteString("interleaved rounds: the interval is a paired t interval over the rounds' per-round quantile ratios (a round's machine state cancels)\n")
	}
	if seen[Unpaired] {
		b.WriteString("unpaired rounds: the interval is Welch's t over each side's per-round log quantiles (a single run on one side is taken to vary as the other side's rounds)\n")
	}
	if seen[SingleRound] {
		if o.RunToRun > 0 {
			fmt.Fprintf(b, "one run per side: request-level bootstrap (B=%d, seed %d) widened by the given run-to-run variation %s per run\n", o.B, o.Seed, pct(o.RunToRun))
		} else {
			fmt.Fprintf(b, "ONE RUN PER SIDE: the request-level bootstrap interval (B=%d, seed %d) sees only how one run's requests vary, not how runs vary\n"+
				"  (two runs of one engine at one speed have differed by 40%% in TTFT p50), so these checks cannot decide: the interval is shown,\n"+
				"  the verdict stays inconclusive. Interleave rounds (hypobench abab A B), or give the run-to-run variation (--run-to-run).\n", o.B, o.Seed)
		}
	}
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
			Test:      fmt.Sprintf("%s, non-inferiority margin %.3g", c.testName(r.Options), 1+c.Budget),
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
	for _, nc := range r.NotCompared {
		v.Info = append(v.Info, fmt.Sprintf("%s %s not compared: %s", nc.Group, nc.Metric, nc.Reason))
	}
	if op := r.Operating; op != nil {
		v.Info = append(v.Info, fmt.Sprintf("operating characteristics (%s, %d simulated sessions): a true change at the budget passes %s (95%% upper bound %s), twice the budget fails %s, intervals cover %s",
			op.Design, op.Sessions, pct(op.PassAtBoundary), pct(op.PassAtBoundaryHi), pct(op.FailAtTwice), pct(op.Coverage)))
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

// testName names the statistical test a check ran.
func (c Check) testName(o Options) string {
	q := QuantileName(c.Quantile)
	switch c.Design {
	case Interleaved:
		return fmt.Sprintf("paired t over %d interleaved rounds of the %s ratio", c.RoundsBase, q)
	case Unpaired:
		return fmt.Sprintf("Welch t over %d/%d unpaired rounds of log %s", c.RoundsBase, c.RoundsNew, q)
	}
	if o.RunToRun > 0 {
		return fmt.Sprintf("bootstrap ratio of %s, B=%d, widened by run-to-run %s", q, o.B, pct(o.RunToRun))
	}
	return fmt.Sprintf("bootstrap ratio of %s, B=%d (one run per side: not decisive)", q, o.B)
}

func minRounds(cs []Check) int {
	r := 0
	for i, c := range cs {
		if k := min(c.RoundsBase, c.RoundsNew); i == 0 || k < r {
			r = k
		}
	}
	return r
}
