// Package verdicttest is the glue between verdicts and testing.T, kept out
// of package verdict (as net/http/httptest is out of net/http) so that
// production code never links package testing.
//
// Record writes a verdict to the run directory and logs it with every check,
// info line and warning without judging it (negative controls use it).
// Report records it and fails the test on fail, and on inconclusive unless
// HYPOBENCH_ACCEPT_INCONCLUSIVE=1.
package verdicttest
