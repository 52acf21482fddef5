package testutil

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// update is the one -update flag of every test binary that imports this
// package.
var update = flag.Bool("update", false, "rewrite golden files and committed fixtures under testdata/")

// Update reports whether the test binary runs with -update: golden files
// and committed fixtures are to be rewritten from what the code produces.
func Update() bool { return *update }

// Golden compares got with the file at path (relative to the package
// directory, usually under testdata/), showing a cmp.Diff of the two as
// text. Under -update it first writes got to path, creating its directory.
// A missing golden file fails the test.
func Golden(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file: %v (go test -update writes it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s differs (-golden +got; go test -update rewrites it):\n%s", path, d)
	}
}

// Fixture reads a committed test fixture. A missing or unreadable file
// fails the test: a fixture that silently went away must not turn a test
// into a skip.
func Fixture(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("committed fixture missing: %v", err)
	}
	return b
}
