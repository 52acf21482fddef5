package report

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hypobench/hypobench/capacity"
	"github.com/hypobench/hypobench/record"
)

// writeOpenRun writes an open-loop run directory: two Poisson phases at 5
// and 10 req/s, 40 requests each, in-flight concurrency varying per
// record, and a config.json whose client check flagged the run.
func writeOpenRun(t *testing.T, dir string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(4, 5))
	reqs, err := record.OpenAppend(filepath.Join(dir, record.RequestsFile))
	if err != nil {
		t.Fatal(err)
	}
	phases, err := record.OpenAppend(filepath.Join(dir, record.PhasesFile))
	if err != nil {
		t.Fatal(err)
	}
	start := int64(1.7e18)
	n := 0
	for i, rate := range []float64{5, 10} {
		ph := record.Phase{Index: i, Suite: "s", Profile: "p", Requests: 40, StartUnixNs: start, Status: record.StatusComplete,
			Arrival: "poisson", TargetRate: rate, OfferedRate: rate, AchievedRate: rate * 0.99, SendLag: &record.Lag{N: 40, P50: 0.001, P99: 0.01, Max: 0.02}}
		at := start
		for k := range 40 {
			n++
			at += int64(rng.ExpFloat64() / rate * 1e9)
			lag := 0.001 * float64(i+1)
			ttft := 0.05 + 0.01*rate*rng.Float64()
			total := ttft + 0.2
			r := record.Record{ID: record.RequestID(n), Profile: "p", Concurrency: 1 + k%5, RunID: "r", Suite: "s", Phase: i, Seq: k,
				TTFT: record.F(ttft), Total: total, E2E: record.F(total), TPOT: record.F(0.01), OutputTokens: record.I(21), OutputChunks: 21,
				Queue: lag, IntendedUnixNs: at, StartUnixNs: at + int64(lag*1e9), EndUnixNs: at + int64((lag+total)*1e9),
				TTFTIntended: record.F(lag + ttft), TotalIntended: record.F(lag + total), TargetRate: rate, HTTPStatus: 200, Endpoint: "completions"}
			if err := reqs.Write(&r); err != nil {
				t.Fatal(err)
			}
			ph.EndUnixNs = r.EndUnixNs
		}
		if err := phases.Write(ph); err != nil {
			t.Fatal(err)
		}
		start = ph.EndUnixNs + 1e9
	}
	if err := reqs.Close(); err != nil {
		t.Fatal(err)
	}
	if err := phases.Close(); err != nil {
		t.Fatal(err)
	}
	rc := &record.RunConfig{RunID: "r", Status: record.StatusComplete, Suite: json.RawMessage(`"s"`), ClientCheck: &record.ClientCheck{
		Reasons: []record.ClientReason{{Code: record.ReasonSendLag, Detail: "p90 client send lag 40 ms > 12 ms"}}, Cores: 2,
		SchedLag: &record.Lag{N: 10, P90: 0.001}, SendLag: &record.Lag{N: 80, P90: 0.04}, MedianTTFTS: 0.05, Thresholds: "test",
		ParseLag: &record.Lag{N: 80, P90: 0.0002}, Phases: []record.PhaseCheck{{Index: 1, TargetRate: 10, SendLag: &record.Lag{N: 40, P90: 0.07}, MedianTTFTS: 0.06}},
		EngineStallShare: record.F(0.0123)}}
	if err := record.WriteConfig(dir, rc); err != nil {
		t.Fatal(err)
	}
}

func TestBuildOpenLoopRun(t *testing.T) {
	dir := t.TempDir()
	writeOpenRun(t, dir)
	slo := capacity.SLO{TTFT: 100 * time.Millisecond, Quantile: 0.9}
	recs, _, _ := record.ReadRecords(filepath.Join(dir, record.RequestsFile))
	phases, _, _ := record.ReadPhases(filepath.Join(dir, record.PhasesFile))
	est := capacity.Analyze(rand.New(rand.NewPCG(1, 1)), capacity.Rates(phases, recs, slo), slo, 200, 0.95)
	b, _ := json.Marshal(est)
	if err := os.WriteFile(filepath.Join(dir, record.CapacityFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	built, err := Build(dir, Options{SLO: SLO{TTFT: 100 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	gs := built.Summary.Groups
	if len(gs) != 2 || gs[0].Rate != 5 || gs[1].Rate != 10 || gs[0].Concurrency != 0 || gs[0].N != 40 {
		t.Fatalf("groups: %+v", gs)
	}
	if gs[1].SendLag == nil || gs[1].TTFTFromDue == nil || *gs[1].SendLag.P50.Value != 0.002 {
		t.Errorf("open-loop dists: %+v", gs[1])
	}
	md, _ := os.ReadFile(filepath.Join(dir, record.SummaryMDFile))
	page, _ := os.ReadFile(filepath.Join(dir, record.HTMLFile))
	for _, want := range []string{"## Client self-check", "LIMITED BY THE CLIENT", "send_lag: p90 client send lag 40 ms", "## Open-loop phases", "## Capacity", "| p | 5 req/s | 40 |",
		"read→parse delay (per-request mean): p50 0 ms, p90 0.2 ms", "client send lag, phase 1 (10 req/s, median TTFT 60 ms): p50 0 ms, p90 70 ms",
		"in-process engine: 1.23% of the run's virtual time lost to host stalls"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("summary.md lacks %q", want)
		}
	}
	for _, want := range []string{"LIMITED BY THE CLIENT", "openloop-ttft-vs-rate", "capacity-goodput", "capacity-latency", "5 req/s"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	for _, f := range []string{"openloop-ttft-vs-rate.svg", "capacity-goodput.png", "capacity-latency.svg", "ttft_vs_concurrency_s.png"} {
		if _, err := os.Stat(filepath.Join(dir, record.PlotsDir, f)); err != nil {
			t.Errorf("plot %s: %v", f, err)
		}
	}
}

// TestOpenLoopRatesInSimulatedTime: an embedded run at speed 10 shown in
// simulated time gives its open-loop rates per simulated second (a run at
// speed S offers R/S requests per simulated second) in the groups, the
// open-loop table and the plot axis, while the capacity section says it is
// wall-clock and restates the capacity ÷ 10. With --wall-clock every rate
// is the wall-clock one.
func TestOpenLoopRatesInSimulatedTime(t *testing.T) {
	dir := t.TempDir()
	writeOpenRun(t, dir)
	rc, err := record.ReadConfig(filepath.Join(dir, record.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	rc.Meta = map[string]json.RawMessage{"target": json.RawMessage(`"embedded"`),
		"engine": json.RawMessage(`{"gpu":{"name":"rtx4090"},"model":{"name":"qwen2.5-7b"},"speed":10}`)}
	if err := record.WriteConfig(dir, rc); err != nil {
		t.Fatal(err)
	}
	slo := capacity.SLO{TTFT: 100 * time.Millisecond, Quantile: 0.9}
	recs, _, _ := record.ReadRecords(filepath.Join(dir, record.RequestsFile))
	phases, _, _ := record.ReadPhases(filepath.Join(dir, record.PhasesFile))
	est := capacity.Analyze(rand.New(rand.NewPCG(1, 1)), capacity.Rates(phases, recs, slo), slo, 200, 0.95)
	est.InTimeOf(10)
	stall := 0.0125
	est.EngineStallShare = &stall
	b, _ := json.Marshal(est)
	if err := os.WriteFile(filepath.Join(dir, record.CapacityFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, wall := range []bool{false, true} {
		built, err := Build(dir, Options{WallClock: wall})
		if err != nil {
			t.Fatal(err)
		}
		gs := built.Summary.Groups
		want := []float64{0.5, 1}
		if wall {
			want = []float64{0, 0} // shown as Rate
		}
		if len(gs) != 2 || gs[0].Rate != 5 || gs[1].Rate != 10 || gs[0].RateShown != want[0] || gs[1].RateShown != want[1] {
			t.Fatalf("wall %v: groups' rates %v/%v shown %v/%v, want 5/10 shown %v", wall, gs[0].Rate, gs[1].Rate, gs[0].RateShown, gs[1].RateShown, want)
		}
		md, _ := os.ReadFile(filepath.Join(dir, record.SummaryMDFile))
		wants := []string{"| p | 0.5 req/s | 40 |", "Rates in requests per simulated second", "| 0 | p | poisson | 0.5 | 0.5 | 0.495 |", "compressed ×10",
			"This section is in **wall-clock** time", "lost 1.25% of the sweep's virtual time to host stalls", fmt.Sprintf("Per simulated (modelled GPU) second the capacity is **%.4g requests/s**", est.Capacity/10)}
		if wall {
			wants = []string{"| p | 5 req/s | 40 |", "| 0 | p | poisson | 5 | 5 | 4.95 |", "This section is in **wall-clock** time"}
		}
		for _, w := range wants {
			if !strings.Contains(string(md), w) {
				t.Errorf("wall %v: summary.md lacks %q", wall, w)
			}
		}
	}
}
