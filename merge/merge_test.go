package merge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hypobench/hypobench/internal/fakerun"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/servermetrics"
)

// planPhase is one phase of a simulated plan: a profile at a total
// concurrency with a total number of requests, split over the shards.
type planPhase struct {
	profile     string
	concurrency int
	requests    int
}

var testPlan = []planPhase{{"short_long", 5, 20}, {"long_short", 8, 31}}

const testSuite = `{"name":"tiny","profiles":["short_long","long_short"],"concurrency":[5,8]}`

// share splits total over count shards as the runner does: equal parts,
// the remainder to the lowest indices.
func share(total, count, index int) int {
	n := total / count
	if index < total%count {
		n++
	}
	return n
}

// simShard describes how to simulate one shard.
type simShard struct {
	skew time.Duration // the shard's clock reads true time + skew
	// dieAfter, when positive, ends the shard after that many records:
	// the rest are never made, its config stays "running" and the phase it
	// died in has no line in phases.jsonl.
	dieAfter int
	noClock  bool
	suite    string // overrides testSuite
	profile1 string // overrides phase 1's profile
}

// The error and round trip of the simulated clock estimates.
const (
	estErr   = int64(30 * time.Microsecond)
	estDelay = int64(100 * time.Microsecond)
)

// writeShards simulates a sharded run of testPlan on a true timeline
// starting at base: each shard's records and phase windows are stamped on
// its own (skewed) clock, and its config.json carries start and end clock
// estimates against coordinator.
func writeShards(t *testing.T, root, coordinator string, base time.Time, sims []simShard) []string {
	t.Helper()
	var dirs []string
	for idx, sim := range sims {
		dir := filepath.Join(root, fmt.Sprintf("shard-%d", idx))
		skew := int64(sim.skew)
		var recs []record.Record
		var phases []record.Phase
		died := false
		for pi, pp := range testPlan {
			if died {
				break
			}
			profile := pp.profile
			if pi == 1 && sim.profile1 != "" {
				profile = sim.profile1
			}
			start := base.Add(time.Duration(pi) * 10 * time.Second).UnixNano()
			c, n := share(pp.concurrency, len(sims), idx), share(pp.requests, len(sims), idx)
			var end int64
			for j := range n {
				if sim.dieAfter > 0 && len(recs) == sim.dieAfter {
					died = true
					break
				}
				// Shards interleave on the true timeline: request j of shard
				// idx starts at start + (j·N + idx)·40 ms.
				st := start + int64(j*len(sims)+idx)*int64(40*time.Millisecond) + int64(time.Millisecond)
				en := st + int64(500*time.Millisecond)
				end = max(end, en)
				recs = append(recs, record.Record{
					ID: record.RequestID(len(recs) + 1), Profile: profile, TTFT: record.F(0.050 + 0.001*float64(j)),
					Total: 0.5, Concurrency: c, RunID: fmt.Sprintf("run-%d", idx), Suite: "tiny", Phase: pi, Seq: j,
					E2E: record.F(0.499), OutputTokens: record.I(64), StartUnixNs: st + skew, EndUnixNs: en + skew,
					HTTPStatus: 200,
				})
			}
			if !died {
				phases = append(phases, record.Phase{Index: pi, Suite: "tiny", Profile: profile, Concurrency: c, Requests: n,
					StartUnixNs: start + skew, EndUnixNs: end + int64(time.Millisecond) + skew, Status: record.StatusComplete})
			}
		}
		suite := testSuite
		if sim.suite != "" {
			suite = sim.suite
		}
		cfg := &record.RunConfig{
			RunID: fmt.Sprintf("run-%d", idx), Status: record.StatusComplete, Started: base.Add(-time.Second + sim.skew).UTC(),
			Model: "m", Seed: uint64(idx + 1), Suite: json.RawMessage(suite),
			Client: record.Identity{Hostname: fmt.Sprintf("pod-%d", idx), CPUs: 2},
			Meta:   map[string]json.RawMessage{"target": json.RawMessage(`"http://vllm:8000"`)},
			Shard:  &record.Shard{Index: idx, Count: len(sims), Coordinator: coordinator},
		}
		if died {
			cfg.Status = record.StatusRunning
		} else {
			e := base.Add(20*time.Second + sim.skew).UTC()
			cfg.Ended = &e
		}
		if !sim.noClock {
			// Estimates as clocksync makes them, with a fixed error of
			// +30 µs inside a 100 µs round trip, so that what the merge
			// does with them is exact to check (clocksync's own tests and
			// the CLI's merge test use real exchanges).
			for k, label := range []string{"start", "end"} {
				cfg.Shard.Clock = append(cfg.Shard.Clock, record.ClockEstimate{
					Label: label, AtUnixNs: base.Add(time.Duration(k)*20*time.Second).UnixNano() + skew,
					OffsetNs: -skew + estErr, DelayNs: estDelay, Samples: 4,
				})
			}
		}
		fakerun.WriteRun(t, dir, recs, "")
		fakerun.WriteJSONL(t, filepath.Join(dir, record.PhasesFile), phases)
		if err := record.WriteConfig(dir, cfg); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
	}
	return dirs
}

const testCoordinator = "http://coordinator:7070"

func readRun(t *testing.T, dir string) ([]record.Record, []record.Phase, *record.RunConfig) {
	t.Helper()
	recs, bad, err := record.ReadRecords(filepath.Join(dir, record.RequestsFile))
	if err != nil || len(bad) > 0 {
		t.Fatalf("reading merged records: %v %v", err, bad)
	}
	phases, bad, err := record.ReadPhases(filepath.Join(dir, record.PhasesFile))
	if err != nil || len(bad) > 0 {
		t.Fatalf("reading merged phases: %v %v", err, bad)
	}
	cfg, err := record.ReadConfig(filepath.Join(dir, record.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	return recs, phases, cfg
}

// TestMergeKeepsEveryRecordAndAlignsPhases merges three level shards: the
// record count and each phase's total concurrency and requests must equal
// the plan, ids stay unique, every measured field is kept, and nothing is
// warned about.
func TestMergeKeepsEveryRecordAndAlignsPhases(t *testing.T) {
	root := t.TempDir()
	base := time.Now().Truncate(time.Second)
	dirs := writeShards(t, root, testCoordinator, base, make([]simShard, 3))
	out := filepath.Join(root, "merged")
	res, err := Merge(context.Background(), dirs, Options{Out: out})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) > 0 {
		t.Errorf("warnings on a clean merge: %v", res.Warnings)
	}
	recs, phases, cfg := readRun(t, out)
	want := 0
	for _, pp := range testPlan {
		want += pp.requests
	}
	if len(recs) != want || res.Records != want || cfg.Records != want {
		t.Errorf("merged %d records (result %d, config %d), want %d", len(recs), res.Records, cfg.Records, want)
	}
	if len(phases) != len(testPlan) {
		t.Fatalf("merged %d phases, want %d", len(phases), len(testPlan))
	}
	for i, pp := range testPlan {
		p := phases[i]
		if p.Index != i || p.Profile != pp.profile || p.Concurrency != pp.concurrency || p.Requests != pp.requests || p.Status != record.StatusComplete {
			t.Errorf("phase %d = %+v, want %s at concurrency %d with %d requests, complete", i, p, pp.profile, pp.concurrency, pp.requests)
		}
		// The window starts at the true start, give the estimate's error.
		start := base.Add(time.Duration(i) * 10 * time.Second).UnixNano()
		if d := p.StartUnixNs - start; d != estErr {
			t.Errorf("phase %d starts %v from the true start", i, time.Duration(d))
		}
	}
	ids := map[string]bool{}
	original := map[string]record.Record{}
	for i, d := range dirs {
		rs, _, _ := record.ReadRecords(filepath.Join(d, record.RequestsFile))
		for _, r := range rs {
			original[fmt.Sprintf("s%d-%s", i, r.ID)] = r
		}
	}
	var lastEnd int64
	for _, r := range recs {
		if ids[r.ID] {
			t.Errorf("id %s twice", r.ID)
		}
		ids[r.ID] = true
		o, ok := original[r.ID]
		if !ok {
			t.Fatalf("merged record %s matches no shard record", r.ID)
		}
		if r.Shard == nil || !strings.HasPrefix(r.ID, fmt.Sprintf("s%d-", *r.Shard)) || r.RunID != "merged" {
			t.Errorf("record %s: shard %v run %q", r.ID, r.Shard, r.RunID)
		}
		if r.Concurrency != testPlan[r.Phase].concurrency {
			t.Errorf("record %s has concurrency %d, want the phase's total %d", r.ID, r.Concurrency, testPlan[r.Phase].concurrency)
		}
		// Measured fields are kept as they were.
		if *r.TTFT != *o.TTFT || *r.E2E != *o.E2E || r.Total != o.Total || r.Seq != o.Seq || r.Profile != o.Profile {
			t.Errorf("record %s changed a measured field: %+v vs %+v", r.ID, r, o)
		}
		if r.EndUnixNs < lastEnd {
			t.Errorf("record %s ends before the one written before it", r.ID)
		}
		lastEnd = r.EndUnixNs
	}
	if len(cfg.Shards) != 3 || cfg.Status != record.StatusComplete || cfg.Shard != nil {
		t.Errorf("merged config: status %s, %d shards, shard field %v", cfg.Status, len(cfg.Shards), cfg.Shard)
	}
	for i, s := range cfg.Shards {
		if s.Index != i || !s.Clock || s.Records != share(20, 3, i)+share(31, 3, i) || s.Dir != dirs[i] {
			t.Errorf("merged config shard %d = %+v", i, s)
		}
	}
	var mm MergeMeta
	if err := json.Unmarshal(cfg.Meta[MetaKey], &mm); err != nil || mm.Shards != 3 || mm.Count != 3 || mm.SkewToleranceMs <= 0 || mm.ServerMetricsFrom != -1 {
		t.Errorf("merged config meta %s: %+v %v", cfg.Meta[MetaKey], mm, err)
	}
	if string(cfg.Meta["target"]) != `"http://vllm:8000"` {
		t.Errorf("merged config lost the target: %s", cfg.Meta["target"])
	}
	if cfg.Client.Hostname != "pod-0,pod-1,pod-2" || cfg.Client.CPUs != 6 {
		t.Errorf("merged client identity %+v", cfg.Client)
	}
}

// TestMergeDetectsInjectedClockOffset skews one shard's clock through the
// test hook: the merge must warn about that shard alone, with the offset
// in milliseconds, and put its times back on the true timeline. The
// negative control is the same run without the skew (no warning: above).
func TestMergeDetectsInjectedClockOffset(t *testing.T) {
	root := t.TempDir()
	base := time.Now().Truncate(time.Second)
	const skew = 250 * time.Millisecond
	dirs := writeShards(t, root, testCoordinator, base, []simShard{{}, {skew: skew}, {}})
	out := filepath.Join(root, "merged")
	res, err := Merge(context.Background(), dirs, Options{Out: out})
	if err != nil {
		t.Fatal(err)
	}
	var skewed []*Warning
	for _, w := range res.Warnings {
		var mw *Warning
		if errors.As(w, &mw) && errors.Is(w, ErrClockSkew) {
			skewed = append(skewed, mw)
		}
	}
	if len(skewed) != 1 || skewed[0].Shard != 1 || !strings.Contains(skewed[0].Msg, "ahead of") {
		t.Fatalf("skew warnings %v, want one for shard 1 (clock ahead)", res.Warnings)
	}
	if !strings.Contains(skewed[0].Msg, "clock 249.970 ms ahead of the coordinator's at start") {
		t.Errorf("warning %q does not state the 250 ms offset in ms", skewed[0].Msg)
	}
	recs, phases, cfg := readRun(t, out)
	if s := cfg.Shards[1]; s.OffsetStartNs != -int64(skew)+estErr || s.OffsetEndNs != s.OffsetStartNs || s.DelayNs != estDelay {
		t.Errorf("merged config shard 1 = %+v, want the estimates' offset and delay", s)
	}
	// Corrected: shard 1's first request of phase 0 started at base + 41 ms
	// on the true timeline.
	found := false
	for _, r := range recs {
		if r.ID == "s1-req_000001" {
			found = true
			want := base.Add(41 * time.Millisecond).UnixNano()
			if d := r.StartUnixNs - want; d != estErr {
				t.Errorf("shard 1's first record starts %v from the truth after correction", time.Duration(d))
			}
		}
	}
	if !found {
		t.Error("no record s1-req_000001 in the merged run")
	}
	if d := phases[0].StartUnixNs - base.UnixNano(); d != estErr {
		t.Errorf("phase 0 starts %v from the truth: the skewed shard was not corrected", time.Duration(d))
	}
}

// TestMergeKeepsADeadShardsRecords kills shard 2 after 8 records (6 in
// phase 0, 2 in phase 1): its finished records are all merged, the merge
// says it died, phase 1 is not complete and the run is interrupted.
func TestMergeKeepsADeadShardsRecords(t *testing.T) {
	root := t.TempDir()
	dirs := writeShards(t, root, testCoordinator, time.Now().Truncate(time.Second), []simShard{{}, {}, {dieAfter: 8}})
	out := filepath.Join(root, "merged")
	res, err := Merge(context.Background(), dirs, Options{Out: out})
	if err != nil {
		t.Fatal(err)
	}
	recs, phases, cfg := readRun(t, out)
	want := share(20, 3, 0) + share(31, 3, 0) + share(20, 3, 1) + share(31, 3, 1) + 8
	if len(recs) != want {
		t.Errorf("merged %d records, want %d (every finished one)", len(recs), want)
	}
	var dead *Warning
	for _, w := range res.Warnings {
		if errors.Is(w, ErrShardIncomplete) {
			errors.As(w, &dead)
		}
	}
	if dead == nil || dead.Shard != 2 || !strings.Contains(dead.Msg, "ended mid-run") || !strings.Contains(dead.Msg, "8 finished records") {
		t.Fatalf("warnings %v, want shard 2 reported dead with its 8 records kept", res.Warnings)
	}
	if cfg.Status != record.StatusInterrupted || cfg.Shards[2].Status != record.StatusRunning || cfg.Shards[2].Records != 8 {
		t.Errorf("merged config status %s, shard 2 %+v", cfg.Status, cfg.Shards[2])
	}
	if phases[0].Status != record.StatusComplete || phases[1].Status != record.StatusInterrupted {
		t.Errorf("phase statuses %s, %s; want complete, interrupted", phases[0].Status, phases[1].Status)
	}
	// Phase 1's shard-2 share comes from its two records there.
	if phases[1].Concurrency != testPlan[1].concurrency || phases[1].Requests != share(31, 3, 0)+share(31, 3, 1)+2 {
		t.Errorf("phase 1 = %+v", phases[1])
	}
	found := false
	for _, c := range cfg.Warnings {
		found = found || strings.Contains(c, "shard 2: shard did not complete")
	}
	if !found {
		t.Errorf("merged config.json warnings %q do not name the dead shard", cfg.Warnings)
	}
}

func TestMergeWarnsWithoutClock(t *testing.T) {
	root := t.TempDir()
	dirs := writeShards(t, root, testCoordinator, time.Now().Truncate(time.Second), []simShard{{}, {noClock: true}})
	res, err := Merge(context.Background(), dirs, Options{Out: filepath.Join(root, "m")})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != 1 || !errors.Is(res.Warnings[0], ErrNoClock) || res.Warnings[0].(*Warning).Shard != 1 {
		t.Errorf("warnings %v, want one ErrNoClock for shard 1", res.Warnings)
	}
}

// TestMergeRefuses checks each way shards can disagree on the plan, and
// the other inputs the merge refuses, by the error's identity and text.
func TestMergeRefuses(t *testing.T) {
	cases := []struct {
		name  string
		sims  []simShard
		edit  func(t *testing.T, dirs []string) []string
		opts  Options
		is    error
		words string
	}{
		{name: "different suite", sims: []simShard{{}, {suite: `{"name":"tiny","profiles":["short_long","long_short"],"concurrency":[5,16]}`}},
			is: ErrPlanMismatch, words: "the suite in"},
		{name: "different profile at a phase", sims: []simShard{{}, {profile1: "long_long"}}, is: ErrPlanMismatch, words: "phase 1 is tiny/long_short"},
		{name: "index twice", sims: []simShard{{}, {}}, edit: func(t *testing.T, d []string) []string { return []string{d[0], d[0]} },
			is: ErrPlanMismatch, words: "are both shard 0"},
		{name: "different count", sims: []simShard{{}, {}}, edit: func(t *testing.T, d []string) []string {
			editConfig(t, d[1], func(c *record.RunConfig) { c.Shard.Count = 3 })
			return d
		}, is: ErrPlanMismatch, words: "shard 1 of 3"},
		{name: "different model", sims: []simShard{{}, {}}, edit: func(t *testing.T, d []string) []string {
			editConfig(t, d[1], func(c *record.RunConfig) { c.Model = "other" })
			return d
		}, is: ErrPlanMismatch, words: `model "other"`},
		{name: "different target", sims: []simShard{{}, {}}, edit: func(t *testing.T, d []string) []string {
			editConfig(t, d[1], func(c *record.RunConfig) { c.Meta["target"] = json.RawMessage(`"http://other:8000"`) })
			return d
		}, is: ErrPlanMismatch, words: "http://other:8000"},
		{name: "completed shards ran different phases", sims: []simShard{{}, {}}, edit: func(t *testing.T, d []string) []string {
			fakerun.WriteJSONL(t, filepath.Join(d[1], record.PhasesFile), []record.Phase{{Index: 0, Suite: "tiny", Profile: "short_long", Status: record.StatusComplete}})
			return d
		}, is: ErrPlanMismatch, words: "ran different phases"},
		{name: "not a shard", sims: []simShard{{}, {}}, edit: func(t *testing.T, d []string) []string {
			editConfig(t, d[1], func(c *record.RunConfig) { c.Shard = nil })
			return d
		}, is: ErrNotShard, words: `no "shard" field`},
		{name: "missing shard", sims: []simShard{{}, {}, {}}, edit: func(t *testing.T, d []string) []string { return d[:2] },
			is: nil, words: "shards [2] are missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			dirs := writeShards(t, root, testCoordinator, time.Now().Truncate(time.Second), tc.sims)
			if tc.edit != nil {
				dirs = tc.edit(t, dirs)
			}
			opts := tc.opts
			opts.Out = filepath.Join(root, "merged")
			_, err := Merge(context.Background(), dirs, opts)
			if err == nil {
				t.Fatal("merge succeeded")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("err = %v, want %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.words) {
				t.Errorf("err = %v, want it to say %q", err, tc.words)
			}
			if _, serr := os.Stat(opts.Out); serr == nil {
				t.Errorf("a refused merge created %s", opts.Out)
			}
		})
	}

	t.Run("partial merges the shards given", func(t *testing.T) {
		root := t.TempDir()
		dirs := writeShards(t, root, testCoordinator, time.Now().Truncate(time.Second), make([]simShard, 3))
		res, err := Merge(context.Background(), dirs[:2], Options{Out: filepath.Join(root, "m"), Partial: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Warnings) != 1 || !errors.Is(res.Warnings[0], ErrMissingShard) || res.Config.Status != record.StatusInterrupted {
			t.Errorf("warnings %v, status %s", res.Warnings, res.Config.Status)
		}
	})
	t.Run("output not empty", func(t *testing.T) {
		root := t.TempDir()
		dirs := writeShards(t, root, testCoordinator, time.Now().Truncate(time.Second), make([]simShard, 2))
		_, err := Merge(context.Background(), dirs, Options{Out: dirs[0]})
		if !errors.Is(err, ErrOutNotEmpty) {
			t.Errorf("merging into a shard's own directory: err = %v, want ErrOutNotEmpty", err)
		}
	})
}

func editConfig(t *testing.T, dir string, fn func(*record.RunConfig)) {
	t.Helper()
	c, err := record.ReadConfig(filepath.Join(dir, record.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	fn(c)
	if err := record.WriteConfig(dir, c); err != nil {
		t.Fatal(err)
	}
}

// TestTolerance pins where the skew tolerance comes from.
func TestTolerance(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fixed  time.Duration
		median float64
		have   bool
		want   time.Duration
		words  string
	}{
		{0, 0.042, true, 4200 * time.Microsecond, "10% of the median TTFT 42.000 ms"},
		{0, 0.004, true, time.Millisecond, "the floor"},
		{0, 0, false, time.Millisecond, "no successful request"},
		{20 * time.Millisecond, 0.042, true, 20 * time.Millisecond, "fixed by --skew-tolerance"},
	} {
		got, text := tolerance(tc.fixed, tc.median, tc.have)
		if got != tc.want || !strings.Contains(text, tc.words) {
			t.Errorf("tolerance(%v, %v) = %v %q, want %v and %q", tc.fixed, tc.median, got, text, tc.want, tc.words)
		}
	}
}

// TestClockMapInterpolates checks the drift correction between two
// estimates and its clamping outside them.
func TestClockMapInterpolates(t *testing.T) {
	t.Parallel()
	m := newClockMap([]record.ClockEstimate{
		{AtUnixNs: 2000, OffsetNs: 300, DelayNs: 10}, // given out of order
		{AtUnixNs: 1000, OffsetNs: 100, DelayNs: 40},
	})
	for _, tc := range []struct{ t, want int64 }{{500, 100}, {1000, 100}, {1500, 200}, {2000, 300}, {9000, 300}} {
		if got := m.offset(tc.t); got != tc.want {
			t.Errorf("offset(%d) = %d, want %d", tc.t, got, tc.want)
		}
	}
	if m.delay != 40 || m.correct(0) != 0 {
		t.Errorf("delay %d, correct(0) = %d", m.delay, m.correct(0))
	}
}

// TestMergeCopiesServerMetrics: only shard 1 (clock 250 ms ahead) has a
// server-metrics.jsonl; the merged run gets it with corrected times.
func TestMergeCopiesServerMetrics(t *testing.T) {
	root := t.TempDir()
	base := time.Now().Truncate(time.Second)
	const skew = 250 * time.Millisecond
	dirs := writeShards(t, root, testCoordinator, base, []simShard{{}, {skew: skew}})
	at := base.Add(5 * time.Second).UnixNano()
	fakerun.WriteJSONL(t, filepath.Join(dirs[1], record.ServerMetricsFile), []servermetrics.ScrapeLine{
		{UnixNs: at + int64(skew), Phase: 0, Edge: servermetrics.EdgeTick, Samples: []servermetrics.Sample{{Name: "vllm:num_requests_running", Value: 3}}},
	})
	out := filepath.Join(root, "m")
	res, err := Merge(context.Background(), dirs, Options{Out: out})
	if err != nil {
		t.Fatal(err)
	}
	lines, bad, err := servermetrics.ReadFile(filepath.Join(out, record.ServerMetricsFile))
	if err != nil || len(bad) > 0 || len(lines) != 1 {
		t.Fatalf("merged server metrics: %v %v %d lines", err, bad, len(lines))
	}
	if res.ServerMetricsFrom != 1 || lines[0].UnixNs != at+estErr || lines[0].Samples[0].Value != 3 {
		t.Errorf("from shard %d, scrape %+v: want shard 1's scrape at the true time (+%d ns estimate error)", res.ServerMetricsFrom, lines[0], estErr)
	}
}

// TestMergeReportsSkippedLines: a corrupt line in a shard's requests.jsonl
// is skipped, counted and named; every good record is still merged.
func TestMergeReportsSkippedLines(t *testing.T) {
	root := t.TempDir()
	dirs := writeShards(t, root, testCoordinator, time.Now().Truncate(time.Second), make([]simShard, 2))
	f, err := os.OpenFile(filepath.Join(dirs[1], record.RequestsFile), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("{\"id\":\"req_9\",\"ttft_s\":\n")
	f.Close()
	res, err := Merge(context.Background(), dirs, Options{Out: filepath.Join(root, "m")})
	if err != nil {
		t.Fatal(err)
	}
	if res.Records != 51 || len(res.Warnings) != 1 || !errors.Is(res.Warnings[0], ErrSkippedLines) ||
		res.Warnings[0].(*Warning).Shard != 1 || res.Config.Shards[1].SkippedLines != 1 {
		t.Errorf("records %d, warnings %v, shard 1 %+v", res.Records, res.Warnings, res.Config.Shards[1])
	}
}
