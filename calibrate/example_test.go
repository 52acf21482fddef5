package calibrate_test

import (
	"fmt"

	"github.com/hypobench/hypobench/calibrate"
)

// A check passed 174 of 4,000 sessions at its boundary: the pass rate and
// its exact one-sided 95% upper bound, to hold against α and 1.5α.
func ExampleUpperBound() {
	pass, n := 174, 4000
	fmt.Printf("pass rate %.4f, 95%% upper bound %.4f\n", float64(pass)/float64(n), calibrate.UpperBound(pass, n, 0.95))
	// Output: pass rate 0.0435, 95% upper bound 0.0492
}
