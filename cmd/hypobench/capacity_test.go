package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hypobench/hypobench/capacity"
	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/predict"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/workload"
)

// capacitySuiteJSON is one profile: 200 repetitions of "hi " (about 200
// prompt tokens) and 64 output tokens, ignoring EOS.
const capacitySuiteJSON = `{"name": "cap", "base_text": "hi ", "nonce": true, "endpoint": "completions", "ignore_eos": true,
 "profiles": [{"name": "p", "prompt_rep": 200, "max_tokens": 64}], "concurrency": [1], "requests": 1, "warmup": 2, "order": "ordered", "seed": 5}`

// Capacity test settings, in the modelled GPU's time (the live run is
// time-compressed by capSpeed: rates × capSpeed, SLOs ÷ capSpeed).
var (
	capRates = []float64{10, 12, 14, 16, 18}
	capSLO   = capacity.SLO{TTFT: 250 * time.Millisecond, TPOT: 40 * time.Millisecond, Quantile: 0.9}
)

const capSpeed = 1

// predictedCapacity runs the ladder on the engine's virtual-time core
// (package predict, open loop: Poisson arrivals at each rate) with n
// requests per rate and returns the capacity the same analysis finds.
func predictedCapacity(t *testing.T, s *workload.Suite, n int) capacity.Result {
	t.Helper()
	var rates []capacity.Rate
	for i, r := range capRates {
		ps := *s
		ps.Requests = n
		res, err := predict.Run(predict.Options{Engine: engine.Config{FrontEnd: &engine.FrontEnd{PerRequest: 200 * time.Microsecond}},
			Suite: &ps, Seed: s.Seed + uint64(i), Rate: r, Start: time.Unix(1e9, 0)})
		if err != nil {
			t.Fatal(err)
		}
		ph := res.Phases[0]
		ph.TargetRate = r
		rates = append(rates, capacity.NewRate(ph, res.Records, capSLO))
	}
	return capacity.Analyze(rand.New(rand.NewPCG(1, 2)), rates, capSLO, 1000, 0.95)
}

// TestCapacityMatchesPrediction runs `hypobench capacity` on the embedded
// engine and checks that the capacity the virtual-time core predicts for
// the same engine, workload, ladder and SLO (from 600 requests per rate,
// so its own noise is small) lies inside the live sweep's 95% interval.
func TestCapacityMatchesPrediction(t *testing.T) {
	if testing.Short() {
		t.Skip("a live capacity sweep of about half a minute")
	}
	tmp := t.TempDir()
	suiteFile := filepath.Join(tmp, "cap.json")
	if err := os.WriteFile(suiteFile, []byte(capacitySuiteJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	suite, err := workload.LoadSuite(suiteFile)
	if err != nil {
		t.Fatal(err)
	}
	pred := predictedCapacity(t, suite, 600)
	t.Logf("predicted (model time): %s", capacityLog(pred))

	t.Setenv("HYPOBENCH_TARGET", "")
	t.Setenv("HYPOBENCH_ENGINE", "")
	var rates []string
	for _, r := range capRates {
		rates = append(rates, jsonNum(r*capSpeed))
	}
	out := filepath.Join(tmp, "out")
	var stdout, stderr bytes.Buffer
	args := []string{"capacity", "--suite", suiteFile, "--speed", jsonNum(capSpeed), "--seed", "5",
		"--slo-ttft", (capSLO.TTFT / capSpeed).String(), "--slo-tpot", (capSLO.TPOT / capSpeed).String(),
		"--rates", strings.Join(rates, ","), "--duration", "8s", "--out", out, "--no-report"}
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("hypobench %v: %v\n%s", args, err, stderr.String())
	}
	dirs, _ := filepath.Glob(filepath.Join(out, "*-cap-capacity-*"))
	if len(dirs) != 1 {
		t.Fatalf("run directories %v", dirs)
	}
	b, err := os.ReadFile(filepath.Join(dirs[0], record.CapacityFile))
	if err != nil {
		t.Fatal(err)
	}
	var live capacity.Result
	if err := json.Unmarshal(b, &live); err != nil {
		t.Fatal(err)
	}
	t.Logf("live (wall time at speed %d): %s", capSpeed, capacityLog(live))
	t.Logf("stdout:\n%s", stdout.String())
	p := pred.Capacity * capSpeed
	if !live.CI.Contains(p) {
		t.Errorf("predicted capacity %.3g req/s (wall) outside the live sweep's 95%% interval [%.3g, %.3g] (estimate %.3g)", p, live.CI.Lo, live.CI.Hi, live.Capacity)
	}
	if len(live.Warnings) > 0 || len(pred.Warnings) > 0 {
		t.Errorf("the ladder does not bracket the capacity: live %v, predicted %v", live.Warnings, pred.Warnings)
	}
}

func jsonNum(x float64) string { b, _ := json.Marshal(x); return string(b) }

func capacityLog(r capacity.Result) string {
	var b strings.Builder
	for _, x := range r.Rates {
		b.WriteString("\n  ")
		b.WriteString(strings.Join([]string{"rate", jsonNum(x.Target), "attainment", jsonNum(x.Attainment), "n", jsonNum(float64(x.N)),
			"ttft p90", jsonNum(x.TTFTQ.P90), "tpot p90", jsonNum(x.TPOTQ.P90), "thr", jsonNum(x.Throughput), "send", jsonNum(x.SendRate)}, " "))
	}
	return jsonNum(r.Capacity) + " [" + jsonNum(r.CI.Lo) + ", " + jsonNum(r.CI.Hi) + "]" + b.String()
}
