//go:build unix

package run

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/workload"
)

// stallEnv, when set, makes the test binary run TestEngineRunChild's
// body: an embedded-engine run whose process the parent stops on purpose
// (see TestSelfCheckFlagsStalledEngine).
const stallEnv = "HYPOBENCH_TEST_STALL_DIR"

// engineSuite is a closed loop of about 2 s of wall clock on the default
// embedded engine at speed 10: 48 requests of 64 output tokens at
// concurrency 4, so the engine's loop always has work waiting.
func engineSuite() *workload.Suite {
	return &workload.Suite{
		Name: "engine", BaseText: "hi ", Nonce: true, Endpoint: "completions", IgnoreEOS: true,
		Profiles:    []workload.Profile{{Name: "short_long", PromptRep: 40, MaxTokens: 64}},
		Concurrency: []int{4}, Requests: 48, Warmup: 1, Order: workload.Ordered, Seed: 11,
	}
}

// engineRun runs engineSuite against an embedded engine at speed 10 into
// dir, with the engine handed to the self-check; started, when set, is
// called as the run starts.
func engineRun(t *testing.T, dir string, started func()) *Result {
	t.Helper()
	ctx := context.Background()
	cfg := engine.DefaultConfig
	cfg.Speed = 10
	tgt, err := OpenTarget(ctx, Env{Out: t.TempDir()}, &cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	var hooks []Hook
	if started != nil {
		hooks = append(hooks, func(_ context.Context, _ record.Phase, edge string) error {
			if edge == "run-start" {
				started()
			}
			return nil
		})
	}
	res, err := Execute(ctx, Config{Client: tgt.Client, Model: tgt.Model, Suite: engineSuite(), Dir: dir, Seed: 1, Meta: tgt.Meta,
		Engine: tgt.Embedded, Hooks: hooks})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestEngineRunChild is the child process of
// TestSelfCheckFlagsStalledEngine; it does nothing unless stallEnv is set.
// It writes dir/started as its run starts, after warm-up's engine start.
func TestEngineRunChild(t *testing.T) {
	dir := os.Getenv(stallEnv)
	if dir == "" {
		t.Skip("child process of TestSelfCheckFlagsStalledEngine")
	}
	engineRun(t, filepath.Join(dir, "run"), func() {
		if err := os.WriteFile(filepath.Join(dir, "started"), nil, 0o644); err != nil {
			t.Error(err)
		}
	})
}

// TestSelfCheckFlagsStalledEngine stalls an embedded engine on purpose:
// a child process runs engineSuite (about 2 s) and, once its run has
// started, this process stops it (SIGSTOP) for 600 ms and lets it go on —
// 6 s of the engine's virtual time at speed 10, which its loop cannot
// make up. The run must record the engine's stall share above the
// threshold and be flagged with ReasonEngineStall.
func TestSelfCheckFlagsStalledEngine(t *testing.T) {
	if testing.Short() {
		t.Skip("an embedded-engine run of a few seconds in a child process")
	}
	tmp := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestEngineRunChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), stallEnv+"="+tmp)
	out, err := os.Create(filepath.Join(tmp, "child.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(time.Minute)
	for {
		if _, err := os.Stat(filepath.Join(tmp, "started")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatal("the child's run did not start within a minute")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // into the run's steady state
	if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	time.Sleep(600 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		b, _ := os.ReadFile(filepath.Join(tmp, "child.log"))
		t.Fatalf("child: %v\n%s", err, b)
	}
	rc, err := record.ReadConfig(filepath.Join(tmp, "run", record.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	cc := rc.ClientCheck
	if cc == nil || cc.EngineStallShare == nil {
		t.Fatalf("no engine stall share recorded: %s", describe(cc))
	}
	t.Logf("stalled engine: share %.3f, %s", *cc.EngineStallShare, describe(cc))
	if !slices.ContainsFunc(cc.Reasons, func(r record.ClientReason) bool { return r.Code == record.ReasonEngineStall }) {
		t.Errorf("engine stopped for 600 ms of a ~2 s run not flagged: share %.3f, %s", *cc.EngineStallShare, describe(cc))
	}
}

// TestSelfCheckPassesOrdinaryEngineRun runs engineSuite in this process
// without stopping it: the engine's stall share is recorded (in
// config.json too) and stays under the threshold, and nothing flags the
// run. A loaded machine does stall an in-process engine now and then
// (measured at load 19: one run of four lost 16% with the client's p90
// scheduler lag at 12 ms, the others 0–4.3%), so the run is tried up to
// three times and one unflagged run passes.
func TestSelfCheckPassesOrdinaryEngineRun(t *testing.T) {
	if testing.Short() {
		t.Skip("an embedded-engine run of a few seconds")
	}
	for try := 1; ; try++ {
		res := engineRun(t, filepath.Join(t.TempDir(), "run"), nil)
		cc := res.ClientCheck
		if cc == nil || cc.EngineStallShare == nil {
			t.Fatalf("no engine stall share recorded: %s", describe(cc))
		}
		rc, err := record.ReadConfig(filepath.Join(res.Dir, record.ConfigFile))
		if err != nil {
			t.Fatal(err)
		}
		if rc.ClientCheck == nil || rc.ClientCheck.EngineStallShare == nil {
			t.Fatal("config.json's client_check lacks engine_stall_share")
		}
		t.Logf("ordinary engine run %d: share %.4f, %s", try, *cc.EngineStallShare, describe(cc))
		if len(cc.Reasons) == 0 {
			return
		}
		if try == 3 {
			t.Fatalf("ordinary embedded-engine run flagged three times; the last: share %.4f, %s", *cc.EngineStallShare, describe(cc))
		}
	}
}
