package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hypobench/hypobench/clocksync"
	"github.com/hypobench/hypobench/internal/fakerun"
	"github.com/hypobench/hypobench/internal/testutil"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/report"
)

// startCoordinator runs `hypobench coordinator` in-process on a free
// loopback port, with any further flags, and returns its base URL.
func startCoordinator(t *testing.T, flags ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out testutil.SyncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"coordinator", "--addr", "127.0.0.1:0"}, flags...), &out, &out)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("coordinator: %v", err)
		}
	})
	re := regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
	for range 500 {
		if u := re.FindString(out.String()); u != "" {
			return u
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("coordinator printed no URL: %q", out.String())
	return ""
}

// splitRun writes the committed report fixture (144 records, 12 phases) as
// the two shards of a sharded run: in each phase a shard holds its share
// of the concurrency and the records whose seq falls to it, stamped on its
// own clock (skew[i] ahead of the truth), with start and end clock
// estimates taken against coordinator through clocksync's skew hook.
func splitRun(t *testing.T, src, root, coordinator string, skew [2]time.Duration) []string {
	t.Helper()
	recs, _, err := record.ReadRecords(filepath.Join(src, record.RequestsFile))
	if err != nil {
		t.Fatal(err)
	}
	phases, _, err := record.ReadPhases(filepath.Join(src, record.PhasesFile))
	if err != nil {
		t.Fatal(err)
	}
	share := func(total, i int) int { return total/2 + map[bool]int{true: 1}[i < total%2] }
	var dirs []string
	for i := range 2 {
		d := int64(skew[i])
		var mine []record.Record
		count := map[int]int{}
		for _, r := range recs {
			c := phases[r.Phase].Concurrency
			owner := 0
			if c >= 2 {
				owner = r.Seq % 2
			}
			if owner != i {
				continue
			}
			r.Concurrency = share(c, i)
			if r.StartUnixNs != 0 {
				r.StartUnixNs += d
				r.EndUnixNs += d
			}
			mine = append(mine, r)
			count[r.Phase]++
		}
		var ps []record.Phase
		for _, p := range phases {
			p.Concurrency, p.Requests = share(p.Concurrency, i), count[p.Index]
			p.StartUnixNs += d
			p.EndUnixNs += d
			ps = append(ps, p)
		}
		cfg, err := record.ReadConfig(filepath.Join(src, record.ConfigFile))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Started = cfg.Started.Add(skew[i])
		cfg.Shard = &record.Shard{Index: i, Count: 2, Coordinator: coordinator}
		for _, label := range []string{"start", "end"} {
			est, err := clocksync.Estimate(context.Background(), coordinator, clocksync.Options{Label: label, Now: clocksync.Skewed(skew[i])})
			if err != nil {
				t.Fatal(err)
			}
			cfg.Shard.Clock = append(cfg.Shard.Clock, est)
		}
		dir := filepath.Join(root, "shards", string(rune('0'+i)), "20261128T180000Z-tiny-shard")
		fakerun.WriteRun(t, dir, mine, "")
		fakerun.WriteJSONL(t, filepath.Join(dir, record.PhasesFile), ps)
		if err := record.WriteConfig(dir, cfg); err != nil {
			t.Fatal(err)
		}
		// Shard 1 is given as its --out root, through the latest link.
		if i == 1 {
			if err := os.Symlink(filepath.Base(dir), filepath.Join(filepath.Dir(dir), record.LatestLink)); err != nil {
				t.Fatal(err)
			}
			dir = filepath.Dir(dir)
		}
		dirs = append(dirs, dir)
	}
	return dirs
}

// TestMergeCommand splits a committed single-process run into two shards
// (shard 1's clock 2 s ahead), merges them with `hypobench merge` and
// checks that the merged run's report equals the single-process run's
// (same groups, counts and exact percentiles; rates to within the clock
// estimate's error) and that the skew was reported in milliseconds.
func TestMergeCommand(t *testing.T) {
	root := t.TempDir()
	src := filepath.Join("..", "..", "report", "testdata", "run")
	coord := startCoordinator(t)
	dirs := splitRun(t, src, root, coord, [2]time.Duration{0, 2 * time.Second})
	out := filepath.Join(root, "merged")
	var stdout, stderr bytes.Buffer
	// Flags on both sides of the shard directories. The tolerance is fixed
	// far above what a loaded machine's loopback round trip could add, so
	// only the injected 2 s can trip it.
	args := append(append([]string{"merge", "--skew-tolerance", "100ms"}, dirs...), "--out", out)
	err := run(context.Background(), args, &stdout, &stderr)
	if err != nil {
		t.Fatalf("hypobench merge: %v\nstderr:\n%s", err, stderr.String())
	}
	for _, want := range []string{"merge: 144 records (7 errors) from 2 of 2 shards", "status complete", "report: 144 records"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
		}
	}
	cfg, err := record.ReadConfig(filepath.Join(out, record.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	// The offset found is −2 s to within half the kept round trip.
	s1 := cfg.Shards[1]
	if d := s1.OffsetStartNs + int64(2*time.Second); !s1.Clock || d > s1.DelayNs/2+1000 || -d > s1.DelayNs/2+1000 {
		t.Errorf("shard 1's offset %v ± %v, want −2s", time.Duration(s1.OffsetStartNs), time.Duration(s1.DelayNs/2))
	}
	line := regexp.MustCompile(`\n1 +complete +48 +6 +` + regexp.QuoteMeta(msSigned(s1.OffsetStartNs)) + ` +` + regexp.QuoteMeta(msSigned(s1.OffsetEndNs)))
	if !line.MatchString(stdout.String()) {
		t.Errorf("stdout does not give shard 1's offsets %s and %s in ms:\n%s", msSigned(s1.OffsetStartNs), msSigned(s1.OffsetEndNs), stdout.String())
	}
	warn := fmt.Sprintf("shard 1: clock skew beyond tolerance: clock %.3f ms ahead of", float64(-s1.OffsetStartNs)/1e6)
	if !strings.Contains(stderr.String(), warn) || strings.Contains(stderr.String(), "shard 0:") {
		t.Errorf("stderr should warn about shard 1's clock alone:\n%s", stderr.String())
	}

	// The single-process run's report, for comparison.
	single := filepath.Join(root, "single")
	for _, name := range []string{record.RequestsFile, record.PhasesFile, record.ConfigFile} {
		if err := os.MkdirAll(single, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(single, name), testutil.Fixture(t, filepath.Join(src, name)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := run(context.Background(), []string{"report", single}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	// `hypobench report` on the merged directory, like any other run.
	stdout.Reset()
	if err := run(context.Background(), []string{"report", out}, &stdout, &stderr); err != nil {
		t.Fatalf("report on the merged run: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "report: 144 records, 12 groups") {
		t.Errorf("report on the merged run: %s", stdout.String())
	}
	// `hypobench compare` of the single-process run with the merged one:
	// the same records, so no check fails (12 per group are too few for
	// every check to pass: exit 0 or 2, never 1). It warns that the
	// client machines differ (one of 2 CPUs, two of 2).
	stdout.Reset()
	err = run(context.Background(), []string{"compare", single, out}, &stdout, &stderr)
	var ee *ExitError
	if (err != nil && (!errors.As(err, &ee) || ee.Code != 2)) || !strings.Contains(stdout.String(), " 0 fail") {
		t.Errorf("compare single merged: %v\n%s", err, stdout.String())
	}
	want, got := readSummary(t, single), readSummary(t, out)
	if d := cmp.Diff(want.Groups, got.Groups, cmpopts.EquateApprox(1e-3, 0)); d != "" {
		t.Errorf("merged report differs from the single-process one (-single +merged):\n%s", d)
	}
	t.Run("refusals exit 2", func(t *testing.T) {
		for name, args := range map[string][]string{
			"same shard twice": {"merge", "--out", filepath.Join(root, "x1"), dirs[0], dirs[0]},
			"missing shard":    {"merge", "--out", filepath.Join(root, "x2"), dirs[0]},
			"out not empty":    {"merge", "--out", dirs[0], dirs[0], dirs[1]},
			"no out":           {"merge", dirs[0], dirs[1]},
			"not a run":        {"merge", "--out", filepath.Join(root, "x3"), root},
		} {
			var so, se bytes.Buffer
			err := run(context.Background(), args, &so, &se)
			var ee *ExitError
			if !errors.As(err, &ee) || ee.Code != 2 {
				t.Errorf("%s: hypobench %v = %v, want exit status 2", name, args, err)
			}
		}
	})
}

func readSummary(t *testing.T, dir string) report.Summary {
	t.Helper()
	var s report.Summary
	if err := json.Unmarshal(testutil.Fixture(t, filepath.Join(dir, record.SummaryJSONFile)), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestWaitForShards checks the --wait step's three outcomes on directories
// that never finish: merged as they are when every shard wrote a run,
// dropped with --partial when one never started, refused without it.
func TestWaitForShards(t *testing.T) {
	root := t.TempDir()
	running := filepath.Join(root, "running")
	fakerun.WriteRun(t, running, nil, `{"run_id":"r","status":"running","started":"2026-01-01T00:00:00Z"}`)
	done := filepath.Join(root, "done")
	fakerun.WriteRun(t, done, nil, `{"run_id":"d","status":"complete","started":"2026-01-01T00:00:00Z"}`)
	absent := filepath.Join(root, "absent")
	ctx := context.Background()
	var log bytes.Buffer

	got, err := waitForShards(ctx, []string{done, running}, 30*time.Millisecond, false, 5*time.Millisecond, &log)
	if err != nil || len(got) != 2 || !strings.Contains(log.String(), "still running ["+running+"]") {
		t.Errorf("running shard: %v %v, log %q", got, err, log.String())
	}
	got, err = waitForShards(ctx, []string{done, absent}, 30*time.Millisecond, true, 5*time.Millisecond, &log)
	if err != nil || len(got) != 1 || got[0] != done {
		t.Errorf("absent shard with --partial: %v %v", got, err)
	}
	if _, err = waitForShards(ctx, []string{done, absent}, 30*time.Millisecond, false, 5*time.Millisecond, &log); err == nil {
		t.Error("absent shard without --partial: no error")
	}
	got, err = waitForShards(ctx, []string{done}, time.Hour, false, 5*time.Millisecond, &log)
	if err != nil || len(got) != 1 {
		t.Errorf("finished shard: %v %v", got, err)
	}
}
