package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/hypobench/hypobench/internal/testutil"
	"github.com/hypobench/hypobench/record"
)

// startServe runs `hypobench serve` in-process on a free loopback port and
// returns its base URL.
func startServe(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out testutil.SyncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--engine", "h100-sxm:qwen2.5-0.5b", "--speed", "50"}, &out, &out)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	re := regexp.MustCompile(`at (http://127\.0\.0\.1:\d+)/v1`)
	deadline := time.Now().Add(30 * time.Second) // a hang guard, not a speed check
	for {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve printed no address: %q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestShardedRun runs three shards of one plan at once against one
// `hypobench serve`, each estimating its clock against one `hypobench
// coordinator` and taking the common start from its start barrier
// (--start-at coordinator), in 2-second phase slots; then merges them.
// Every shard must have been given the same start, after the last one
// checked in; the merged run must hold exactly the plan's records, each
// phase with the plan's total concurrency and requests, every phase
// complete; no shard may have started a phase before its slot; the
// shards' nonce seeds must differ.
func TestShardedRun(t *testing.T) {
	base := startServe(t)
	coord := startCoordinator(t, "--shards", "3", "--start-delay", "2s")
	root := t.TempDir()
	suite := filepath.Join(root, "suite.json")
	// 2 profiles × concurrency [1, 3] × 6 requests: 4 phases, 24 records.
	os.WriteFile(suite, []byte(`{"name":"shardtest","base_text":"hi ","profiles":[
{"name":"short_short","prompt_rep":8,"max_tokens":4},{"name":"long_short","prompt_rep":64,"max_tokens":4}],
"concurrency":[1,3],"requests":6,"warmup":1,"order":"ordered","seed":7}`), 0o644)
	// Phase slots are 2 s for 6 requests that take milliseconds each
	// (speed 50): a margin no load on this machine can eat.
	const slot = 2 * time.Second
	const n = 3
	var wg sync.WaitGroup
	errs := make([]error, n)
	logs := make([]testutil.SyncBuffer, n)
	var dirs []string
	for i := range n {
		out := filepath.Join(root, fmt.Sprintf("shard-%d", i))
		dirs = append(dirs, out)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = run(context.Background(), []string{"run", "--target", base, "--suite", suite, "--out", out, "--no-report",
				"--shard", fmt.Sprintf("%d/%d", i, n), "--coordinator", coord,
				"--start-at", "coordinator", "--phase-duration", slot.String()}, &logs[i], &logs[i])
		}()
	}
	wg.Wait()
	var startAt time.Time
	for i, err := range errs {
		if err != nil {
			t.Fatalf("shard %d: %v\n%s", i, err, logs[i].String())
		}
		m := regexp.MustCompile(`the run starts at (\S+)`).FindStringSubmatch(logs[i].String())
		if m == nil {
			t.Fatalf("shard %d printed no start:\n%s", i, logs[i].String())
		}
		at, err := time.Parse(time.RFC3339Nano, m[1])
		if err != nil || (i > 0 && !at.Equal(startAt)) {
			t.Fatalf("shard %d starts at %s (%v), shard 0 at %s", i, m[1], err, startAt)
		}
		startAt = at
	}
	merged := filepath.Join(root, "merged")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), append([]string{"merge", "--no-report", "--out", merged}, dirs...), &stdout, &stderr); err != nil {
		t.Fatalf("merge: %v\n%s", err, stderr.String())
	}
	t.Logf("%s%s", stdout.String(), stderr.String())
	recs, _, err := record.ReadRecords(filepath.Join(merged, record.RequestsFile))
	if err != nil {
		t.Fatal(err)
	}
	phases, _, err := record.ReadPhases(filepath.Join(merged, record.PhasesFile))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := record.ReadConfig(filepath.Join(merged, record.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 24 || cfg.Status != record.StatusComplete || len(cfg.Shards) != n {
		t.Fatalf("merged %d records, status %s, %d shards; want 24, complete, %d", len(recs), cfg.Status, len(cfg.Shards), n)
	}
	wantConc := []int{1, 1, 3, 3}
	if len(phases) != 4 {
		t.Fatalf("%d merged phases, want 4", len(phases))
	}
	for i, p := range phases {
		if p.Concurrency != wantConc[i] || p.Requests != 6 || p.Status != record.StatusComplete {
			t.Errorf("merged phase %d = %+v, want concurrency %d, 6 requests, complete", i, p, wantConc[i])
		}
	}
	seeds := map[uint64]bool{}
	for i, d := range dirs {
		c, err := record.ReadConfig(filepath.Join(runDir(d), record.ConfigFile))
		if err != nil {
			t.Fatal(err)
		}
		seeds[c.Seed] = true
		if c.Shard == nil || len(c.Shard.Clock) != 2 {
			t.Fatalf("shard %d: config shard %+v, want two clock estimates", i, c.Shard)
		}
		ps, _, _ := record.ReadPhases(filepath.Join(runDir(d), record.PhasesFile))
		bound := c.Shard.Clock[0].DelayNs/2 + int64(time.Millisecond)
		for _, p := range ps {
			slotStart := startAt.Add(time.Duration(p.Index) * slot).UnixNano()
			if early := slotStart - (p.StartUnixNs + c.Shard.Clock[0].OffsetNs); early > bound {
				t.Errorf("shard %d started phase %d %v before its slot", i, p.Index, time.Duration(early))
			}
		}
	}
	if len(seeds) != n {
		t.Errorf("shards share nonce seeds: %v", seeds)
	}
}

func TestShardFlagErrors(t *testing.T) {
	for name, args := range map[string][]string{
		"no target":                   {"run", "--shard", "0/2"},
		"index out of range":          {"run", "--target", "http://127.0.0.1:1", "--shard", "2/2"},
		"not i/N":                     {"run", "--target", "http://127.0.0.1:1", "--shard", "two"},
		"slots without a start":       {"run", "--target", "http://127.0.0.1:1", "--shard", "0/2", "--phase-duration", "1m"},
		"bad start":                   {"run", "--target", "http://127.0.0.1:1", "--shard", "0/2", "--start-at", "noon"},
		"coordinator without shard":   {"run", "--target", "http://127.0.0.1:1", "--coordinator", "http://127.0.0.1:1"},
		"barrier without coordinator": {"run", "--target", "http://127.0.0.1:1", "--shard", "0/2", "--start-at", "coordinator"},
		"coordinator unreachable":     {"run", "--target", "http://127.0.0.1:1", "--shard", "0/2", "--coordinator", "http://127.0.0.1:1", "--coordinator-wait", "1ms"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("HYPOBENCH_TARGET", "")
			var so, se bytes.Buffer
			err := run(context.Background(), append(args, "--out", t.TempDir()), &so, &se)
			var ee *ExitError
			if !errors.As(err, &ee) || ee.Code != 2 {
				t.Errorf("hypobench %v = %v, want exit status 2", args, err)
			}
		})
	}
}

func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"0/1", "3/4", "4/4", "-1/2", "a/b", "1/", "/", "", "0/0", "1/2/3", "+1/2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		i, n, err := ParseShard(s)
		if err != nil {
			return
		}
		if n < 1 || i < 0 || i >= n {
			t.Fatalf("ParseShard(%q) = %d/%d without an error", s, i, n)
		}
	})
}
