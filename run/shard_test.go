package run

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/hypobench/hypobench/openai/openaitest"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/workload"
)

// TestSplitPlan checks that, for every shard count, the shards' shares of
// each phase sum to the plan's concurrency and requests, that no shard
// gets requests without a worker, and that a mixed phase's profiles are
// dealt out exactly once.
func TestSplitPlan(t *testing.T) {
	t.Parallel()
	a, b := workload.Profile{Name: "a"}, workload.Profile{Name: "b"}
	mix := []workload.Profile{a, b, b, a, a, b, a}
	plan := []workload.PhasePlan{
		{Profile: a, Concurrency: 1, Requests: 10},
		{Profile: b, Concurrency: 5, Requests: 23},
		{Profile: workload.Profile{Name: workload.MixedProfile}, Concurrency: 3, Requests: len(mix), Mix: mix},
		{Profile: a, Concurrency: 32, Requests: 32},
	}
	for n := 1; n <= 6; n++ {
		conc := make([]int, len(plan))
		reqs := make([]int, len(plan))
		dealt := map[string]int{}
		for i := range n {
			for k, p := range SplitPlan(plan, i, n) {
				conc[k] += p.Concurrency
				reqs[k] += p.Requests
				if p.Requests > 0 && p.Concurrency == 0 {
					t.Errorf("n=%d shard %d phase %d: %d requests and no worker", n, i, k, p.Requests)
				}
				if plan[k].Mix != nil {
					if len(p.Mix) != p.Requests {
						t.Errorf("n=%d shard %d: mix of %d for %d requests", n, i, len(p.Mix), p.Requests)
					}
					for _, q := range p.Mix {
						dealt[q.Name]++
					}
				}
			}
		}
		for k, p := range plan {
			if conc[k] != p.Concurrency || reqs[k] != p.Requests {
				t.Errorf("n=%d phase %d: shards sum to concurrency %d, requests %d; plan %d, %d", n, k, conc[k], reqs[k], p.Concurrency, p.Requests)
			}
		}
		if dealt["a"] != 4 || dealt["b"] != 3 {
			t.Errorf("n=%d: mix dealt %v, want a:4 b:3", n, dealt)
		}
	}
}

// TestSlotWaitsForTheCommonInstant checks the slot arithmetic with the
// clock offset: a shard whose clock is 1 h behind the coordinator must
// treat a start 1 h ahead on the coordinator's clock as now, and the
// phase context must end at the slot's end.
func TestSlotWaitsForTheCommonInstant(t *testing.T) {
	t.Parallel()
	s := &Sharding{
		Shard:         record.Shard{Index: 0, Count: 2, Clock: []record.ClockEstimate{{OffsetNs: int64(time.Hour)}}},
		StartAt:       time.Now().Add(time.Hour),
		PhaseDuration: time.Hour,
	}
	ctx, cancel := s.slot(context.Background(), 0)
	defer cancel()
	dl, ok := ctx.Deadline()
	if !ok || time.Until(dl) < 59*time.Minute {
		t.Errorf("phase 0's slot ends at %v (ok %v), want about an hour from now", dl, ok)
	}
	// A slot that has passed yields a context already done.
	s.StartAt = time.Now().Add(-time.Hour)
	ctx2, cancel2 := s.slot(context.Background(), 0)
	defer cancel2()
	if ctx2.Err() == nil {
		t.Error("a past slot's context is not done")
	}
	var none *Sharding
	if c, _ := none.slot(context.Background(), 3); c.Err() != nil {
		t.Error("no sharding: context done")
	}
}

// TestSplitOpen checks the thinning of one plan-wide schedule: for every
// shard count and cap, each planned request goes to exactly one shard, the
// shards' caps sum to the plan's, a shard without a slot gets no request,
// its requests are proportional to its slots (within one per slot), and
// the shards' target rates sum to the plan's.
func TestSplitOpen(t *testing.T) {
	t.Parallel()
	sched := make([]workload.Due, 37)
	for k := range sched {
		sched[k].At = time.Duration(k+1) * time.Millisecond
	}
	const rate = 10.0
	for n := 1; n <= 6; n++ {
		for _, c := range []int{0, 1, 3, 5, 8} {
			seen := make([]int, len(sched))
			var caps int
			var rates float64
			for i := range n {
				sh := splitOpen(sched, c, rate, i, n)
				caps += sh.maxConc
				rates += sh.rate
				if !sh.sharded || sh.span != sched[len(sched)-1].At {
					t.Errorf("n=%d c=%d shard %d: sharded %v span %v", n, c, i, sh.sharded, sh.span)
				}
				if c > 0 && sh.maxConc == 0 && len(sh.seqs) > 0 {
					t.Errorf("n=%d c=%d shard %d: %d requests and no slot", n, c, i, len(sh.seqs))
				}
				slots := 1.0 / float64(n)
				if c > 0 {
					slots = float64(sh.maxConc) / float64(c)
				}
				if want := slots * float64(len(sched)); math.Abs(float64(len(sh.seqs))-want) > float64(max(c, 1)) {
					t.Errorf("n=%d c=%d shard %d: %d requests, want about %.1f", n, c, i, len(sh.seqs), want)
				}
				for j, k := range sh.seqs {
					seen[k]++
					if j > 0 && k <= sh.seqs[j-1] {
						t.Errorf("n=%d c=%d shard %d: requests out of due order", n, c, i)
					}
				}
			}
			for k, v := range seen {
				if v != 1 {
					t.Errorf("n=%d c=%d: request %d sent by %d shards", n, c, k, v)
				}
			}
			if c > 0 && caps != c {
				t.Errorf("n=%d c=%d: caps sum to %d", n, c, caps)
			}
			if math.Abs(rates-rate) > 1e-12 {
				t.Errorf("n=%d c=%d: rates sum to %v", n, c, rates)
			}
		}
	}
	all := splitOpen(sched, 3, rate, -1, 1)
	if all.sharded || len(all.seqs) != len(sched) || all.maxConc != 3 || all.rate != rate {
		t.Errorf("unsharded share %+v", all)
	}
}

// TestShardedOpenLoop runs three shards of a two-phase open-loop suite
// (a Poisson phase and a capped constant one) in process against one
// server, from a common start in slots, and checks that the union of their
// records is the single process's schedule: every planned request sent
// once, each due at its planned offset from the slot's start to the
// nanosecond (no clock estimate: one clock), with the plan's profile
// (a mix) and target rate on the record; that the shards' phase rates sum
// to the plan's; and that a slot shorter than a schedule, a missing start
// and a missing slot length are refused before anything runs.
func TestShardedOpenLoop(t *testing.T) {
	srv := openaitest.NewServer(openaitest.Config{TTFT: 2 * time.Millisecond, TokenDelay: time.Millisecond})
	defer srv.Close()
	s := openSuite()
	s.Arrival, s.Rates, s.Rate, s.Requests, s.MaxConcurrency = workload.Poisson, []float64{40, 60}, 0, 24, 5
	s.Profiles = append(s.Profiles, workload.Profile{Name: "long_short", PromptRep: 16, MaxTokens: 2})
	s.Mix = true
	plan, err := s.OpenPlan()
	if err != nil || len(plan) != 2 {
		t.Fatal(len(plan), err)
	}
	const n = 3
	const slot = 3 * time.Second // 24 requests due within ~1 s at 40 req/s: a margin no load eats
	start := time.Now().Add(200 * time.Millisecond)
	root := t.TempDir()
	errs := make([]error, n)
	done := make(chan int)
	for i := range n {
		go func() {
			_, errs[i] = Execute(context.Background(), Config{Client: client(t, srv.URL), Model: "m", Suite: s,
				Dir: filepath.Join(root, fmt.Sprint(i)), Seed: s.Seed + uint64(i),
				Sharding: &Sharding{Shard: record.Shard{Index: i, Count: n}, StartAt: start, PhaseDuration: slot}})
			done <- i
		}()
	}
	for range n {
		<-done
	}
	seen := map[[2]int]int{}
	target := make([]float64, len(plan))
	offered := make([]float64, len(plan))
	caps := make([]int, len(plan))
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("shard %d: %v", i, errs[i])
		}
		recs, phases := readRun(t, filepath.Join(root, fmt.Sprint(i)))
		if len(phases) != len(plan) {
			t.Fatalf("shard %d: %d phases", i, len(phases))
		}
		for _, ph := range phases {
			target[ph.Index] += ph.TargetRate
			offered[ph.Index] += ph.OfferedRate
			caps[ph.Index] += ph.MaxConcurrency
			if slotStart := start.Add(time.Duration(ph.Index) * slot).UnixNano(); ph.StartUnixNs != slotStart || ph.Status != record.StatusComplete {
				t.Errorf("shard %d phase %d: start %d status %s, want the slot's %d, complete", i, ph.Index, ph.StartUnixNs, ph.Status, slotStart)
			}
		}
		for _, r := range recs {
			op := plan[r.Phase]
			sched, _ := op.Schedule()
			seen[[2]int{r.Phase, r.Seq}]++
			due := start.Add(time.Duration(r.Phase)*slot + sched[r.Seq].At).UnixNano()
			if r.IntendedUnixNs != due || r.Profile != op.ProfileOf(r.Seq).Name || r.TargetRate != op.TargetRate() || !r.OK() {
				t.Errorf("shard %d %s: phase %d seq %d due %d profile %s rate %v ok %v; plan: due %d profile %s rate %v",
					i, r.ID, r.Phase, r.Seq, r.IntendedUnixNs, r.Profile, r.TargetRate, r.OK(), due, op.ProfileOf(r.Seq).Name, op.TargetRate())
			}
		}
	}
	for p, op := range plan {
		sched, _ := op.Schedule()
		for k := range sched {
			if seen[[2]int{p, k}] != 1 {
				t.Errorf("phase %d request %d sent %d times", p, k, seen[[2]int{p, k}])
			}
		}
		want := float64(len(sched)) / sched[len(sched)-1].At.Seconds()
		if math.Abs(target[p]-op.TargetRate()) > 1e-9 || math.Abs(offered[p]-want) > 1e-9*want || caps[p] != 5 {
			t.Errorf("phase %d: shards sum to target %v offered %v cap %d; plan %v, %v, 5", p, target[p], offered[p], caps[p], op.TargetRate(), want)
		}
	}
	if len(seen) != 48 {
		t.Errorf("%d distinct requests sent, want 48", len(seen))
	}

	for _, tc := range []struct {
		name string
		sh   *Sharding
		want error
	}{
		{"slot too short", &Sharding{Shard: record.Shard{Count: 2}, StartAt: start, PhaseDuration: 100 * time.Millisecond}, ErrSlotTooShort},
		{"no start", &Sharding{Shard: record.Shard{Count: 2}, PhaseDuration: slot}, ErrOpenNoStart},
		{"no slots", &Sharding{Shard: record.Shard{Count: 2}, StartAt: start}, ErrOpenNoSlots},
	} {
		dir := filepath.Join(root, "refused", tc.name)
		_, err := Execute(context.Background(), Config{Client: client(t, srv.URL), Model: "m", Suite: s, Dir: dir, Sharding: tc.sh})
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		name := tc.name
		if _, serr := os.Stat(dir); serr == nil {
			t.Errorf("%s: the refused run made its directory", name)
		}
	}
}

// TestShardedTraceReplay splits a trace replay over two shards: each of
// the trace's requests is sent by one shard, with its own lengths, due at
// its offset from the common start. The shards run one after the other:
// the second is late for its whole schedule, sends it at once, and still
// states each request's due instant on the common timeline.
func TestShardedTraceReplay(t *testing.T) {
	srv := openaitest.NewServer(openaitest.Config{TTFT: time.Millisecond, TokenDelay: time.Millisecond})
	defer srv.Close()
	var lines string
	for k := range 7 {
		lines += fmt.Sprintf(`{"at_s":%g,"prompt_tokens":%d,"output_tokens":%d}`+"\n", 0.02*float64(k), 3+k, 1+k%3)
	}
	s := &workload.Suite{Name: "replay", BaseText: "hi ", Nonce: true, Endpoint: "completions", IgnoreEOS: true, Seed: 5, Order: workload.Ordered,
		Trace: &workload.TraceSpec{File: "t.jsonl", Format: workload.TraceHypobench}}
	if err := s.LoadTrace(fstest.MapFS{"t.jsonl": {Data: []byte(lines)}}); err != nil {
		t.Fatal(err)
	}
	plan, err := s.OpenPlan()
	if err != nil {
		t.Fatal(err)
	}
	sched, _ := plan[0].Schedule()
	start := time.Now().Add(200 * time.Millisecond)
	root := t.TempDir()
	seen := map[int]int{}
	for i := range 2 {
		dir := filepath.Join(root, fmt.Sprint(i))
		if _, err := Execute(context.Background(), Config{Client: client(t, srv.URL), Model: "m", Suite: s, Dir: dir, Seed: uint64(i),
			Sharding: &Sharding{Shard: record.Shard{Index: i, Count: 2}, StartAt: start}}); err != nil {
			t.Fatal(err)
		}
		recs, phases := readRun(t, dir)
		if want := share(7, 2, i); len(recs) != want || phases[0].Requests != want || phases[0].Arrival != "trace" {
			t.Fatalf("shard %d: %d records, phase %+v; want %d", i, len(recs), phases[0], want)
		}
		for _, r := range recs {
			seen[r.Seq]++
			d := sched[r.Seq]
			if r.PromptRep != d.PromptTokens || r.MaxTokens != d.OutputTokens || r.IntendedUnixNs != start.Add(d.At).UnixNano() || r.Seq%2 != i {
				t.Errorf("shard %d seq %d: prompt %d max %d due %d; trace: %d %d %d", i, r.Seq, r.PromptRep, r.MaxTokens,
					r.IntendedUnixNs, d.PromptTokens, d.OutputTokens, start.Add(d.At).UnixNano())
			}
		}
	}
	for k := range 7 {
		if seen[k] != 1 {
			t.Errorf("trace request %d sent %d times", k, seen[k])
		}
	}
}
