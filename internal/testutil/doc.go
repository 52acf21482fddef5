// Package testutil holds the helpers every package's tests share: one
// golden-file comparison with one -update flag, a fixture reader that fails
// when a committed file is missing, and a bytes.Buffer that is safe to
// write from one goroutine while the test reads it.
//
// It is hand-written rather than taken from gotest.tools/v3/golden, which
// the module does not otherwise depend on: the house style compares golden
// files with cmp.Diff, and the same -update flag also regenerates
// committed fixtures that are not single golden files (report's run
// directory), which Update exposes.
//
// Production code never imports it; it is internal so that it is not
// public API.
package testutil
