package compare

import (
	"fmt"
	"math"

	"github.com/hypobench/hypobench/verdict"
)

// gateErrors sets the outcome of a group's error-rate check: the error rate
// is a gated metric, so a new run that fails significantly more requests
// than the baseline fails the gate whatever its latencies (which are
// computed on successful requests only). It fails when the new run
// completed no request of a group the baseline completed, or when
// Fisher's exact test (one-sided: the new run's rate is higher) gives
// p < alpha; otherwise it passes — the error rates are not shown to differ.
func (ge *GroupErrors) gate(alpha float64) {
	ge.P = fisherGreater(ge.NewErrors, ge.NewN, ge.BaseErrors, ge.BaseN)
	switch {
	case ge.NewN > 0 && ge.NewErrors == ge.NewN && ge.BaseErrors < ge.BaseN:
		ge.Outcome = verdict.Fail
		ge.Detail = fmt.Sprintf("every request of the new run failed (%d of %d); the baseline completed %d of %d", ge.NewErrors, ge.NewN, ge.BaseN-ge.BaseErrors, ge.BaseN)
	case ge.P < alpha:
		ge.Outcome = verdict.Fail
		ge.Detail = fmt.Sprintf("error rate %s vs %s in the baseline (Fisher's exact test, one-sided p = %.3g < %.3g)",
			pct(rate(ge.NewErrors, ge.NewN)), pct(rate(ge.BaseErrors, ge.BaseN)), ge.P, alpha)
	default:
		ge.Outcome = verdict.Pass
	}
}

// fisherGreater is the one-sided p-value of Fisher's exact test that
// group a (xa failures of na) fails more often than group b (xb of nb):
// P(X ≥ xa) for X hypergeometric with na draws from na+nb items of which
// xa+xb are failures. It is 1 when there is nothing to test.
func fisherGreater(xa, na, xb, nb int) float64 {
	n, k := na+nb, xa+xb
	if na == 0 || nb == 0 || k == 0 {
		return 1
	}
	lc := func(n, k int) float64 {
		a, _ := math.Lgamma(float64(n + 1))
		b, _ := math.Lgamma(float64(k + 1))
		c, _ := math.Lgamma(float64(n - k + 1))
		return a - b - c
	}
	den := lc(n, na)
	p := 0.0
	for x := xa; x <= min(na, k); x++ {
		if k-x > nb {
			continue
		}
		p += math.Exp(lc(k, x) + lc(n-k, na-x) - den)
	}
	return min(p, 1)
}
