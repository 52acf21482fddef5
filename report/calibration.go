package report

import (
	"fmt"
	"strings"

	"github.com/hypobench/hypobench/hypotheses"
	"github.com/hypobench/hypobench/verdict"
)

// calibrationSections is the page's operating-characteristics section:
// for every verdict of a built-in hypothesis (H1–H4) and the regression
// gate, each check's outcome on this run beside what the virtual-time
// calibration measured for it (hypotheses.CalibrationOf: pass rate with
// the true effect at the check's bound and its 95% upper bound, power at
// twice the bound, interval coverage), and the setup measured. A user's
// hypothesis has no calibration and no section. The figures are this
// build's calibration tables, which the calibration tests check against
// their own measurement.
func calibrationSections(vs []verdict.Verdict) []Section {
	var out []Section
	for _, v := range vs {
		setup, rows, ok := hypotheses.CalibrationOf(v)
		if !ok {
			continue
		}
		var b strings.Builder
		fmt.Fprintf(&b, "Measured in: %s.\n", setup)
		if len(rows) == 0 {
			b.WriteString("This verdict has no checks to show figures for.\n")
		}
		for _, r := range rows {
			fmt.Fprintf(&b, "- %s (%s here): %s\n", r.Check, r.Outcome, r.Text)
		}
		out = append(out, Section{Title: v.ID, Markdown: b.String()})
	}
	return out
}
