package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hypobench/hypobench/compare"
	"github.com/hypobench/hypobench/internal/fakerun"
	"github.com/hypobench/hypobench/record"
)

const cliConfig = `{"run_id": "RUNID", "status": "complete", "suite": {"name": "tiny"},
 "client": {"hostname": "ci", "os": "linux", "arch": "amd64", "cpus": 4, "go": "go1.26.8"},
 "meta": {"target": "embedded", "engine": {"speed": 20}}}`

// fakeRun writes a run directory of n requests of one group whose TTFT is
// 50 ms × scale with 10% log-normal noise.
func fakeRun(t *testing.T, root, id string, seed uint64, n int, scale float64) string {
	t.Helper()
	recs := fakerun.Records(seed, n, scale, 0.1, fakerun.Group{Profile: "short_long", Concurrency: 4})
	for i := range recs {
		recs[i].RunID = id
	}
	dir := fakerun.WriteRun(t, filepath.Join(root, id), recs, strings.Replace(cliConfig, "RUNID", id, 1))
	fakerun.WriteJSONL(t, filepath.Join(dir, record.PhasesFile), []record.Phase{{Suite: "tiny", Profile: "short_long", Concurrency: 4, Requests: n, Status: record.StatusComplete}})
	return dir
}

func exitOf(err error) int {
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	if err != nil {
		return 1
	}
	return 0
}

func TestCompareCommand(t *testing.T) {
	root := t.TempDir()
	base := fakeRun(t, root, "base", 1, 200, 1)
	same := fakeRun(t, root, "same", 2, 200, 1)
	slow := fakeRun(t, root, "slow", 3, 200, 1.2)
	few := fakeRun(t, root, "few", 4, 5, 1)
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  string // substring of stdout
	}{
		{name: "one run per side cannot decide", args: []string{base, slow}, code: 2, out: "ONE RUN PER SIDE"},
		{name: "pass", args: []string{"--run-to-run", "1%", base, same}, code: 0, out: "hypobench compare: PASS"},
		{name: "fail", args: []string{"--run-to-run", "1%", base, slow}, code: 1, out: "hypobench compare: FAIL"},
		{name: "flags after args", args: []string{base, slow, "--budget-ttft", "30%", "--run-to-run", "1%"}, code: 0, out: "ttft +30%"},
		{name: "requests.jsonl path", args: []string{"--out", "-", "--run-to-run", "1%", filepath.Join(base, record.RequestsFile), filepath.Join(slow, record.RequestsFile)}, code: 1},
		{name: "bad run-to-run", args: []string{"--run-to-run", "-1%", base, same}, code: 2},
		{name: "inconclusive", args: []string{base, few}, code: 2, out: "INCONCLUSIVE"},
		{name: "bad budget", args: []string{"--budget", "x", base, same}, code: 2},
		{name: "too few B", args: []string{"-B", "100", base, same}, code: 2},
		{name: "one argument", args: []string{base}, code: 2},
		{name: "missing run", args: []string{base, filepath.Join(root, "nope")}, code: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := compareCmd(context.Background(), tc.args, &stdout, &stderr)
			if c := exitOf(err); c != tc.code {
				t.Errorf("exit %d (%v), want %d\nstdout:\n%s\nstderr:\n%s", c, err, tc.code, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), tc.out) {
				t.Errorf("stdout lacks %q:\n%s", tc.out, stdout.String())
			}
		})
	}
	if _, err := os.Stat(filepath.Join(slow, compare.JSONFile)); err != nil {
		t.Errorf("compare.json not written into NEW's directory: %v", err)
	}
}

func TestBaselineCommand(t *testing.T) {
	root := t.TempDir()
	run := fakeRun(t, root, "20261128T000000Z-tiny-abcdef", 1, 200, 1)
	os.Symlink(filepath.Base(run), filepath.Join(root, "latest"))
	dest := filepath.Join(root, "baselines")
	var out bytes.Buffer
	if err := baselineCmd(context.Background(), []string{filepath.Join(root, "latest"), dest}, &out, &out); err != nil {
		t.Fatalf("baseline: %v\n%s", err, out.String())
	}
	saved := filepath.Join(dest, "20261128T000000Z-tiny-abcdef")
	for _, f := range []string{record.RequestsFile, record.PhasesFile, record.ConfigFile} {
		want, _ := os.ReadFile(filepath.Join(run, f))
		got, err := os.ReadFile(filepath.Join(saved, f))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s not copied verbatim: %v", f, err)
		}
	}
	if err := baselineCmd(context.Background(), []string{run, dest}, &out, &out); exitOf(err) != 2 {
		t.Errorf("saving over an existing baseline: %v, want exit 2", err)
	}
	if err := baselineCmd(context.Background(), []string{"--name", "main", run, dest}, &out, &out); err != nil {
		t.Errorf("--name main: %v", err)
	}
	if err := baselineCmd(context.Background(), []string{"--name", "../x", run, dest}, &out, &out); exitOf(err) != 2 {
		t.Errorf("--name ../x: %v, want exit 2", err)
	}
	// The saved baseline gates like the run itself.
	if err := compareCmd(context.Background(), []string{"--out", "-", "--run-to-run", "1%", filepath.Join(dest, "main"), run}, &out, &out); err != nil {
		t.Errorf("compare against the saved baseline: %v", err)
	}
}
