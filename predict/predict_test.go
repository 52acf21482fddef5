package predict

import (
	"errors"
	"math"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/report"
	"github.com/hypobench/hypobench/workload"
)

func smallSuite(t *testing.T, nonce bool) *workload.Suite {
	t.Helper()
	s, err := workload.LoadSuite("tiny")
	if err != nil {
		t.Fatal(err)
	}
	s.Concurrency = []int{1, 4}
	s.Requests = 8
	s.Nonce = nonce
	return s
}

func mustRun(t *testing.T, opts Options) *Result {
	t.Helper()
	res, err := Run(opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestDeterministic: the same options give the same prediction, jitter
// included; another seed changes it.
func TestDeterministic(t *testing.T) {
	opts := Options{Suite: smallSuite(t, true), Seed: 3, Engine: engine.Config{Jitter: 0.2, Seed: 9}}
	a, b := mustRun(t, opts), mustRun(t, opts)
	if d := cmp.Diff(a, b); d != "" {
		t.Fatalf("two runs differ (-a +b):\n%s", d)
	}
	opts.Engine.Seed = 10
	if c := mustRun(t, opts); cmp.Equal(a.Records, c.Records) {
		t.Error("another engine seed gave the same records")
	}
}

// TestPlanAsLive: phases in the suite's order, ids numbered across the
// run in issue order, warm-up unrecorded, seed fields filled.
func TestPlanAsLive(t *testing.T) {
	s := smallSuite(t, true)
	res := mustRun(t, Options{Suite: s, Seed: 1})
	plan := s.Plan()
	if len(res.Phases) != len(plan) {
		t.Fatalf("%d phases, want %d", len(res.Phases), len(plan))
	}
	n := 0
	for i, pp := range plan {
		ph := res.Phases[i]
		if ph.Profile != pp.Profile.Name || ph.Concurrency != pp.Concurrency || ph.Requests != pp.Requests || ph.Index != i {
			t.Errorf("phase %d = %+v, want %s c=%d n=%d", i, ph, pp.Profile.Name, pp.Concurrency, pp.Requests)
		}
		if i > 0 && ph.StartUnixNs < res.Phases[i-1].EndUnixNs {
			t.Errorf("phase %d starts before phase %d ends", i, i-1)
		}
		n += pp.Requests
	}
	if len(res.Records) != n {
		t.Fatalf("%d records, want %d (warm-up excluded)", len(res.Records), n)
	}
	for i, r := range res.Records {
		ph := res.Phases[r.Phase]
		switch {
		case r.ID != record.RequestID(i+1):
			t.Errorf("record %d id %s", i, r.ID)
		case r.Profile != ph.Profile || r.Concurrency != ph.Concurrency:
			t.Errorf("record %s: %s c=%d in phase %+v", r.ID, r.Profile, r.Concurrency, ph)
		case r.TTFT == nil || *r.TTFT <= 0 || r.Total < *r.TTFT || r.OutputTokens == nil || *r.OutputTokens != r.MaxTokens:
			t.Errorf("record %s: ttft %v total %g output %v max %d", r.ID, r.TTFT, r.Total, r.OutputTokens, r.MaxTokens)
		case r.MaxTokens >= 2 && (r.TPOT == nil || len(r.ITL) != r.MaxTokens-1):
			t.Errorf("record %s: tpot %v, %d ITL gaps for %d tokens", r.ID, r.TPOT, len(r.ITL), r.MaxTokens)
		case r.StartUnixNs < ph.StartUnixNs || r.EndUnixNs > ph.EndUnixNs:
			t.Errorf("record %s outside its phase's window", r.ID)
		}
	}
}

// TestClosedLoop: in every closed-loop phase at most c requests are in
// flight, the first c start together, and every later one starts the
// instant an earlier one ended, as a live worker issues its next request.
func TestClosedLoop(t *testing.T) {
	res := mustRun(t, Options{Suite: smallSuite(t, true), Seed: 1})
	for _, ph := range res.Phases {
		var recs []record.Record
		for _, r := range res.Records {
			if r.Phase == ph.Index {
				recs = append(recs, r)
			}
		}
		sort.SliceStable(recs, func(i, j int) bool { return recs[i].StartUnixNs < recs[j].StartUnixNs })
		ends := map[int64]int{}
		for k, r := range recs {
			if k < ph.Concurrency {
				if r.StartUnixNs != ph.StartUnixNs {
					t.Errorf("phase %d: request %s among the first %d starts late", ph.Index, r.ID, ph.Concurrency)
				}
				continue
			}
			// r replaces one ended request.
			found := false
			for _, q := range recs[:k] {
				if q.EndUnixNs == r.StartUnixNs && ends[q.EndUnixNs] < countEnds(recs[:k], q.EndUnixNs) {
					ends[q.EndUnixNs]++
					found = true
					break
				}
			}
			if !found {
				t.Errorf("phase %d: request %s starts at %d, when no request ended", ph.Index, r.ID, r.StartUnixNs)
			}
			inFlight := 0
			for _, q := range recs[:k+1] {
				if q.StartUnixNs <= r.StartUnixNs && q.EndUnixNs > r.StartUnixNs {
					inFlight++
				}
			}
			if inFlight > ph.Concurrency {
				t.Errorf("phase %d: %d in flight at %s's start, concurrency %d", ph.Index, inFlight, r.ID, ph.Concurrency)
			}
		}
	}
}

func countEnds(recs []record.Record, at int64) int {
	n := 0
	for _, r := range recs {
		if r.EndUnixNs == at {
			n++
		}
	}
	return n
}

// TestNonceDefeatsPrefixCache: the suites' nonce makes every prompt miss,
// as on vLLM; without it, repeated prompts hit and their TTFT falls.
func TestNonceDefeatsPrefixCache(t *testing.T) {
	// Without the front-end's tokenising cost, TTFT is the engine's alone.
	noFE := engine.Config{FrontEnd: &engine.FrontEnd{}}
	with := mustRun(t, Options{Suite: smallSuite(t, true), Seed: 1, Engine: noFE})
	if with.Stats.CacheHits != 0 || with.Stats.CacheQueries == 0 {
		t.Errorf("nonce'd suite: %d hits of %d queried tokens, want 0 of many", with.Stats.CacheHits, with.Stats.CacheQueries)
	}
	without := mustRun(t, Options{Suite: smallSuite(t, false), Seed: 1, Engine: noFE})
	if without.Stats.CacheHits*2 < without.Stats.CacheQueries {
		t.Errorf("identical prompts: %d hits of %d queried tokens, want most", without.Stats.CacheHits, without.Stats.CacheQueries)
	}
	ls := func(res *Result) float64 {
		for _, r := range res.Records {
			if r.Profile == "long_short" && r.Concurrency == 1 {
				return *r.TTFT
			}
		}
		t.Fatal("no long_short record")
		return 0
	}
	if a, b := ls(with), ls(without); b*3 > a {
		t.Errorf("long_short TTFT %gs with nonce, %gs without: the cache should cut it by more than 3×", a, b)
	}
	off := mustRun(t, Options{Suite: smallSuite(t, false), Seed: 1, Engine: engine.Config{NoPrefixCaching: true}})
	if off.Stats.CacheHits != 0 {
		t.Errorf("caching off: %d hits", off.Stats.CacheHits)
	}
}

// TestOpenLoop: with a rate, arrivals are a Poisson process of that rate
// and records carry concurrency 0.
func TestOpenLoop(t *testing.T) {
	s := smallSuite(t, true)
	s.Concurrency = []int{1}
	s.Requests = 200
	s.Profiles = s.Profiles[:1]
	res := mustRun(t, Options{Suite: s, Seed: 5, Rate: 20})
	first, last := res.Records[0].StartUnixNs, res.Records[len(res.Records)-1].StartUnixNs
	mean := float64(last-first) / 1e9 / float64(len(res.Records)-1)
	// 199 exponential gaps of mean 50 ms: the sample mean's sd is 3.5 ms.
	if math.Abs(mean-0.05) > 0.015 {
		t.Errorf("mean inter-arrival %gs, want 0.05s", mean)
	}
	for _, r := range res.Records {
		if r.Concurrency != 0 {
			t.Fatalf("open-loop record %s has concurrency %d", r.ID, r.Concurrency)
		}
	}
	if _, err := Run(Options{Suite: s, Rate: -1}); !errors.Is(err, ErrOptions) {
		t.Errorf("rate -1: %v, want ErrOptions", err)
	}
}

// TestOversizedPromptRefused: a profile that would be a 400 on the live
// server is refused with its name.
func TestOversizedPromptRefused(t *testing.T) {
	s := smallSuite(t, true)
	s.Profiles[3].PromptRep = 4000
	_, err := Run(Options{Suite: s})
	if !errors.Is(err, ErrOptions) {
		t.Fatalf("err %v, want ErrOptions", err)
	}
}

// TestWriteBuildsReports: the run directory a prediction writes is one the
// report package reads, and config.json says it is a prediction.
func TestWriteBuildsReports(t *testing.T) {
	s := smallSuite(t, true)
	opts := Options{Suite: s, Seed: 1, RunID: "p"}
	res := mustRun(t, opts)
	dir := filepath.Join(t.TempDir(), "run")
	if err := Write(dir, opts, res, nil); err != nil {
		t.Fatal(err)
	}
	b, err := report.Build(dir, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if b.Summary.Records != len(res.Records) || len(b.Summary.Groups) != 8 {
		t.Errorf("report: %d records, %d groups; want %d and 8", b.Summary.Records, len(b.Summary.Groups), len(res.Records))
	}
	rows, err := report.ConfigRows(filepath.Join(dir, record.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"prediction": "true", "meta.target": Target, "meta.engine.speed": "1"}
	for _, r := range rows {
		if w, ok := want[r.Key]; ok {
			if r.Value != w {
				t.Errorf("config %s = %s, want %s", r.Key, r.Value, w)
			}
			delete(want, r.Key)
		}
	}
	if len(want) > 0 {
		t.Errorf("config.json lacks %v", want)
	}
}

// TestSpeedAndClientOverhead: with a speed, engine times shrink by it and
// the client's overhead is added unshrunk — TTFT = engine TTFT / speed +
// PerRequest at concurrency 1, events at least PerEvent apart — and
// records carry their round.
func TestSpeedAndClientOverhead(t *testing.T) {
	s := smallSuite(t, true)
	s.Concurrency = []int{1}
	s.Requests = 2
	s.Rounds = 2
	base := mustRun(t, Options{Suite: s, Seed: 3})
	c := ClientOverhead{PerRequest: 300 * time.Microsecond, PerEvent: 50 * time.Microsecond}
	fast := mustRun(t, Options{Suite: s, Seed: 3, Speed: 10, Client: c})
	if len(base.Records) != len(fast.Records) || len(base.Records) != 2*2*len(s.Profiles) {
		t.Fatalf("%d and %d records", len(base.Records), len(fast.Records))
	}
	rounds := map[int]int{}
	for i, b := range base.Records {
		f := fast.Records[i]
		rounds[f.Round]++
		want := *b.TTFT/10 + c.PerRequest.Seconds()
		if math.Abs(*f.TTFT-want) > 1e-9 {
			t.Errorf("record %d: TTFT %g, want %g / 10 + 300 µs = %g", i, *f.TTFT, *b.TTFT, want)
		}
		for k, gap := range f.ITL {
			if gap < c.PerEvent.Seconds()-1e-12 {
				t.Fatalf("record %d: gap %d is %g s, below the client's %v per event", i, k, gap, c.PerEvent)
			}
		}
		if f.TPOT != nil && *f.TPOT < *b.TPOT/10*(1-1e-6) {
			t.Errorf("record %d: TPOT %g below the compressed %g", i, *f.TPOT, *b.TPOT/10)
		}
	}
	if rounds[1] != 2*len(s.Profiles) || rounds[2] != 2*len(s.Profiles) {
		t.Errorf("records per round %v, want %d in rounds 1 and 2", rounds, 2*len(s.Profiles))
	}
	if _, err := Run(Options{Suite: s, Speed: -1}); !errors.Is(err, ErrOptions) {
		t.Errorf("speed -1: %v", err)
	}
}

// TestOpenLoopCap: an open-loop suite with max_concurrency is predicted
// with the cap — never more requests in flight than it, the wait for a
// slot in queue_s and in the latencies from due — while the same suite
// uncapped (the negative control) has more in flight and no wait.
func TestOpenLoopCap(t *testing.T) {
	s := smallSuite(t, true)
	s.Concurrency = nil
	s.Profiles = s.Profiles[:1]
	s.Rate, s.Arrival, s.Requests = 200, workload.Arrival("constant"), 60
	peak := func(recs []record.Record) int {
		most := 0
		for _, a := range recs {
			n := 0
			for _, b := range recs {
				if b.StartUnixNs <= a.StartUnixNs && a.StartUnixNs < b.EndUnixNs {
					n++
				}
			}
			most = max(most, n)
		}
		return most
	}
	free := mustRun(t, Options{Suite: s, Seed: 5})
	if p := peak(free.Records); p <= 2 {
		t.Fatalf("uncapped: %d in flight at most; the test needs a rate the engine cannot serve 2 at a time", p)
	}
	for _, r := range free.Records {
		if r.Queue != 0 || *r.TTFTIntended != *r.TTFT {
			t.Fatalf("uncapped record %s waited %v", r.ID, r.Queue)
		}
	}
	s.MaxConcurrency = 2
	capped := mustRun(t, Options{Suite: s, Seed: 5})
	if p := peak(capped.Records); p > 2 {
		t.Errorf("capped at 2: %d in flight", p)
	}
	waited := 0
	for _, r := range capped.Records {
		if r.Queue < 0 || math.Abs(*r.TTFTIntended-(r.Queue+*r.TTFT)) > 1e-9 || float64(r.StartUnixNs-r.IntendedUnixNs)/1e9-r.Queue > 1e-6 {
			t.Fatalf("record %s: queue %v, TTFT from due %v, from send %v, sent %d ns after due", r.ID, r.Queue, *r.TTFTIntended, *r.TTFT, r.StartUnixNs-r.IntendedUnixNs)
		}
		if r.Queue > 0 {
			waited++
		}
	}
	last := capped.Records[len(capped.Records)-1]
	if waited < len(capped.Records)/2 || last.Queue <= free.Records[len(free.Records)-1].Queue {
		t.Errorf("capped: %d of %d requests waited for a slot, the last %vs", waited, len(capped.Records), last.Queue)
	}
	ph := capped.Phases[0]
	if ph.MaxConcurrency != 2 || !(ph.AchievedRate < ph.OfferedRate) {
		t.Errorf("capped phase: max_concurrency %d, achieved %v of offered %v", ph.MaxConcurrency, ph.AchievedRate, ph.OfferedRate)
	}
}
