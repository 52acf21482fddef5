package verdict

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hypobench/hypobench/stats"
)

func TestCombine(t *testing.T) {
	t.Parallel()
	mk := func(os ...Outcome) Verdict {
		var v Verdict
		for i, o := range os {
			name := string(rune('a' + i))
			v.Checks = append(v.Checks, Check{Name: name, Test: "test " + name, Outcome: o, NeededN: 10 * i})
		}
		v.Combine()
		return v
	}
	for _, tc := range []struct {
		in   []Outcome
		want Outcome
		head string // the check whose figures head the verdict
		need int    // the largest NeededN
	}{
		{[]Outcome{Pass, Pass}, Pass, "a", 10},
		{[]Outcome{Pass, Inconclusive}, Inconclusive, "b", 10},
		{[]Outcome{Inconclusive, Fail}, Fail, "b", 10},
		{[]Outcome{Fail, Inconclusive, Fail}, Fail, "a", 20},
		{[]Outcome{Inconclusive, Pass, Inconclusive}, Inconclusive, "a", 20},
		{nil, Inconclusive, "", 0},
	} {
		v := mk(tc.in...)
		if v.Outcome != tc.want {
			t.Errorf("%v: outcome %s, want %s", tc.in, v.Outcome, tc.want)
		}
		if want := map[bool]string{true: "test " + tc.head, false: ""}[tc.head != ""]; v.Test != want {
			t.Errorf("%v: headline test %q, want %q", tc.in, v.Test, want)
		}
		if v.NeededN != tc.need {
			t.Errorf("%v: NeededN %d, want %d", tc.in, v.NeededN, tc.need)
		}
	}
}

func TestCIOutcome(t *testing.T) {
	t.Parallel()
	nan := math.NaN()
	for _, tc := range []struct {
		ci      stats.CI
		greater bool
		want    Outcome
	}{
		{stats.CI{Lo: 0.3, Hi: 0.5}, true, Pass},
		{stats.CI{Lo: 0.1, Hi: 0.2}, true, Fail},
		{stats.CI{Lo: 0.1, Hi: 0.25}, true, Fail}, // upper end at the bound
		{stats.CI{Lo: 0.1, Hi: 0.3}, true, Inconclusive},
		{stats.CI{Lo: 0.1, Hi: 0.2}, false, Pass},
		{stats.CI{Lo: 0.25, Hi: 0.4}, false, Fail},
		{stats.CI{Lo: nan, Hi: nan}, true, Inconclusive},
	} {
		if got := CIOutcome(tc.ci, 0.25, tc.greater); got != tc.want {
			t.Errorf("CIOutcome(%v, 0.25, %v) = %s, want %s", tc.ci, tc.greater, got, tc.want)
		}
	}
}

func TestCombineOutcomes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   []Outcome
		want Outcome
	}{
		{nil, Inconclusive},
		{[]Outcome{Pass}, Pass},
		{[]Outcome{Pass, Inconclusive, Pass}, Inconclusive},
		{[]Outcome{Inconclusive, Fail}, Fail},
		{[]Outcome{Fail, Pass}, Fail},
	} {
		if got := Combine(tc.in...); got != tc.want {
			t.Errorf("Combine(%v) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// TestWarningsJSON: warnings are errors in memory and their messages in
// hypotheses.jsonl, as the files had them when warnings were strings.
func TestWarningsJSON(t *testing.T) {
	t.Parallel()
	v := Verdict{ID: "X", Statistic: Float(math.NaN()), Effect: Float(math.NaN())}
	v.Combine()
	v.Warnings = append(v.Warnings, stats.Warnf(stats.ErrDropped, "%d failed requests excluded", 3))
	if !errors.Is(v.Warnings[0], ErrNoChecks) || !errors.Is(v.Warnings[1], stats.ErrDropped) {
		t.Fatalf("warnings %v do not wrap their sentinels", v.Warnings)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if want := `"warnings":["no check could be run","3 failed requests excluded"]`; !strings.Contains(string(b), want) {
		t.Errorf("JSON %s lacks %s", b, want)
	}
	var back Verdict
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(v.Warnings.Strings(), back.Warnings.Strings()); d != "" {
		t.Errorf("warnings changed in the round trip (-want +got):\n%s", d)
	}
	if b, _ := json.Marshal(Verdict{}); strings.Contains(string(b), "warnings") {
		t.Errorf("no warnings, yet JSON %s has the field", b)
	}
}

func TestSentence(t *testing.T) {
	t.Parallel()
	v := Verdict{ID: "H2", Claim: "E2E tracks max_tokens", Outcome: Inconclusive, Effect: 0.012, Unit: "s/token",
		EffectCI: stats.CI{Lo: -0.001, Hi: 0.03, Level: 0.95}, N: 24}
	if got, want := Sentence(v), "H2 inconclusive: E2E tracks max_tokens — effect 0.012 s/token, 95% CI -0.001–0.03, n 24"; got != want {
		t.Errorf("generic sentence %q, want %q", got, want)
	}
	c := Check{Outcome: Pass, Sentence: "TTFT grew 6.2× from 50 to 1,010 prompt tokens, 90% CI 6.16–6.24×"}
	v = Verdict{ID: "H1", Checks: []Check{{Outcome: Pass}, c}}
	v.Combine()
	v.Headline(v.Checks[0], v.Checks[1])
	if got, want := Sentence(v), "H1 pass: "+c.Sentence; got != want {
		t.Errorf("analysis sentence %q, want %q", got, want)
	}
	for x, want := range map[float64]string{1010: "1,010", 50: "50", 1234567.4: "1,234,567", -4500: "-4,500", 999: "999"} {
		if got := Thousands(x); got != want {
			t.Errorf("Thousands(%v) = %q, want %q", x, got, want)
		}
	}
}
