package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoTestingInBinary holds the house rule that production code does not
// import testing: no package of this module that the hypobench binary links
// may import testing, and the testing.T glue (verdict/verdicttest) must not
// be linked at all. It reads `go list -deps ./cmd/hypobench`.
//
// Package testing itself still appears in the list: a dependency outside
// the module (github.com/pandatix/go-abnf, pulled in by
// prometheus/common/expfmt for servermetrics) imports it in its non-test
// files. The test names every module package that imports it, so that path
// is reported but does not fail here.
func TestNoTestingInBinary(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	cmd := exec.Command(goBin, "list", "-deps", "-f", "{{.ImportPath}}\t{{join .Imports \" \"}}", ".")
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list -deps: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list -deps: %v", err)
	}
	const module = "github.com/hypobench/hypobench"
	var ours int
	for line := range strings.Lines(string(out)) {
		path, imps, ok := strings.Cut(strings.TrimSuffix(line, "\n"), "\t")
		if !ok {
			t.Fatalf("go list line %q: want path, tab, imports", line)
		}
		imports := strings.Fields(imps)
		if path == module+"/verdict/verdicttest" {
			t.Errorf("the binary links %s, the testing.T glue", path)
		}
		if path != module && !strings.HasPrefix(path, module+"/") {
			continue
		}
		ours++
		for _, imp := range imports {
			if imp == "testing" || strings.HasPrefix(imp, "testing/") {
				t.Errorf("%s imports %s but is linked into the hypobench binary", path, imp)
			}
		}
	}
	if ours < 5 {
		t.Fatalf("go list -deps found %d packages of %s: the listing is not what this test expects", ours, module)
	}
}
