package compare

import (
	"math"
	"testing"

	"github.com/hypobench/hypobench/internal/fakerun"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/verdict"
)

// TestAllFailedIsFail: a new run whose every request failed is a FAIL of
// the gate (the error rate is gated), not an inconclusive "more requests
// would decide it".
func TestAllFailedIsFail(t *testing.T) {
	t.Parallel()
	g := fakerun.Group{Profile: "short_long", Concurrency: 1}
	base := fakerun.Records(1, 10, 1, 0.1, g)
	cand := fakerun.Records(2, 10, 1, 0.1, g)
	for i := range cand {
		cand[i].ErrorClass, cand[i].Error = record.ClassHTTPStatus, "HTTP 500"
		cand[i].TTFT, cand[i].E2E, cand[i].TPOT = nil, nil, nil
	}
	rep := Compare(base, cand, Options{B: 200})
	if rep.Outcome != verdict.Fail {
		t.Fatalf("outcome %s, want fail; errors %+v", rep.Outcome, rep.Errors)
	}
	if v := rep.Verdict(); v.Outcome != verdict.Fail {
		t.Errorf("verdict %s, want fail", v.Outcome)
	}
	// Negative control: one failure in ten on the new side is not evidence.
	cand = fakerun.Records(2, 10, 1, 0.1, g)
	cand[3].ErrorClass = record.ClassReset
	if rep := Compare(base, cand, Options{B: 200}); len(rep.Errors) != 1 || rep.Errors[0].Outcome != verdict.Pass {
		t.Errorf("one failure of ten: %+v, want a passing error-rate check", rep.Errors)
	}
}

// TestFisherGreater checks the one-sided p-value against values computed
// by hand from the hypergeometric distribution (R: fisher.test(...,
// alternative = "greater")$p.value).
func TestFisherGreater(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		xa, na, xb, nb int
		want           float64
	}{
		{10, 10, 0, 10, 1.0 / 184756}, // only the extreme table
		{1, 40, 0, 40, 0.5},           // P(X ≥ 1) with one failure among 80
		{3, 10, 1, 10, 0.2910216718},  // R: 0.291
		{0, 10, 5, 10, 1},
		{0, 10, 0, 10, 1},
	} {
		if got := fisherGreater(tc.xa, tc.na, tc.xb, tc.nb); math.Abs(got-tc.want) > 1e-6 {
			t.Errorf("fisherGreater(%d/%d vs %d/%d) = %.10g, want %.10g", tc.xa, tc.na, tc.xb, tc.nb, got, tc.want)
		}
	}
}
