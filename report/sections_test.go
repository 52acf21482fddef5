package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hypobench/hypobench/internal/fakerun"
	"github.com/hypobench/hypobench/internal/testutil"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/servermetrics"
)

// TestBuildKernelTrace builds a report from the kernel-trace fixture
// (fixtures/traces: a kineto trace and its phases.jsonl) and checks the
// per-phase table and the duration histogram.
func TestBuildKernelTrace(t *testing.T) {
	dir := copyFixture(t)
	src := filepath.Join("..", "fixtures", "traces")
	for _, name := range []string{record.PhasesFile, "kineto.pt.trace.json.gz"} {
		b := testutil.Fixture(t, filepath.Join(src, name))
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b := build(t, dir, Options{}) // finds *.pt.trace.json.gz in the directory
	md, err := os.ReadFile(filepath.Join(dir, record.SummaryMDFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Kernel trace", "kineto.pt.trace.json.gz", "| 0 | short_short | 4 |", "| 3 | long_long | 4 |"} {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("summary.md lacks %q", want)
		}
	}
	if !contains(b.Files, filepath.Join(record.PlotsDir, "kernel_durations.svg")) {
		t.Fatalf("no kernel-duration histogram among %v", b.Files)
	}
	svg, err := os.ReadFile(filepath.Join(dir, record.PlotsDir, "kernel_durations.svg"))
	if err != nil {
		t.Fatal(err)
	}
	s := svgStructure(t, svg)
	for _, want := range []string{"long_short (", "short_long (", "long/short threshold", "kernel duration (µs, log10 bins)"} {
		if !strings.Contains(s, want) {
			t.Errorf("kernel histogram lacks text %q:\n%s", want, s)
		}
	}
	for _, n := range b.Notes {
		if strings.Contains(n, "kernel trace") {
			t.Errorf("unexpected note: %s", n)
		}
	}
}

// TestBuildServerMetrics writes a two-scrape log around phase 0 from the
// vLLM /metrics sample and checks that the section appears.
func TestBuildServerMetrics(t *testing.T) {
	dir := copyFixture(t)
	page := testutil.Fixture(t, filepath.Join("..", "fixtures", "metrics", "vllm-v1-sample.txt"))
	samples, err := servermetrics.Parse(bytes.NewReader(page), "vllm-v1-sample.txt")
	if err != nil {
		t.Fatal(err)
	}
	phases, _, err := record.ReadPhases(filepath.Join(dir, record.PhasesFile))
	if err != nil {
		t.Fatal(err)
	}
	p := phases[0]
	fakerun.WriteJSONL(t, filepath.Join(dir, record.ServerMetricsFile), []servermetrics.ScrapeLine{
		{UnixNs: p.StartUnixNs - 1e6, Phase: p.Index, Edge: servermetrics.EdgeStart, Samples: samples},
		{UnixNs: p.EndUnixNs + 1e6, Phase: p.Index, Edge: servermetrics.EdgeEnd, Samples: samples},
	})
	b := build(t, dir, Options{})
	md, err := os.ReadFile(filepath.Join(dir, record.SummaryMDFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(md, []byte("## Server metrics (server-metrics.jsonl)")) {
		t.Errorf("summary.md has no server-metrics section")
	}
	for _, n := range b.Notes {
		if strings.Contains(n, "server metrics") {
			t.Errorf("unexpected note: %s", n)
		}
	}
}
