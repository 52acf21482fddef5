package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hypobench/hypobench/openai/openaitest"
	"github.com/hypobench/hypobench/record"
	hrun "github.com/hypobench/hypobench/run"
)

// buildCLI compiles the hypobench binary once per test binary.
func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hypobench")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

const slowSuite = `{"name":"slow","base_text":"hi ","profiles":[{"name":"short_long","prompt_rep":4,"max_tokens":40}],
"concurrency":[4],"requests":400,"warmup":0,"order":"ordered","seed":1}`

// startRun starts `hypobench run` against a fake server whose requests take
// about 200 ms, and waits until at least min records are on disk.
func startRun(t *testing.T, bin string, min int) (*exec.Cmd, string, *bytes.Buffer) {
	t.Helper()
	srv := openaitest.NewServer(openaitest.Config{TokenDelay: 5 * time.Millisecond, NoLog: true})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	suite := filepath.Join(dir, "slow.json")
	os.WriteFile(suite, []byte(slowSuite), 0o644)
	out := filepath.Join(dir, "reports")
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "run", "--target", srv.URL, "--model", "m", "--suite", suite, "--out", out, "--no-report")
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	reqs := filepath.Join(out, record.LatestLink, record.RequestsFile)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(reqs); err == nil && bytes.Count(b, []byte("\n")) >= min {
			return cmd, filepath.Join(out, record.LatestLink), &stderr
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Kill()
	t.Fatalf("no %d records after 60 s; stderr:\n%s", min, stderr.String())
	return nil, "", nil
}

// TestSIGINTKeepsEveryFinishedRecord interrupts a run with SIGINT: the
// process exits 130, requests.jsonl is valid JSONL holding every finished
// request, and config.json says interrupted.
func TestSIGINTKeepsEveryFinishedRecord(t *testing.T) {
	bin := buildCLI(t)
	cmd, dir, stderr := startRun(t, bin, 8)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Errorf("exit: %v, want status 130; stderr:\n%s", err, stderr)
	}
	recs, bad, err := record.ReadRecords(filepath.Join(dir, record.RequestsFile))
	if err != nil || len(bad) > 0 {
		t.Fatalf("requests.jsonl not valid JSONL: %v %v", err, bad)
	}
	if len(recs) < 8 || len(recs) >= 400 {
		t.Errorf("%d records: want the finished ones only", len(recs))
	}
	for _, r := range recs {
		if !r.OK() && r.ErrorClass != record.ClassCanceled {
			t.Errorf("%s: %s %s", r.ID, r.ErrorClass, r.Error)
		}
	}
	if st, err := hrun.ReadStatus(dir); err != nil || st != record.StatusInterrupted {
		t.Errorf("status %q (%v), want interrupted", st, err)
	}
	if !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("stderr does not say the run was interrupted:\n%s", stderr)
	}
	// The reports can be rebuilt from what the interrupted run left.
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"report", dir}, &out, &errb); err != nil {
		t.Fatalf("report on the interrupted run: %v\n%s", err, errb.String())
	}
	if _, err := os.Stat(filepath.Join(dir, record.HTMLFile)); err != nil {
		t.Errorf("no index.html after rebuilding: %v", err)
	}
}

// TestKillLeavesValidPrefix kills a run with SIGKILL: whatever is on disk
// is whole lines.
func TestKillLeavesValidPrefix(t *testing.T) {
	bin := buildCLI(t)
	cmd, dir, _ := startRun(t, bin, 12)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	b, err := os.ReadFile(filepath.Join(dir, record.RequestsFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) == 0 || b[len(b)-1] != '\n' {
		t.Errorf("requests.jsonl does not end with a whole line")
	}
	recs, bad, err := record.ReadRecords(filepath.Join(dir, record.RequestsFile))
	if err != nil || len(bad) > 0 || len(recs) < 12 {
		t.Errorf("%d records, bad %v, err %v", len(recs), bad, err)
	}
}
