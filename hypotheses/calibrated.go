package hypotheses

import (
	"fmt"
	"strings"

	"github.com/hypobench/hypobench/compare"
	"github.com/hypobench/hypobench/verdict"
)

// Operating is one round-based check's operating characteristics,
// measured in virtual time by TestRoundCalibration
// (hypotheses/h123calib_test.go): with the true effect exactly at the
// check's bound, the share of sessions that passed and its exact 95%
// upper bound, and the share of 90% intervals that covered the truth;
// with the true effect at twice the bound (Twice, on the scale the
// verdict prints), the share that passed (power).
type Operating struct {
	Hypothesis string `json:"hypothesis"`
	Check      string `json:"check"`
	// Scale names what Bound and Twice measure, as the verdict prints it.
	Scale         string  `json:"scale"`
	Bound         float64 `json:"bound"`
	Twice         float64 `json:"twice"`
	Sessions      int     `json:"sessions"`
	PassAtBound   float64 `json:"pass_at_bound"`
	PassAtBoundHi float64 `json:"pass_at_bound_hi"`
	PowerAtTwice  float64 `json:"power_at_twice"`
	Coverage      float64 `json:"coverage"`
	// Misses lists the calibration requirements the measurement misses
	// (pass at the bound ≤ α and its upper bound ≤ 1.5α, coverage 88–92%,
	// power ≥ 0.95); shown beside the figures wherever they are.
	Misses []string `json:"misses,omitempty"`
}

// RoundCalibration is the table of H1–H3's calibrated checks and the
// setup they were measured in.
type RoundCalibration struct {
	Setup  string      `json:"setup"`
	Checks []Operating `json:"checks"`
}

// Lookup returns the characteristics of hypothesis id's check.
func (c RoundCalibration) Lookup(id, check string) (Operating, bool) {
	for _, o := range c.Checks {
		if o.Hypothesis == id && o.Check == check {
			return o, true
		}
	}
	return Operating{}, false
}

// Describe says in one phrase how hypothesis id's check behaved in
// calibration, or that it is not calibrated.
func (c RoundCalibration) Describe(id, check string) string {
	o, ok := c.Lookup(id, check)
	if !ok {
		return "not calibrated"
	}
	d := fmt.Sprintf("at the bound (%s %.4g) it passed %.2f%% of %d calibration sessions (95%% upper bound %.2f%%), at twice the bound (%.4g) %.1f%%; interval coverage %.1f%%",
		o.Scale, o.Bound, 100*o.PassAtBound, o.Sessions, 100*o.PassAtBoundHi, o.Twice, 100*o.PowerAtTwice, 100*o.Coverage)
	if len(o.Misses) > 0 {
		d += " — MISSES the calibration requirement: " + strings.Join(o.Misses, "; ")
	}
	return d
}

// RoundCalibrated is what TestRoundCalibration measured; that test fails
// when the table and the measurement differ.
var RoundCalibrated = RoundCalibration{
	Setup: "the embedded engine (rtx4090:qwen2.5-7b) tuned in virtual time so the true effect sits at the bound and at twice it (H1, H2 and H3 admission by a fixed per-request front-end cost, H3 shift by max_num_batched_tokens), the Default designs' rounds, 7% step jitter, per-round level log-sd 0.2, 1% run factor, 0.5% drift per round, 3% per request",
	Checks: []Operating{
		{Hypothesis: "H1", Check: "growth", Scale: "relative growth", Bound: 0.25, Twice: 0.5, Sessions: 4000, PassAtBound: 0.0513, PassAtBoundHi: 0.0574, PowerAtTwice: 1, Coverage: 0.9015,
			Misses: []string{"pass rate at the bound 5.13% above α = 5%"}},
		{Hypothesis: "H2", Check: "token-cost", Scale: "ratio TPOT/one-token TTFT", Bound: 0.1, Twice: 0.2, Sessions: 4000, PassAtBound: 0.047, PassAtBoundHi: 0.0529, PowerAtTwice: 1, Coverage: 0.8973},
		{Hypothesis: "H3", Check: "shift", Scale: "prompt share P", Bound: 0.5, Twice: 0.25, Sessions: 4000, PassAtBound: 0.0468, PassAtBoundHi: 0.0526, PowerAtTwice: 1, Coverage: 0.8975},
		{Hypothesis: "H3", Check: "admission", Scale: "ratio TTFT/decode", Bound: 1, Twice: 0.5, Sessions: 4000, PassAtBound: 0.0138, PassAtBoundHi: 0.0172, PowerAtTwice: 1, Coverage: 0.9115},
	},
}

// CheckCalibration is one check's operating characteristics as a report
// shows them beside its verdict.
type CheckCalibration struct {
	Check   string          `json:"check"`
	Outcome verdict.Outcome `json:"outcome"`
	// Text is the measured figures in one phrase, or why there are none.
	Text string `json:"text"`
}

// CalibrationOf returns the operating characteristics measured for each
// of v's checks and the setup they were measured in: H1–H3 from
// RoundCalibrated, H4 from H4Calibrated, the regression gate from
// compare.Calibrated (its checks decided by interleaved rounds; other
// designs and the error-rate checks are not calibrated). A verdict of
// another id (a user's hypothesis) has none: ok is false. The figures are
// this build's calibration, whatever build wrote the verdict.
func CalibrationOf(v verdict.Verdict) (setup string, rows []CheckCalibration, ok bool) {
	switch v.ID {
	case "H1", "H2", "H3":
		for _, c := range v.Checks {
			rows = append(rows, CheckCalibration{Check: c.Name, Outcome: c.Outcome, Text: RoundCalibrated.Describe(v.ID, c.Name)})
		}
		return RoundCalibrated.Setup, rows, true
	case "H4":
		for _, c := range v.Checks {
			rows = append(rows, CheckCalibration{Check: c.Name, Outcome: c.Outcome, Text: H4Calibrated.Describe(c.Name)})
		}
		return H4Calibrated.Setup, rows, true
	case "regression":
		op, calibrated := compare.Calibrated[compare.Interleaved]
		for _, c := range v.Checks {
			text := "not calibrated: only checks decided by interleaved rounds are"
			if calibrated && strings.Contains(c.Test, "interleaved rounds") {
				text = fmt.Sprintf("%s (%d rounds per side in calibration): a true change at the budget passed %.2f%% of %d sessions (95%% upper bound %.2f%%), twice the budget failed %.1f%%; interval coverage %.1f%%",
					op.Design, op.Rounds, 100*op.PassAtBoundary, op.Sessions, 100*op.PassAtBoundaryHi, 100*op.FailAtTwice, 100*op.Coverage)
			}
			rows = append(rows, CheckCalibration{Check: c.Name, Outcome: c.Outcome, Text: text})
		}
		return op.Setup, rows, true
	}
	return "", nil, false
}

// attachCalibration writes, for H1–H3, each calibrated check's operating
// characteristics into its detail and one line naming every check's into
// the verdict's info, as H4 and the regression gate do.
func attachCalibration(v *verdict.Verdict) {
	var parts []string
	for i := range v.Checks {
		c := &v.Checks[i]
		d := RoundCalibrated.Describe(v.ID, c.Name)
		if _, ok := RoundCalibrated.Lookup(v.ID, c.Name); ok {
			c.Detail += "; " + d
		}
		parts = append(parts, c.Name+": "+d)
	}
	v.Info = append(v.Info, "operating characteristics (virtual-time calibration, "+RoundCalibrated.Setup+"): "+strings.Join(parts, "; "))
}
