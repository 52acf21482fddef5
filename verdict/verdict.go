package verdict

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/hypobench/hypobench/stats"
)

// Outcome is a verdict's result.
type Outcome string

// Outcomes.
const (
	Pass         Outcome = "pass"
	Fail         Outcome = "fail"
	Inconclusive Outcome = "inconclusive"
)

// ErrNoChecks is the warning of a verdict that has no check to combine: it
// is inconclusive.
var ErrNoChecks = errors.New("no check could be run")

// Check is one falsifiable part of a claim: a test with its statistic,
// p-value, effect and CI, and the outcome it gave.
type Check struct {
	Name      string   `json:"name"`
	Claim     string   `json:"claim"`
	Outcome   Outcome  `json:"outcome"`
	Test      string   `json:"test"`
	Statistic Float    `json:"statistic"`
	P         *float64 `json:"p"` // null where the check is a CI criterion without a p-value
	Alpha     float64  `json:"alpha"`
	Effect    Float    `json:"effect"`
	EffectCI  stats.CI `json:"effect_ci"`
	Unit      string   `json:"unit,omitempty"`
	N         int      `json:"n"`
	// Sample names the independent unit the check's interval rests on and
	// how many there were ("3 rounds", "50 requests at c=1"): requests that
	// shared a batch or a time window are never counted as independent.
	Sample string `json:"sample,omitempty"`
	Detail string `json:"detail,omitempty"`
	// NeededN estimates the requests per level that would likely decide
	// an inconclusive check; 0 when not applicable.
	NeededN int `json:"needed_n,omitempty"`
	// Sentence says the check's effect and interval in plain words ("TTFT
	// grew 6.2× from 50 to 1,010 prompt tokens, 90% CI 6.16–6.24×"), as
	// the analysis that made it can; empty leaves it to Sentence.
	Sentence string `json:"sentence,omitempty"`
}

// Level is one row of the evidence table: a level of the controlled
// variable with the median of the response and its CI.
type Level struct {
	Label    string   `json:"label"`
	X        Float    `json:"x"`
	N        int      `json:"n"`
	Median   Float    `json:"median"`
	MedianCI stats.CI `json:"median_ci"`
	Unit     string   `json:"unit"`
}

// Verdict is the outcome of one hypothesis on one run.
type Verdict struct {
	ID      string  `json:"id"`    // H1, H2, ... or a user's id
	Claim   string  `json:"claim"` // the claim in words
	Outcome Outcome `json:"outcome"`
	// The headline check's figures (the first check by default).
	Test      string   `json:"test"`
	Statistic Float    `json:"statistic"`
	P         *float64 `json:"p"`
	Alpha     float64  `json:"alpha"`
	Effect    Float    `json:"effect"`
	EffectCI  stats.CI `json:"effect_ci"`
	Unit      string   `json:"unit,omitempty"`
	N         int      `json:"n"`
	Seed      uint64   `json:"seed"`
	Checks    []Check  `json:"checks"`
	Evidence  []Level  `json:"evidence,omitempty"`
	// Sentence is the deciding check's Sentence (see Combine and
	// Headline), the line a report leads with.
	Sentence string `json:"sentence,omitempty"`
	// Info carries findings reported as found, not asserted (H1's growth
	// exponent, server-side evidence, "not available" lines).
	Info []string `json:"info,omitempty"`
	// Warnings are problems found during the analysis; each wraps a
	// sentinel error (errors.Is works) and encodes as its message.
	Warnings Warnings `json:"warnings,omitempty"`
	NeededN  int      `json:"needed_n,omitempty"`
	Target   string   `json:"target,omitempty"`
	// Time names the time the verdict's figures are in, as the run's
	// record.TimeBase banner says it ("simulated time: rtx4090 · …");
	// empty for figures as measured. Outcomes do not depend on it.
	Time   string `json:"time,omitempty"`
	RunDir string `json:"run_dir,omitempty"`
	Design string `json:"design,omitempty"`
}

// Combine returns the outcome of a claim made of parts with outcomes os:
// fail if any part fails, inconclusive if any is inconclusive (or there are
// none), pass only when every part passes.
func Combine(os ...Outcome) Outcome {
	if len(os) == 0 {
		return Inconclusive
	}
	out := Pass
	for _, o := range os {
		switch o {
		case Fail:
			return Fail
		case Inconclusive:
			out = Inconclusive
		}
	}
	return out
}

// Combine sets the verdict's outcome and headline from its checks: fail if
// any check fails, inconclusive if any is inconclusive (or there are none),
// pass only when every check passes. The headline is the first failing
// check, else the first inconclusive one, else the first check.
func (v *Verdict) Combine() {
	outs := make([]Outcome, len(v.Checks))
	for i, c := range v.Checks {
		outs[i] = c.Outcome
		v.NeededN = max(v.NeededN, c.NeededN)
	}
	v.Outcome = Combine(outs...)
	if len(v.Checks) == 0 {
		v.Warnings = append(v.Warnings, ErrNoChecks)
		return
	}
	head := max(slices.IndexFunc(v.Checks, func(c Check) bool { return c.Outcome == v.Outcome }), 0)
	c := v.Checks[head]
	v.Test, v.Statistic, v.P, v.Alpha, v.Effect, v.EffectCI, v.Unit = c.Test, c.Statistic, c.P, c.Alpha, c.Effect, c.EffectCI, c.Unit
	v.Sentence = c.Sentence
	if v.N == 0 {
		v.N = c.N
	}
}

// P returns a pointer to p, or nil when p is NaN.
func P(p float64) *float64 {
	if math.IsNaN(p) {
		return nil
	}
	return &p
}

// CIOutcome decides a one-sided claim from a CI. For greater, the claim is
// "effect > bound": pass when the whole CI lies above bound, fail when the
// whole CI lies at or below it (the data contradict the claim), inconclusive
// otherwise and for an invalid CI. For !greater the claim is "effect <
// bound", mirrored.
func CIOutcome(ci stats.CI, bound float64, greater bool) Outcome {
	if !ci.Valid() {
		return Inconclusive
	}
	if greater {
		switch {
		case ci.Lo > bound:
			return Pass
		case ci.Hi <= bound:
			return Fail
		}
		return Inconclusive
	}
	switch {
	case ci.Hi < bound:
		return Pass
	case ci.Lo >= bound:
		return Fail
	}
	return Inconclusive
}

// Headline sets a passing verdict's headline figures from two checks: the
// test, statistic and p-value of test, and the effect with its CI of
// effect. Hypotheses whose significance test and effect size are separate
// checks use it after Combine so a pass shows statistic, p, and effect with
// CI together. A verdict that failed or is inconclusive keeps the deciding
// check's own figures (Combine's headline): a failed check is never shown
// beside another check's p-value.
func (v *Verdict) Headline(test, effect Check) {
	if v.Outcome != Pass {
		return
	}
	v.Test = test.Test + "; effect: " + effect.Test
	v.Statistic, v.P = test.Statistic, test.P
	v.Effect, v.EffectCI, v.Unit = effect.Effect, effect.EffectCI, effect.Unit
	if effect.Sentence != "" {
		v.Sentence = effect.Sentence
	}
}

// Sentence returns the plain sentence a report leads with for v: its
// outcome and the deciding check's Sentence, or, when the analysis wrote
// none, one built from the headline figures ("H2 pass: E2E tracks
// max_tokens — effect 0.012 s/token, 95% CI 0.011–0.013, n 24").
func Sentence(v Verdict) string {
	return fmt.Sprintf("%s %s: %s", v.ID, v.Outcome, Plain(v))
}

// Plain is Sentence without the id and outcome: the deciding check's
// Sentence, or the claim with the headline effect, CI and n.
func Plain(v Verdict) string {
	if v.Sentence != "" {
		return v.Sentence
	}
	s := v.Claim
	if math.IsNaN(float64(v.Effect)) {
		switch {
		case len(v.Warnings) > 0:
			return s + " — " + v.Warnings[0].Error()
		case v.Test != "":
			return s + " — " + v.Test
		}
		return s + " — no effect could be estimated"
	}
	s += " — effect " + Num(v.Effect)
	if v.Unit != "" {
		s += " " + v.Unit
	}
	if v.EffectCI.Valid() {
		s += fmt.Sprintf(", %g%% CI %s–%s", v.EffectCI.Level*100, Num(v.EffectCI.Lo), Num(v.EffectCI.Hi))
	}
	return s + fmt.Sprintf(", n %d", v.N)
}

// Float is a float64 whose NaN and infinities encode as JSON null (JSON has
// no NaN) and decode back as NaN.
type Float float64

// MarshalJSON encodes f, or null when f is not finite.
func (f Float) MarshalJSON() ([]byte, error) {
	x := float64(f)
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(x)
}

// UnmarshalJSON decodes a number, or null as NaN.
func (f *Float) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = Float(math.NaN())
		return nil
	}
	var x float64
	if err := json.Unmarshal(b, &x); err != nil {
		return err
	}
	*f = Float(x)
	return nil
}

// Summary returns a one-line description of a verdict.
func Summary(v Verdict) string {
	return fmt.Sprintf("%s %s: %s (%s: statistic %s, p %s, effect %s %s CI %s, n %d, seed %d)",
		v.ID, strings.ToUpper(string(v.Outcome)), v.Claim, v.Test, Num(v.Statistic), PString(v.P),
		Num(v.Effect), v.Unit, CIString(v.EffectCI.Lo, v.EffectCI.Hi, v.EffectCI.Level), v.N, v.Seed)
}

// Thousands formats x rounded to an integer with comma thousands
// separators, as a sentence writes a count: 1010 gives "1,010".
func Thousands(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "–"
	}
	n := int64(math.Round(x))
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	d := strconv.FormatInt(n, 10)
	for i := len(d) - 3; i > 0; i -= 3 {
		d = d[:i] + "," + d[i:]
	}
	return sign + d
}
