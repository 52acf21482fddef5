package stats

import (
	"errors"
	"fmt"
	"math"
)

// Alternative is the alternative hypothesis of a test. Its zero value is
// TwoSided. What "greater" means is stated by each test: a positive
// association for KendallTest, an increasing trend over the group order for
// JonckheereTerpstra, x stochastically larger than y for MannWhitney.
type Alternative int

const (
	// TwoSided is the alternative that the effect is non-zero in either
	// direction.
	TwoSided Alternative = iota
	// Less is the one-sided alternative that the effect is negative.
	Less
	// Greater is the one-sided alternative that the effect is positive.
	Greater
)

// String returns "two-sided", "less" or "greater", the names R uses.
func (a Alternative) String() string {
	switch a {
	case TwoSided:
		return "two-sided"
	case Less:
		return "less"
	case Greater:
		return "greater"
	}
	return "Alternative(invalid)"
}

// CI is a confidence interval [Lo, Hi] at confidence Level (for example
// 0.95). An interval that could not be computed has NaN bounds.
type CI struct {
	Lo, Hi, Level float64
}

// Contains reports whether v lies in the closed interval [Lo, Hi]; it is
// false for a NaN interval.
func (c CI) Contains(v float64) bool {
	return v >= c.Lo && v <= c.Hi
}

// Valid reports whether both bounds are numbers (not NaN).
func (c CI) Valid() bool {
	return !math.IsNaN(c.Lo) && !math.IsNaN(c.Hi)
}

// Result is the outcome of a hypothesis test.
//
// Test names the test; N is the number of observations used (pairs for
// KendallTest, all observations over all groups for JonckheereTerpstra,
// n1+n2 for MannWhitney). Statistic is the test's own statistic as
// documented by the function, P its p-value under Alt, Effect an effect size
// in the data's units where one exists and EffectCI its confidence interval.
// Method says how P was computed ("exact", "normal approximation",
// "permutation, B=2000"). Warnings carry problems found during the analysis
// (too little data, ties, …); a Result with too little data has NaN
// Statistic, P and Effect and at least one warning, and must be read as
// inconclusive, never as a pass.
type Result struct {
	Test      string
	Alt       Alternative
	Method    string
	N         int
	Statistic float64
	P         float64
	Effect    float64
	EffectCI  CI
	Warnings  []error
}

// Sentinel conditions carried in Result.Warnings; test for them with
// errors.Is.
var (
	// ErrTooFewData is the condition "too little data for this
	// statistic". Functions returning a Result report it as a warning
	// wrapping it (whose text starts with ErrTooFewData.Error()); scalar
	// functions return NaN instead.
	ErrTooFewData = errors.New("too little data")
	// ErrTies is the condition "ties make an approximation poor".
	ErrTies = errors.New("ties in a small sample")
	// ErrDropped is the condition "part of the input was left out" (an
	// empty group, a failed request).
	ErrDropped = errors.New("input dropped")
)

// Warnf returns a warning whose message is format applied to a and which
// wraps sentinel, so that errors.Is(w, sentinel) holds while the message
// reads as written.
func Warnf(sentinel error, format string, a ...any) error {
	return &warning{msg: fmt.Sprintf(format, a...), err: sentinel}
}

type warning struct {
	msg string
	err error
}

func (w *warning) Error() string { return w.msg }
func (w *warning) Unwrap() error { return w.err }

// nanCI returns an interval with NaN bounds at the given level.
func nanCI(level float64) CI {
	return CI{Lo: math.NaN(), Hi: math.NaN(), Level: level}
}

// inconclusive returns a Result with NaN numbers and one warning.
func inconclusive(test string, alt Alternative, n int, level float64, why string) Result {
	return Result{
		Test: test, Alt: alt, N: n,
		Statistic: math.NaN(), P: math.NaN(), Effect: math.NaN(),
		EffectCI: nanCI(level),
		Warnings: []error{fmt.Errorf("%w: %s", ErrTooFewData, why)},
	}
}
