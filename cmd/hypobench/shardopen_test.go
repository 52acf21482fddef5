package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hypobench/hypobench/internal/testutil"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/workload"
)

// shardOpenSuite is an open-loop suite of two Poisson rates over a mix of
// two profiles, capped at 6 in flight: 2 phases of 24 requests.
const shardOpenSuite = `{"name":"shardopen","base_text":"hi ","profiles":[
{"name":"short_short","prompt_rep":8,"max_tokens":4},{"name":"long_short","prompt_rep":64,"max_tokens":4}],
"mix":true,"rates":[40,80],"arrival":"poisson","requests":24,"max_concurrency":6,"warmup":1,"seed":11}`

// TestShardedOpenLoopRun runs three shards of an open-loop suite at once
// against one `hypobench serve`, each estimating its clock against one
// `hypobench coordinator`, in 3-second slots from a common start, merges
// them, and runs the same suite in a single process. The merged run must
// hold the plan's records — each planned (phase, seq) once, with the
// plan's profile — and per phase the plan's target rate exactly, the
// single process's offered rate, the summed cap, and a send lag pooled
// over every request; each merged request must have been due at the
// single process's offset from its phase's start (to within the clock
// estimates' error on one machine: 1 ms). A shard whose suite states a
// different rate is refused by the merge.
func TestShardedOpenLoopRun(t *testing.T) {
	base := startServe(t)
	coord := startCoordinator(t)
	root := t.TempDir()
	suite := filepath.Join(root, "suite.json")
	if err := os.WriteFile(suite, []byte(shardOpenSuite), 0o644); err != nil {
		t.Fatal(err)
	}
	// 24 requests at 40 req/s are due within about a second and take
	// milliseconds each at speed 50: 3 s slots leave a margin no load on
	// this machine can eat.
	const slot = 3 * time.Second
	startAt := time.Now().Add(3 * time.Second).UTC().Truncate(time.Millisecond) // after the clock estimates and warm-up, even under load
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
				"--start-at", startAt.Format(time.RFC3339Nano), "--phase-duration", slot.String()}, &logs[i], &logs[i])
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("shard %d: %v\n%s", i, err, logs[i].String())
		}
	}
	single := filepath.Join(root, "single")
	var so, se bytes.Buffer
	if err := run(context.Background(), []string{"run", "--target", base, "--suite", suite, "--out", single, "--no-report"}, &so, &se); err != nil {
		t.Fatalf("single run: %v\n%s", err, se.String())
	}
	merged := filepath.Join(root, "merged")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), append([]string{"merge", "--no-report", "--out", merged}, dirs...), &stdout, &stderr); err != nil {
		t.Fatalf("merge: %v\n%s", err, stderr.String())
	}
	t.Logf("%s%s", stdout.String(), stderr.String())

	s, err := workload.LoadSuite(suite)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := s.OpenPlan()
	if err != nil || len(plan) != 2 {
		t.Fatal(len(plan), err)
	}
	read := func(dir string) ([]record.Record, []record.Phase, *record.RunConfig) {
		recs, bad, err := record.ReadRecords(filepath.Join(dir, record.RequestsFile))
		if err != nil || len(bad) > 0 {
			t.Fatal(dir, err, bad)
		}
		phases, _, err := record.ReadPhases(filepath.Join(dir, record.PhasesFile))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := record.ReadConfig(filepath.Join(dir, record.ConfigFile))
		if err != nil {
			t.Fatal(err)
		}
		return recs, phases, cfg
	}
	mrecs, mphases, mcfg := read(merged)
	srecs, sphases, _ := read(runDir(single))
	if len(mrecs) != 48 || len(srecs) != 48 || mcfg.Status != record.StatusComplete || len(mphases) != 2 || len(sphases) != 2 {
		t.Fatalf("merged %d records, status %s, %d phases; single %d records, %d phases; want 48, complete, 2",
			len(mrecs), mcfg.Status, len(mphases), len(srecs), len(sphases))
	}
	for i, op := range plan {
		mp, sp := mphases[i], sphases[i]
		if mp.TargetRate != op.TargetRate() || mp.TargetRate != sp.TargetRate || mp.Arrival != "poisson" ||
			math.Abs(mp.OfferedRate-sp.OfferedRate) > 1e-9*sp.OfferedRate || mp.MaxConcurrency != 6 ||
			mp.Requests != 24 || mp.SendLag == nil || mp.SendLag.N != 24 || mp.Status != record.StatusComplete {
			t.Errorf("merged phase %d = %+v\nsingle phase %+v", i, mp, sp)
		}
	}
	// Due offsets from the phase's start: the single process's, and the
	// merged run's from the common slot start (on the coordinator's clock).
	type key struct{ phase, seq int }
	want := map[key]time.Duration{}
	profiles := map[key]string{}
	for _, r := range srecs {
		k := key{r.Phase, r.Seq}
		want[k] = time.Duration(r.IntendedUnixNs - sphases[r.Phase].StartUnixNs)
		profiles[k] = r.Profile
	}
	seen := map[key]int{}
	for _, r := range mrecs {
		k := key{r.Phase, r.Seq}
		seen[k]++
		got := time.Duration(r.IntendedUnixNs - startAt.Add(time.Duration(r.Phase)*slot).UnixNano())
		w, ok := want[k]
		if !ok || (got-w).Abs() > time.Millisecond || r.Profile != profiles[k] || r.TargetRate != plan[r.Phase].TargetRate() {
			t.Errorf("merged %s (phase %d seq %d): due +%v, profile %s, rate %v; single process: +%v, %s, %v",
				r.ID, r.Phase, r.Seq, got, r.Profile, r.TargetRate, w, profiles[k], plan[r.Phase].TargetRate())
		}
	}
	for k := range want {
		if seen[k] != 1 {
			t.Errorf("planned request %+v merged %d times", k, seen[k])
		}
	}

	// A shard that ran another rate plan is refused.
	c, err := record.ReadConfig(filepath.Join(runDir(dirs[2]), record.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	if c.Shard.StartAt == nil || !c.Shard.StartAt.Equal(startAt) || c.Shard.PhaseDurationNs != int64(slot) {
		t.Errorf("shard 2's config.json: start %v, slot %v; want %v, %v", c.Shard.StartAt, time.Duration(c.Shard.PhaseDurationNs), startAt, slot)
	}
	var sv map[string]any
	if err := json.Unmarshal(c.Suite, &sv); err != nil {
		t.Fatal(err)
	}
	sv["rates"] = []float64{40, 90}
	if c.Suite, err = json.Marshal(sv); err != nil {
		t.Fatal(err)
	}
	if err := record.WriteConfig(runDir(dirs[2]), c); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	err = run(context.Background(), append([]string{"merge", "--no-report", "--out", filepath.Join(root, "refused")}, dirs...), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "disagree on the plan") {
		t.Errorf("merge of shards with different rates: %v, want a plan mismatch", err)
	}
}

// TestShardOpenLoopRefused checks the sharded open-loop refusals reach
// the CLI with exit status 2 and say what is missing, before the target
// is contacted (there is none at the address given).
func TestShardOpenLoopRefused(t *testing.T) {
	start := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no start", []string{"--rates", "5"}, "--start-at"},
		{"several phases, no slots", []string{"--rates", "5,10", "--start-at", start}, "--phase-duration"},
		{"slot shorter than the schedule", []string{"--rates", "5", "--start-at", start, "--phase-duration", "1s"}, "longer than its slot"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("HYPOBENCH_TARGET", "")
			args := append([]string{"run", "--target", "http://127.0.0.1:1", "--shard", "0/2", "--requests", "40", "--out", t.TempDir()}, tc.args...)
			var so, se bytes.Buffer
			err := run(context.Background(), args, &so, &se)
			var ee *ExitError
			if !errors.As(err, &ee) || ee.Code != 2 || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("hypobench %v = %v, want exit status 2 naming %s", args, err, tc.want)
			}
		})
	}
}
