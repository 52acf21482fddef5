package compare

// Operating is the gate's operating characteristics for one design of its
// checks, as measured in virtual time by package calibrate (see its
// TestGateCalibration, which fails when these figures no longer match
// what it measures): how often a check passes when the true change equals
// its budget (the false-pass rate of a non-inferiority test, at most α),
// how often it fails at twice the budget (power), how often it falsely
// fails and how often it passes with no change, and how often the
// interval covers the true ratio.
type Operating struct {
	Design Design `json:"design"`
	// Setup says which workload, rounds, noise and budget were measured.
	Setup string `json:"setup"`
	// Sessions is the number of simulated gate sessions per figure, and
	// Rounds the rounds per side of each.
	Sessions int `json:"sessions"`
	Rounds   int `json:"rounds"`
	// PassAtBoundary is the pass rate at a true change equal to the
	// budget; PassAtBoundaryHi its exact 95% upper bound.
	PassAtBoundary   float64 `json:"pass_at_boundary"`
	PassAtBoundaryHi float64 `json:"pass_at_boundary_upper95"`
	// FailAtTwice is the fail rate at twice the budget (power).
	FailAtTwice float64 `json:"fail_at_twice_budget"`
	// PassAtZero and FailAtZero are the pass and false-alarm rates with no
	// change.
	PassAtZero float64 `json:"pass_at_zero"`
	FailAtZero float64 `json:"fail_at_zero"`
	// Coverage is the share of 90% intervals that contained the truth.
	Coverage float64 `json:"coverage"`
}

// Calibrated holds the measured operating characteristics per design. Only
// interleaved rounds are calibrated: a single run per side cannot decide
// (Design SingleRound), and unpaired rounds are not measured yet.
var Calibrated = map[Design]Operating{
	Interleaved: {Design: Interleaved,
		Setup: "TTFT p50 at +0, +5% (the budget) and +10% true change, tuned on the embedded engine's virtual-time core " +
			"(rtx4090:qwen2.5-7b, tiny suite short_short, c=8, 32 requests per run), 16 interleaved ABBA rounds per side; " +
			"noise: 7% step jitter, per-round level log-sd 0.2, 1% run-to-run, 0.5% drift per run, 3% per request",
		Sessions: 4000, Rounds: 16, PassAtBoundary: 0.0435, PassAtBoundaryHi: 0.0492, FailAtTwice: 0.9823,
		PassAtZero: 0.9905, FailAtZero: 0, Coverage: 0.9165,
	},
}

// OperatingFor returns the calibrated characteristics of the design all of
// the report's checks share, or nil when they differ or that design is not
// calibrated.
func OperatingFor(checks []Check) *Operating {
	if len(checks) == 0 {
		return nil
	}
	d := checks[0].Design
	for _, c := range checks {
		if c.Design != d {
			return nil
		}
	}
	if o, ok := Calibrated[d]; ok {
		return &o
	}
	return nil
}
