package run

import (
	"context"
	"testing"
	"time"

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
