package run

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/hypobench/hypobench/openai/openaitest"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/stats"
	"github.com/hypobench/hypobench/workload"
)

func openSuite() *workload.Suite {
	return &workload.Suite{
		Name: "open", BaseText: "hi ", Nonce: true, Endpoint: "completions", IgnoreEOS: true,
		Profiles: []workload.Profile{{Name: "short_short", PromptRep: 4, MaxTokens: 2}},
		Rate:     100, Arrival: workload.Constant, Requests: 20, Order: workload.Ordered, Seed: 3,
	}
}

func readRun(t *testing.T, dir string) ([]record.Record, []record.Phase) {
	t.Helper()
	recs, bad, err := record.ReadRecords(filepath.Join(dir, record.RequestsFile))
	if err != nil || len(bad) > 0 {
		t.Fatal(err, bad)
	}
	phases, _, err := record.ReadPhases(filepath.Join(dir, record.PhasesFile))
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(recs, func(a, b record.Record) int { return a.Seq - b.Seq })
	return recs, phases
}

// TestOpenLoopFollowsSchedule runs a Poisson phase and checks each record
// was due exactly at its schedule's offset, carries its send lag and the
// latencies from due, and that the phase states its rates and lag.
func TestOpenLoopFollowsSchedule(t *testing.T) {
	srv := openaitest.NewServer(openaitest.Config{TTFT: 2 * time.Millisecond, TokenDelay: time.Millisecond})
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "run")
	s := openSuite()
	s.Arrival, s.Rate, s.Requests = workload.Poisson, 50, 30
	res, err := Execute(context.Background(), Config{Client: client(t, srv.URL), Model: "m", Suite: s, Dir: dir, Seed: s.Seed})
	if err != nil {
		t.Fatal(err)
	}
	recs, phases := readRun(t, dir)
	if len(recs) != 30 || res.Errors != 0 || len(phases) != 1 {
		t.Fatalf("%d records, %d errors, %d phases", len(recs), res.Errors, len(phases))
	}
	plan, err := s.OpenPlan()
	if err != nil {
		t.Fatal(err)
	}
	sched, _ := plan[0].Schedule()
	ph := phases[0]
	if ph.Arrival != "poisson" || ph.TargetRate != 50 || ph.Concurrency != 0 || ph.Requests != 30 || ph.SendLag == nil || ph.SendLag.N != 30 {
		t.Errorf("phase %+v", ph)
	}
	if want := 30 / sched[29].At.Seconds(); ph.OfferedRate != want || ph.AchievedRate <= 0 || ph.AchievedRate > want {
		t.Errorf("offered %v (want %v) achieved %v", ph.OfferedRate, want, ph.AchievedRate)
	}
	for k, r := range recs {
		if r.IntendedUnixNs-ph.StartUnixNs != int64(sched[k].At) {
			t.Errorf("%s due at +%v, schedule says %v", r.ID, time.Duration(r.IntendedUnixNs-ph.StartUnixNs), sched[k].At)
		}
		if r.Queue < 0 || r.StartUnixNs < r.IntendedUnixNs || r.Concurrency < 1 {
			t.Errorf("%s: queue %v start %d due %d concurrency %d", r.ID, r.Queue, r.StartUnixNs, r.IntendedUnixNs, r.Concurrency)
		}
		if r.TTFT == nil || r.TTFTIntended == nil || *r.TTFTIntended != r.Queue+*r.TTFT || *r.TotalIntended != r.Queue+r.Total {
			t.Errorf("%s: latencies from due %v/%v do not add queue %v to %v/%v", r.ID, r.TTFTIntended, r.TotalIntended, r.Queue, r.TTFT, r.Total)
		}
	}
	rc, err := record.ReadConfig(filepath.Join(dir, record.ConfigFile))
	if err != nil || rc.ClientCheck == nil || rc.ClientCheck.SchedLag == nil || rc.ClientCheck.SendLag.N != 30 {
		t.Fatalf("client check %+v, %v", rc.ClientCheck, err)
	}
}

// TestSaturatedQueueingShowsFromDue caps a constant 100 req/s phase at one
// request in flight against a server that takes ≥ 41 ms per request: the
// k-th request cannot be sent before k·41 ms but was due at (k+1)·10 ms, so
// its wait (≥ 31k − 10 ms, whatever the machine's load) must show in the
// latency from due, while the latency from send stays the server's own.
func TestSaturatedQueueingShowsFromDue(t *testing.T) {
	srv := openaitest.NewServer(openaitest.Config{TTFT: 40 * time.Millisecond, TokenDelay: time.Millisecond})
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "run")
	s := openSuite()
	s.MaxConcurrency = 1
	if _, err := Execute(context.Background(), Config{Client: client(t, srv.URL), Model: "m", Suite: s, Dir: dir, Seed: s.Seed}); err != nil {
		t.Fatal(err)
	}
	recs, phases := readRun(t, dir)
	if len(recs) != 20 || phases[0].MaxConcurrency != 1 {
		t.Fatalf("%d records, phase %+v", len(recs), phases[0])
	}
	var fromSend []float64
	for k, r := range recs {
		if r.Concurrency != 1 || r.TTFT == nil {
			t.Fatalf("%s: concurrency %d ttft %v", r.ID, r.Concurrency, r.TTFT)
		}
		fromSend = append(fromSend, *r.TTFT)
		if bound := (31*float64(k) - 10) / 1e3; *r.TTFTIntended < bound || r.Queue < bound {
			t.Errorf("%s: queue %.3f s, ttft from due %.3f s, want both ≥ %.3f s", r.ID, r.Queue, *r.TTFTIntended, bound)
		}
	}
	last := recs[len(recs)-1]
	if med := stats.Median(fromSend); *last.TTFTIntended < 2*med || med > 0.25 {
		t.Errorf("ttft from send: median %.3f s; last request's ttft from due %.3f s: queueing should show from due only", med, *last.TTFTIntended)
	}
	if p := phases[0]; p.SendLag.Max < 0.5 {
		t.Errorf("phase send lag %+v, want a max ≥ 0.5 s", p.SendLag)
	}
}
