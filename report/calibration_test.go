package report

import (
	"bytes"
	"html/template"
	"strings"
	"testing"

	"github.com/hypobench/hypobench/hypotheses"
	"github.com/hypobench/hypobench/internal/testutil"
	"github.com/hypobench/hypobench/verdict"
)

// calibrationVerdicts are one verdict of each built-in hypothesis and of
// the regression gate with their checks' names, and a user's hypothesis.
func calibrationVerdicts() []verdict.Verdict {
	v := func(id string, checks ...verdict.Check) verdict.Verdict {
		return verdict.Verdict{ID: id, Outcome: verdict.Pass, Checks: checks}
	}
	c := func(name string, o verdict.Outcome) verdict.Check { return verdict.Check{Name: name, Outcome: o} }
	return []verdict.Verdict{
		v("H1", c("growth", verdict.Pass), c("trend", verdict.Pass)),
		v("H2", c("token-cost", verdict.Pass), c("e2e-trend", verdict.Pass), c("settle", verdict.Inconclusive), c("batching", verdict.Pass)),
		v("H3", c("prefill-bound", verdict.Pass), c("shift", verdict.Fail), c("batching", verdict.Pass), c("admission", verdict.Pass)),
		v("H4", c(hypotheses.H4CheckLongBlocks, verdict.Pass), c(hypotheses.H4CheckShortDensity, verdict.Pass)),
		v("regression",
			verdict.Check{Name: "short_short c=8 TTFT p50", Outcome: verdict.Pass, Test: "paired t over 4 interleaved rounds of the p50 ratio, non-inferiority margin 1.05"},
			verdict.Check{Name: "short_short c=8 TTFT p50 (stored)", Outcome: verdict.Inconclusive, Test: "Welch t over 3/3 unpaired rounds of log p50, non-inferiority margin 1.05"},
			verdict.Check{Name: "short_short c=8 error rate", Outcome: verdict.Pass, Test: "Fisher's exact test, one-sided"}),
		v("H9"),
	}
}

// TestCalibrationSection renders the page's operating-characteristics
// section for a verdict of each kind and holds it against a golden file:
// every calibrated check shows its figures from the calibration tables
// (hypotheses.RoundCalibrated, H4Calibrated, compare.Calibrated), every
// other says it is not calibrated, and a user's hypothesis has none.
func TestCalibrationSection(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHTML(&b, Page{Title: "t", Calibration: calibrationSections(calibrationVerdicts())}); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	i, j := strings.Index(page, `<h2 id="operating-characteristics">`), strings.Index(page, `<h2 id="plots">`)
	if i < 0 || j < i {
		t.Fatalf("no operating-characteristics section before the plots:\n%s", page)
	}
	sec := page[i:j]
	testutil.Golden(t, "testdata/operating.html.golden", []byte(sec))
	for _, o := range hypotheses.RoundCalibrated.Checks {
		if want := template.HTMLEscapeString(hypotheses.RoundCalibrated.Describe(o.Hypothesis, o.Check)); !strings.Contains(sec, want) {
			t.Errorf("the section lacks %s %s's figures %q", o.Hypothesis, o.Check, want)
		}
	}
	for _, check := range []string{hypotheses.H4CheckLongBlocks, hypotheses.H4CheckShortDensity} {
		if want := template.HTMLEscapeString(hypotheses.H4Calibrated.Describe(check)); !strings.Contains(sec, want) {
			t.Errorf("the section lacks H4 %s's figures %q", check, want)
		}
	}
	if strings.Contains(sec, "H9") {
		t.Error("a user's hypothesis got an operating-characteristics entry")
	}
	if n := strings.Count(sec, "not calibrated"); n < 3 {
		t.Errorf("%d checks say they are not calibrated, want the uncalibrated ones to (H1 trend, H2 e2e-trend …, the gate's unpaired and error-rate checks)", n)
	}
}

// TestCalibrationSectionEmpty: a run without built-in verdicts shows no
// operating-characteristics section.
func TestCalibrationSectionEmpty(t *testing.T) {
	if s := calibrationSections([]verdict.Verdict{{ID: "mine"}}); len(s) != 0 {
		t.Errorf("sections %+v for a user's hypothesis", s)
	}
	var b bytes.Buffer
	if err := WriteHTML(&b, Page{Title: "t"}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "operating-characteristics") {
		t.Error("an empty calibration rendered a section")
	}
}
