package merge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hypobench/hypobench/internal/fakerun"
	"github.com/hypobench/hypobench/internal/lag"
	"github.com/hypobench/hypobench/record"
)

const openSuite = `{"name":"open","profiles":["short_short"],"rates":[10],"max_concurrency":4,"requests":5}`

// openShard is one simulated shard of a one-phase open-loop run at a plan
// rate of 10 req/s over two shards.
type openShard struct {
	phase  record.Phase
	queues []float64 // one record per value, in end order
	check  *record.ClientCheck
	offset int64   // the coordinator's clock minus the shard's
	rate   float64 // the plan's rate on the records; 10 when 0
	late   bool    // the shard was given another --start-at
}

func writeOpenShards(t *testing.T, root string, shards []openShard) []string {
	t.Helper()
	base := time.Now().Truncate(time.Second)
	var dirs []string
	for idx, sh := range shards {
		dir := filepath.Join(root, fmt.Sprintf("open-%d", idx))
		var recs []record.Record
		rate := sh.rate
		if rate == 0 {
			rate = 10
		}
		for j, q := range sh.queues {
			due := base.Add(time.Duration(10*j+idx) * time.Millisecond).UnixNano()
			st := due + int64(q*1e9)
			recs = append(recs, record.Record{
				ID: record.RequestID(j + 1), Profile: "short_short", TTFT: record.F(0.01 * float64(idx*10+j+1)), Total: 0.1,
				Concurrency: j%2 + 1, Suite: "open", Phase: 0, Seq: 2*j + idx, Queue: q, TargetRate: rate,
				IntendedUnixNs: due, StartUnixNs: st, EndUnixNs: base.Add(time.Second).UnixNano() + int64(j), HTTPStatus: 200,
				OutputTokens: record.I(2),
			})
		}
		ph := sh.phase
		ph.Index, ph.Suite, ph.Profile, ph.Status = 0, "open", "short_short", record.StatusComplete
		ph.Requests = len(sh.queues)
		ph.StartUnixNs, ph.EndUnixNs = base.UnixNano(), base.Add(2*time.Second).UnixNano()
		e := base.Add(3 * time.Second).UTC()
		startAt := base.UTC()
		if sh.late {
			startAt = startAt.Add(time.Second)
		}
		cfg := &record.RunConfig{
			RunID: fmt.Sprintf("open-%d", idx), Status: record.StatusComplete, Started: base.UTC(), Ended: &e,
			Model: "m", Suite: json.RawMessage(openSuite), ClientCheck: sh.check,
			Meta: map[string]json.RawMessage{"target": json.RawMessage(`"http://vllm:8000"`)},
			Shard: &record.Shard{Index: idx, Count: len(shards), StartAt: &startAt, PhaseDurationNs: int64(time.Minute),
				Clock: []record.ClockEstimate{{Label: "start", OffsetNs: sh.offset, DelayNs: 1000, Samples: 8}}},
		}
		fakerun.WriteRun(t, dir, recs, "")
		fakerun.WriteJSONL(t, filepath.Join(dir, record.PhasesFile), []record.Phase{ph})
		if err := record.WriteConfig(dir, cfg); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
	}
	return dirs
}

func openFixture() []openShard {
	phase := 0
	return []openShard{
		{
			phase:  record.Phase{Arrival: "poisson", TargetRate: 5, OfferedRate: 4.5, AchievedRate: 4.4, MaxConcurrency: 2},
			queues: []float64{0.001, 0.002, 0.010},
			check: &record.ClientCheck{Cores: 4, CPUShare: record.F(0.95), SchedPeriodS: 0.005, Thresholds: "t",
				Reasons: []record.ClientReason{{Code: record.ReasonCPU, Detail: "the client used 95% of its 4 cores"}},
				SendLag: &record.Lag{N: 3, Mean: 0.004, P50: 0.002, P90: 0.008, P99: 0.0099, Max: 0.010},
				Phases:  []record.PhaseCheck{{Index: 0, TargetRate: 5, SendLag: &record.Lag{N: 3, Mean: 0.004, P50: 0.002, P90: 0.008, P99: 0.0099, Max: 0.010}}}},
		},
		{
			phase:  record.Phase{Arrival: "poisson", TargetRate: 5, OfferedRate: 4.5, AchievedRate: 3.1, MaxConcurrency: 2},
			queues: []float64{0.004, 0.5},
			offset: int64(time.Second),
			check: &record.ClientCheck{Cores: 2, CPUShare: record.F(0.5), SchedPeriodS: 0.005, Thresholds: "t",
				Reasons: []record.ClientReason{{Code: record.ReasonSendLag, Detail: "p90 client send lag in phase 0 (5 req/s) 400 ms > 10 ms", Phase: &phase}},
				SendLag: &record.Lag{N: 2, Mean: 0.252, P50: 0.252, P90: 0.4, P99: 0.49, Max: 0.5},
				Phases:  []record.PhaseCheck{{Index: 0, TargetRate: 5, SendLag: &record.Lag{N: 2, Mean: 0.252, P50: 0.252, P90: 0.4, P99: 0.49, Max: 0.5}}}},
		},
	}
}

// TestMergeOpenLoop merges two open-loop shards: the merged phase sums the
// shards' target, offered and achieved rates and caps (the target being
// the plan's rate the records carry), pools the send lag of every record
// exactly, leaves the records' own in-flight count alone (an open-loop
// phase has no worker count to put there), puts due instants on the
// coordinator's clock, and keeps every shard's self-check reason — a
// phase's with its phase — so the merged run is still client-limited.
func TestMergeOpenLoop(t *testing.T) {
	root := t.TempDir()
	fx := openFixture()
	dirs := writeOpenShards(t, root, fx)
	out := filepath.Join(root, "merged")
	if _, err := Merge(context.Background(), dirs, Options{Out: out}); err != nil {
		t.Fatal(err)
	}
	recs, phases, cfg := readRun(t, out)
	if len(recs) != 5 || len(phases) != 1 {
		t.Fatalf("%d records, %d phases", len(recs), len(phases))
	}
	p := phases[0]
	wantLag := lag.Of([]float64{0.001, 0.002, 0.010, 0.004, 0.5})
	if p.TargetRate != 10 || p.OfferedRate != 9 || p.AchievedRate != 7.5 || p.MaxConcurrency != 4 || p.Arrival != "poisson" || p.Concurrency != 0 || p.Requests != 5 {
		t.Errorf("merged phase %+v", p)
	}
	if diff := cmp.Diff(wantLag, p.SendLag); diff != "" || p.SendLag.P50 != 0.004 {
		t.Errorf("merged send lag (-want +got):\n%s", diff)
	}
	original := map[string]record.Record{}
	for i, d := range dirs {
		rs, _, _ := record.ReadRecords(filepath.Join(d, record.RequestsFile))
		for _, r := range rs {
			original[fmt.Sprintf("s%d-%s", i, r.ID)] = r
		}
	}
	for _, r := range recs {
		o := original[r.ID]
		if r.Concurrency != o.Concurrency || r.TargetRate != 10 || r.IntendedUnixNs != o.IntendedUnixNs+fx[*r.Shard].offset {
			t.Errorf("record %s: concurrency %d (shard's %d), rate %v, due %d (shard's %d, offset %d)",
				r.ID, r.Concurrency, o.Concurrency, r.TargetRate, r.IntendedUnixNs, o.IntendedUnixNs, fx[*r.Shard].offset)
		}
	}
	c := cfg.ClientCheck
	if c == nil || len(cfg.ClientLimited()) != 2 {
		t.Fatalf("merged client check %+v", c)
	}
	if r := c.Reasons[0]; r.Code != record.ReasonCPU || !strings.HasPrefix(r.Detail, "shard 0: ") || r.Phase != nil {
		t.Errorf("reason 0 = %+v", r)
	}
	if r := c.Reasons[1]; r.Code != record.ReasonSendLag || !strings.HasPrefix(r.Detail, "shard 1: ") || r.Phase == nil || *r.Phase != 0 {
		t.Errorf("reason 1 = %+v", r)
	}
	if *c.CPUShare != 0.95 || c.Cores != 4 || c.SendLag.N != 5 || c.SendLag.P90 != 0.4 || c.SendLag.Max != 0.5 ||
		c.SendLag.Mean != (3*0.004+2*0.252)/5 {
		t.Errorf("merged run-wide figures: cpu %v of %d cores, send lag %+v", *c.CPUShare, c.Cores, c.SendLag)
	}
	ttfts := []float64{0.01, 0.02, 0.03, 0.11, 0.12}
	if len(c.Phases) != 1 || c.Phases[0].TargetRate != 10 || c.Phases[0].SendLag.N != 5 || c.Phases[0].SendLag.P90 != 0.4 ||
		c.Phases[0].MedianTTFTS != ttfts[2] || c.MedianTTFTS != ttfts[2] {
		t.Errorf("merged phase checks %+v, median TTFT %v", c.Phases, c.MedianTTFTS)
	}

	// Without shard 1 (--partial) the merged phase offers shard 0's share.
	res, err := Merge(context.Background(), dirs[:1], Options{Out: filepath.Join(root, "partial"), Partial: true})
	if err != nil {
		t.Fatal(err)
	}
	if p := res.Phases[0]; p.TargetRate != 5 || p.OfferedRate != 4.5 || p.SendLag.N != 3 {
		t.Errorf("partial merge phase %+v", p)
	}
}

// TestBoundLags checks the pooled summary of lags whose values are gone
// against the exact pooled figures of the same values: N and Max equal,
// the mean equal to rounding, each quantile at least the exact one.
func TestBoundLags(t *testing.T) {
	t.Parallel()
	a := []float64{0.001, 0.002, 0.003, 0.2, 0.004, 0.005, 0.006}
	b := []float64{0.05, 0.06, 0.001, 0.07}
	got := boundLags([]*record.Lag{lag.Of(a), nil, lag.Of(b)})
	exact := lag.Of(slices.Concat(a, b))
	if got.N != exact.N || got.Max != exact.Max || got.Mean-exact.Mean > 1e-15 || exact.Mean-got.Mean > 1e-15 ||
		got.P50 < exact.P50 || got.P90 < exact.P90 || got.P99 < exact.P99 {
		t.Errorf("bound %+v, exact %+v", got, exact)
	}
	if boundLags(nil) != nil || boundLags([]*record.Lag{nil}) != nil {
		t.Error("no lags: want nil")
	}
}

// TestMergeRefusesOpenLoopMismatch refuses shards that disagree on a
// phase's arrival process, or on whether it was open loop at all, or that
// timed their schedules from different starts.
func TestMergeRefusesOpenLoopMismatch(t *testing.T) {
	root := t.TempDir()
	fx := openFixture()
	fx[1].late = true
	dirs := writeOpenShards(t, root, fx)
	_, err := Merge(context.Background(), dirs, Options{Out: filepath.Join(root, "merged")})
	if !errors.Is(err, ErrPlanMismatch) || !strings.Contains(err.Error(), "--start-at") {
		t.Errorf("shards with different starts: %v, want a plan mismatch naming --start-at", err)
	}
	for _, arrival := range []string{"gamma", ""} {
		root := t.TempDir()
		fx := openFixture()
		fx[1].phase.Arrival = arrival
		dirs := writeOpenShards(t, root, fx)
		_, err := Merge(context.Background(), dirs, Options{Out: filepath.Join(root, "merged")})
		if !errors.Is(err, ErrPlanMismatch) || !strings.Contains(err.Error(), "arrival") {
			t.Errorf("arrival poisson vs %q: %v, want a plan mismatch naming the arrival", arrival, err)
		}
	}
}

// TestMergeSnapsPlanRate merges three shards of a 0.9 req/s phase, whose
// shares 0.9/3 sum to 0.8999999999999999 in floating point: the merged
// phase must state the plan's 0.9 (the records' rate, which the report and
// compare group by), and a partial merge the sum of the shares present.
func TestMergeSnapsPlanRate(t *testing.T) {
	root := t.TempDir()
	var fx []openShard
	for range 3 {
		fx = append(fx, openShard{rate: 0.9, queues: []float64{0.001},
			phase: record.Phase{Arrival: "poisson", TargetRate: 0.9 / 3, OfferedRate: 0.3, AchievedRate: 0.3}})
	}
	if sum := fx[0].phase.TargetRate + fx[1].phase.TargetRate + fx[2].phase.TargetRate; sum == 0.9 {
		t.Fatalf("the shares sum to 0.9 exactly: the case tests nothing")
	}
	dirs := writeOpenShards(t, root, fx)
	res, err := Merge(context.Background(), dirs, Options{Out: filepath.Join(root, "merged")})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Phases[0].TargetRate; got != 0.9 {
		t.Errorf("merged target rate %v, want the plan's 0.9", got)
	}
	res, err = Merge(context.Background(), dirs[:2], Options{Out: filepath.Join(root, "partial"), Partial: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Phases[0].TargetRate; got != 0.9/3+0.9/3 {
		t.Errorf("partial merge target rate %v, want the two shares' sum", got)
	}
}
