package stats

import (
	"encoding/json"
	"math"
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
