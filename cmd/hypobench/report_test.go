package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hypobench/hypobench/record"
)

func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join("..", "..", "report", "testdata", "run")
	for _, name := range []string{record.RequestsFile, record.PhasesFile, record.ConfigFile, record.HypothesesFile} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"report", "--slo-ttft", "80ms", "--slo-tpot", "15ms", dir}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("hypobench report: %v\nstderr:\n%s", err, stderr.String())
	}
	for _, want := range []string{"144 records", filepath.Join(dir, record.HTMLFile), filepath.Join(dir, record.SummaryMDFile)} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
		}
	}
	md, err := os.ReadFile(filepath.Join(dir, record.SummaryMDFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "TTFT ≤ 80 ms, TPOT ≤ 15 ms") {
		t.Errorf("summary.md does not state the SLO given on the command line")
	}

	if !strings.Contains(string(md), "**simulated time: h200 · qwen2.5-7b · run compressed ×10;") {
		t.Errorf("summary.md of an embedded run does not open with the simulated-time banner:\n%.400s", md)
	}

	t.Run("wall clock", func(t *testing.T) {
		stdout.Reset()
		if err := run(context.Background(), []string{"report", "--wall-clock", dir}, &stdout, &stderr); err != nil {
			t.Fatalf("hypobench report --wall-clock: %v", err)
		}
		md, err := os.ReadFile(filepath.Join(dir, record.SummaryMDFile))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(md), "**wall-clock time as measured: h200") || !strings.Contains(stdout.String(), "figures in wall-clock time") {
			t.Errorf("--wall-clock did not rebuild in wall-clock time: stdout %s\n%.400s", stdout.String(), md)
		}
	})

	t.Run("usage errors", func(t *testing.T) {
		for _, args := range [][]string{{"report"}, {"report", t.TempDir()}, {"report", "--slo-e2e", "-1s", dir}} {
			err := run(context.Background(), args, &stdout, &stderr)
			var ee *ExitError
			if !errors.As(err, &ee) || ee.Code != 2 {
				t.Errorf("hypobench %v = %v, want exit status 2", args, err)
			}
		}
	})
}
