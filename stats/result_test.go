package stats

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestAlternativeString(t *testing.T) {
	t.Parallel()
	for alt, want := range map[Alternative]string{TwoSided: "two-sided", Less: "less", Greater: "greater", 7: "Alternative(invalid)"} {
		if got := alt.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(alt), got, want)
		}
	}
	var zero Alternative
	if zero != TwoSided {
		t.Errorf("zero Alternative is %v, want two-sided", zero)
	}
}

func TestCI(t *testing.T) {
	t.Parallel()
	ci := CI{Lo: 1, Hi: 2, Level: 0.95}
	if !ci.Valid() || !ci.Contains(1) || !ci.Contains(2) || ci.Contains(2.5) {
		t.Errorf("CI %v: Valid/Contains wrong", ci)
	}
	bad := nanCI(0.9)
	if bad.Valid() || bad.Contains(0) || bad.Level != 0.9 {
		t.Errorf("NaN CI %v: Valid/Contains wrong", bad)
	}
	// JSON has no NaN: undefined bounds travel as null and come back NaN.
	for _, c := range []CI{ci, bad, {Lo: math.Inf(-1), Hi: 3, Level: 0.5}} {
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("marshal %v: %v", c, err)
		}
		var back CI
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("unmarshal %s: %v", b, err)
		}
		wantLo := c.Lo
		if math.IsInf(wantLo, 0) {
			wantLo = math.NaN()
		}
		if !close(back.Lo, wantLo, 0) || !close(back.Hi, c.Hi, 0) || back.Level != c.Level {
			t.Errorf("%v → %s → %v", c, b, back)
		}
	}
}

// TestWarningsWrapSentinels: every warning a Result carries wraps one of
// the package's sentinels, with the message written out.
func TestWarningsWrapSentinels(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		r        Result
		sentinel error
		prefix   string
	}{
		{"Mann–Whitney, one observation", MannWhitney([]float64{1}, []float64{}, TwoSided), ErrTooFewData, "too little data: "},
		{"Mann–Whitney, no interval", MannWhitney([]float64{1, 2}, []float64{3, 4}, TwoSided), ErrTooFewData, "samples of 2 and 2 are too small"},
		{"Jonckheere–Terpstra, empty group", JonckheereTerpstra([][]float64{{1, 2}, {}, {3, 4, 5}}, Greater), ErrDropped, "group 1 is empty and was dropped"},
		{"Jonckheere–Terpstra, ties", JonckheereTerpstra([][]float64{{1, 1, 2}, {2, 3, 3}}, Greater), ErrTies, "ties in a small sample: "},
		{"Kendall, constant", KendallTest(rand.New(rand.NewPCG(1, 1)), []float64{1, 1, 1}, []float64{1, 2, 3}, Greater, 100), ErrTooFewData, "too little data: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var found bool
			for _, w := range tc.r.Warnings {
				if errors.Is(w, tc.sentinel) && strings.HasPrefix(w.Error(), tc.prefix) {
					found = true
				}
			}
			if !found {
				t.Errorf("warnings %q: none wraps %v with a message starting %q", tc.r.Warnings, tc.sentinel, tc.prefix)
			}
		})
	}
	if w := Warnf(ErrTies, "x %d", 1); w.Error() != "x 1" || !errors.Is(w, ErrTies) || errors.Is(w, ErrDropped) {
		t.Errorf("Warnf: %q, Is ErrTies %v, Is ErrDropped %v", w, errors.Is(w, ErrTies), errors.Is(w, ErrDropped))
	}
}
