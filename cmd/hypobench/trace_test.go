package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hypobench/hypobench/internal/testutil"
)

const traceFixtures = "../../fixtures/traces/"

// TestTraceCmd runs the trace subcommand on the three fixtures and on bad
// input, comparing stdout with golden files and checking the exit status.
func TestTraceCmd(t *testing.T) {
	type testCase struct {
		name   string
		args   []string
		code   int    // exit status
		stderr string // substring of stderr
	}
	run := func(t *testing.T, tc testCase) {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), append([]string{"trace"}, tc.args...), &stdout, &stderr)
		if code := exitCode(err, &stderr); code != tc.code {
			t.Fatalf("exit status %d, want %d; stderr:\n%s", code, tc.code, stderr.String())
		}
		if !strings.Contains(stderr.String(), tc.stderr) {
			t.Errorf("stderr %q does not contain %q", stderr.String(), tc.stderr)
		}
		testutil.Golden(t, filepath.Join("testdata", "trace_"+tc.name+".golden"), stdout.Bytes())
	}
	phases := traceFixtures + "phases.jsonl"
	for _, tc := range []testCase{
		{name: "kineto", args: []string{"--phases", phases, "--seed", "7", traceFixtures + "kineto.pt.trace.json.gz"}},
		{name: "sqlite_nvtx", args: []string{"--threshold", "100us", traceFixtures + "nsys.sqlite"}},
		{name: "csv", args: []string{"--phases", phases, "--base-unix-ns", "1767225600000000000", "--format", "csv", traceFixtures + "nsys_cuda_gpu_trace.csv"}},
		{name: "swapped", args: []string{"--phases", phases, "--prefill", "short_long", "--decode", "long_short", traceFixtures + "kineto.pt.trace.json.gz"}, code: 1},
		{name: "coarse", args: []string{"--phases", phases, "--window", "60ms", traceFixtures + "kineto.pt.trace.json.gz"}, code: 2},
		{name: "no_phases", args: []string{traceFixtures + "nsys_cuda_gpu_trace.csv"}, code: 2, stderr: "no phase windows"},
		{name: "malformed", args: []string{"--phases", phases, traceFixtures + "phases.jsonl"}, code: 2, stderr: "phases.jsonl: byte offset 173: no traceEvents array"},
		{name: "usage", args: nil, code: 2, stderr: "usage: hypobench trace"},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}
