package run

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hypobench/hypobench/openai/openaitest"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/workload"
)

// starvedEnv, when set, makes the test binary run TestStarvedChild's body:
// a client starved on purpose (see TestSelfCheckFlagsStarvedClient).
const starvedEnv = "HYPOBENCH_TEST_STARVED_DIR"

// TestStarvedChild is the child process of TestSelfCheckFlagsStarvedClient;
// it does nothing unless starvedEnv is set.
func TestStarvedChild(t *testing.T) {
	dir := os.Getenv(starvedEnv)
	if dir == "" {
		t.Skip("child process of TestSelfCheckFlagsStarvedClient")
	}
	if runtime.GOMAXPROCS(0) != 1 {
		t.Fatalf("GOMAXPROCS %d, want 1", runtime.GOMAXPROCS(0))
	}
	var stop atomic.Bool
	defer stop.Store(true)
	go func() { // the CPU hog
		x := 1.0
		for !stop.Load() {
			for range 1000 {
				x = x*1.0000001 + 1e-9
			}
		}
		_ = x
	}()
	s := openSuite()
	s.Rate, s.Requests, s.Arrival = 1500, 2000, workload.Poisson
	s.Profiles[0].MaxTokens = 8
	c := client(t, os.Getenv("HYPOBENCH_TEST_URL"))
	if _, err := Execute(context.Background(), Config{Client: c, Model: "m", Suite: s, Dir: dir, Seed: 1, ExternalTarget: true}); err != nil {
		t.Fatal(err)
	}
}

// TestSelfCheckFlagsStarvedClient starves a client on purpose: a child
// process with GOMAXPROCS=1 and a CPU-bound goroutine sends 1500 req/s
// (Poisson, 2000 requests, each streaming 8 tokens 150 ms apart, so
// about 1500 streams are in flight) to a fake server in this process. The
// run must be flagged as limited by its client.
func TestSelfCheckFlagsStarvedClient(t *testing.T) {
	if testing.Short() {
		t.Skip("starves a child process for a few seconds")
	}
	srv := openaitest.NewServer(openaitest.Config{TokenDelay: 150 * time.Millisecond, NoLog: true})
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "run")
	cmd := exec.Command(os.Args[0], "-test.run=^TestStarvedChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), starvedEnv+"="+dir, "HYPOBENCH_TEST_URL="+srv.URL, "GOMAXPROCS=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	rc, err := record.ReadConfig(filepath.Join(dir, record.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	cc := rc.ClientCheck
	if cc == nil || len(rc.ClientLimited()) == 0 {
		t.Fatalf("starved client not flagged: %s", describe(cc))
	}
	t.Logf("flagged: %s", describe(cc))
}

// TestSelfCheckPassesOrdinaryRun sends 20 req/s to a server that answers
// in 200 ms: nothing about the client limits this run, even on a busy
// 2-core machine (the thresholds are 25% of the median TTFT, ≈ 50 ms,
// at the 90th percentile of the lags). With a 50 ms server (a 12.5 ms
// threshold) the closed-loop half was flagged once at load 12, p90
// scheduler lag 15.4 ms, while other packages' tests ran beside it.
func TestSelfCheckPassesOrdinaryRun(t *testing.T) {
	srv := openaitest.NewServer(openaitest.Config{TTFT: 200 * time.Millisecond, TokenDelay: 5 * time.Millisecond})
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "run")
	s := openSuite()
	s.Rate, s.Requests, s.Arrival = 20, 40, workload.Poisson
	s.Profiles[0].MaxTokens = 8
	res, err := Execute(context.Background(), Config{Client: client(t, srv.URL), Model: "m", Suite: s, Dir: dir, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	cc := res.ClientCheck
	if cc == nil || cc.SchedLag == nil || cc.SendLag == nil || cc.SendLag.N != 40 || cc.CPUShare != nil || cc.EngineStallShare != nil || cc.ParseLag == nil || cc.ParseLag.N != 40 || len(cc.Phases) == 0 {
		t.Fatalf("client check incomplete: %s", describe(cc))
	}
	if len(cc.Reasons) > 0 {
		t.Errorf("ordinary run flagged: %s", describe(cc))
	}
	t.Logf("ordinary: %s", describe(cc))
	// The same server, closed loop at concurrency 1 and 4.
	cl := smallSuite()
	res, err = Execute(context.Background(), Config{Client: client(t, srv.URL), Model: "m", Suite: cl, Dir: filepath.Join(t.TempDir(), "closed"), Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if cc := res.ClientCheck; cc == nil || cc.Turnaround == nil || cc.Turnaround.N != res.Records || len(cc.Reasons) > 0 {
		t.Errorf("ordinary closed-loop run: %s", describe(cc))
	}
}

func TestSelfCheckJudge(t *testing.T) {
	sc := DefaultSelfCheck
	lag := func(p90 float64) *record.Lag { return &record.Lag{N: 100, P90: p90} }
	share := func(x float64) *float64 { return &x }
	open := func(offered, achieved float64, n, cap int) record.Phase {
		return record.Phase{Arrival: "poisson", OfferedRate: offered, AchievedRate: achieved, Requests: n, MaxConcurrency: cap}
	}
	cases := []struct {
		name   string
		c      record.ClientCheck
		phases []record.Phase
		want   []string
	}{
		{"quiet", record.ClientCheck{SchedLag: lag(0.001), SendLag: lag(0.001), MedianTTFTS: 0.05}, nil, nil},
		{"cpu", record.ClientCheck{CPUShare: share(0.95), Cores: 2, MedianTTFTS: 0.05}, nil, []string{record.ReasonCPU}},
		{"cpu below", record.ClientCheck{CPUShare: share(0.85), Cores: 2, MedianTTFTS: 0.05}, nil, nil},
		{"sched lag relative", record.ClientCheck{SchedLag: lag(0.02), MedianTTFTS: 0.05}, nil, []string{record.ReasonSchedLag}},
		{"sched lag small vs slow server", record.ClientCheck{SchedLag: lag(0.02), MedianTTFTS: 1}, nil, nil},
		{"sched lag over the ceiling", record.ClientCheck{SchedLag: lag(0.15), MedianTTFTS: 3}, nil, []string{record.ReasonSchedLag}},
		{"lag under floor", record.ClientCheck{SendLag: lag(0.009), MedianTTFTS: 0.001}, nil, nil},
		{"send lag", record.ClientCheck{SendLag: lag(0.012), MedianTTFTS: 0.001}, nil, []string{record.ReasonSendLag}},
		{"closed-loop turnaround small vs total", record.ClientCheck{Turnaround: lag(0.006), MedianTTFTS: 0.001, MedianTotalS: 1}, nil, nil},
		{"closed-loop turnaround large vs total", record.ClientCheck{Turnaround: lag(0.3), MedianTTFTS: 0.001, MedianTotalS: 1}, nil, []string{record.ReasonSendLag}},
		{"rate short", record.ClientCheck{}, []record.Phase{open(100, 90, 500, 0)}, []string{record.ReasonRate}},
		{"rate ok", record.ClientCheck{}, []record.Phase{open(100, 96, 500, 0)}, nil},
		{"rate short but capped", record.ClientCheck{}, []record.Phase{open(100, 50, 500, 8)}, nil},
		{"rate short, phase too short to tell", record.ClientCheck{}, []record.Phase{open(100, 90, 50, 0)}, nil},
		{"closed-loop phase", record.ClientCheck{}, []record.Phase{{Concurrency: 4, Requests: 500}}, nil},
		{"parse lag", record.ClientCheck{ParseLag: lag(0.03), MedianTTFTS: 0.05}, nil, []string{record.ReasonParseLag}},
		{"engine stalled", record.ClientCheck{EngineStallShare: share(0.08), MedianTTFTS: 0.05}, nil, []string{record.ReasonEngineStall}},
		{"engine stalls under the threshold", record.ClientCheck{EngineStallShare: share(0.04), MedianTTFTS: 0.05}, nil, nil},
		{"no engine", record.ClientCheck{MedianTTFTS: 0.05}, nil, nil},
		{"parse lag small vs slow server", record.ClientCheck{ParseLag: lag(0.03), MedianTTFTS: 1}, nil, nil},
		// The measured case: a saturated 32 req/s phase with median send
		// lag 112 ms while the run-wide p90 was 17 ms.
		{"one phase starved, run-wide quiet", record.ClientCheck{SendLag: lag(0.005), MedianTTFTS: 0.2,
			Phases: []record.PhaseCheck{{Index: 0, SendLag: lag(0.002), MedianTTFTS: 0.2}, {Index: 1, SendLag: &record.Lag{N: 200, P50: 0.112, P90: 0.3}, MedianTTFTS: 0.4}}},
			nil, []string{record.ReasonSendLag}},
		{"phases quiet, run-wide judged as well", record.ClientCheck{SendLag: lag(0.5), MedianTTFTS: 0.2,
			Phases: []record.PhaseCheck{{Index: 0, SendLag: lag(0.002), MedianTTFTS: 0.2}}}, nil, []string{record.ReasonSendLag}},
		{"phases too short, run-wide judged", record.ClientCheck{SendLag: lag(0.5), MedianTTFTS: 0.2,
			Phases: []record.PhaseCheck{{Index: 0, SendLag: &record.Lag{N: 19, P90: 0.5}, MedianTTFTS: 0.2}}}, nil, []string{record.ReasonSendLag}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, r := range sc.judge(&tc.c, tc.phases) {
				got = append(got, r.Code)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("reasons %v, want %v", got, tc.want)
			}
			for _, r := range sc.judge(&tc.c, tc.phases) {
				if tc.name == "one phase starved, run-wide quiet" && (r.Phase == nil || *r.Phase != 1) {
					t.Errorf("phase-local reason %+v does not name phase 1", r)
				}
			}
		})
	}
}

func describe(c *record.ClientCheck) string {
	if c == nil {
		return "no client check"
	}
	s := fmt.Sprintf("reasons %v median ttft %.4f", c.Reasons, c.MedianTTFTS)
	if c.CPUShare != nil {
		s += fmt.Sprintf(" cpu %.2f", *c.CPUShare)
	}
	if c.SchedLag != nil {
		s += fmt.Sprintf(" sched p50/p90/p99 %.4f/%.4f/%.4f", c.SchedLag.P50, c.SchedLag.P90, c.SchedLag.P99)
	}
	if c.SendLag != nil {
		s += fmt.Sprintf(" send p50/p90/p99 %.4f/%.4f/%.4f", c.SendLag.P50, c.SendLag.P90, c.SendLag.P99)
	}
	if c.ParseLag != nil {
		s += fmt.Sprintf(" read→parse p50/p90/p99 %.4f/%.4f/%.4f", c.ParseLag.P50, c.ParseLag.P90, c.ParseLag.P99)
	}
	if c.Turnaround != nil {
		s += fmt.Sprintf(" turnaround p50/p90/p99 %.4f/%.4f/%.4f", c.Turnaround.P50, c.Turnaround.P90, c.Turnaround.P99)
	}
	return s
}
