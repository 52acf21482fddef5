package calibrate

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/workload"
)

// roundSuite is a small round-based design: two prompt lengths at c=1,
// interleaved, in 3 rounds.
func roundSuite() *workload.Suite {
	return &workload.Suite{Name: "rounds", BaseText: "hi ", Nonce: true, Endpoint: "completions", IgnoreEOS: true,
		Profiles:    []workload.Profile{{Name: "short", PromptRep: 20, MaxTokens: 4}, {Name: "long", PromptRep: 400, MaxTokens: 4}},
		Concurrency: []int{1}, Requests: 3, Order: workload.Ordered, Mix: true, Seed: 7, Rounds: 3}
}

func logRatioOfMedians(round []record.Record) float64 {
	var s, l []float64
	for _, r := range round {
		if r.PromptRep == 400 {
			l = append(l, *r.TTFT)
		} else {
			s = append(s, *r.TTFT)
		}
	}
	med := func(x []float64) float64 {
		// three values: the middle one
		a, b, c := x[0], x[1], x[2]
		return max(min(a, b), min(max(a, b), c))
	}
	return math.Log(med(l) / med(s))
}

// TestDesignSim: a session has the design's rounds, renumbered, with
// every request of the pool's rounds; a per-round level effect cancels in
// a within-round ratio; Adjust moves every round's log ratio by exactly
// the log of its factor, so the truth moves by it; Prune keeps only what
// it is told to.
func TestDesignSim(t *testing.T) {
	t.Parallel()
	nz := Noise{StepJitter: 0.07, RoundLevel: 0.5}
	d, err := NewDesignSim(engine.Config{}, roundSuite(), 4, nz)
	if err != nil {
		t.Fatal(err)
	}
	if d.PoolRounds() != 12 {
		t.Fatalf("%d pooled rounds, want 4 runs × 3", d.PoolRounds())
	}
	rng := rand.New(rand.NewPCG(1, 2))
	recs := d.Session(rng)
	per := map[int]int{}
	for _, r := range recs {
		per[r.Round]++
	}
	if len(recs) != 18 || per[1] != 6 || per[2] != 6 || per[3] != 6 {
		t.Fatalf("session of %d records by round %v, want 6 in each of rounds 1–3", len(recs), per)
	}
	// Level effects of log-sd 0.5 shared within a round leave the
	// within-round ratio as the pool has it: the truth over many rounds
	// equals the pool's mean ratio.
	var pool float64
	for _, rr := range d.pool {
		pool += logRatioOfMedians(rr)
	}
	pool /= float64(len(d.pool))
	truth, se := d.Truth(rand.New(rand.NewPCG(3, 4)), 4000, logRatioOfMedians)
	if math.Abs(truth-pool) > 4*se+1e-9 {
		t.Errorf("truth %.5f (s.e. %.5f), pool mean %.5f: a shared level effect moved a within-round ratio", truth, se, pool)
	}
	d.Adjust(func(r *record.Record) {
		if r.PromptRep == 400 {
			r.TTFT = record.F(*r.TTFT * 1.5)
		}
	})
	moved, _ := d.Truth(rand.New(rand.NewPCG(3, 4)), 4000, logRatioOfMedians)
	if math.Abs(moved-truth-math.Log(1.5)) > 1e-9 {
		t.Errorf("a factor 1.5 on the long prompts moved the truth by %.9f, want log 1.5 = %.9f", moved-truth, math.Log(1.5))
	}
	d.Prune(func(r *record.Record) bool { return r.PromptRep == 400 })
	for _, r := range d.Session(rng) {
		if r.PromptRep != 400 {
			t.Fatalf("a pruned session holds %+v", r)
		}
	}
	if _, err := NewDesignSim(engine.Config{}, nil, 1, nz); err == nil {
		t.Error("a nil suite accepted")
	}
}

// TestRatesCount: Count tallies outcomes and coverage.
func TestRatesCount(t *testing.T) {
	var r Rates
	r.Count("pass", 1, 2, 1.5)
	r.Count("fail", 1, 2, 3)
	r.Count("inconclusive", 1, 2, 0.5)
	r.Count("pass", math.NaN(), math.NaN(), 1)
	if r != (Rates{N: 4, Pass: 2, Fail: 1, Inconclusive: 1, Covered: 1, Below: 1, Above: 1}) {
		t.Errorf("%+v", r)
	}
}
