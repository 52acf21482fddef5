package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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
 "profiles": [{"name": "p", "prompt_rep": 200, "max_tokens": 64}], "concurrency": [1], "requests": 1, "warmup": 2, "order": "ordered", "seed": 194}`

// Capacity test settings, in the modelled GPU's time (the live run is
// time-compressed by capSpeed: rates × capSpeed, SLOs ÷ capSpeed).
var (
	capRates = []float64{12, 15, 18, 21, 24}
	capSLO   = capacity.SLO{TTFT: 500 * time.Millisecond, TPOT: 45 * time.Millisecond, Quantile: 0.9}
)

const (
	capSpeed    = 1
	capDuration = 6 * time.Second
)

// predictedCapacity runs the sweep's suite — the same open-loop phases,
// schedules drawn from the same seed — on the engine's virtual-time core
// (package predict) for the GPU:model spec and returns the capacity the
// same analysis finds, in model time.
func predictedCapacity(t *testing.T, s *workload.Suite, spec string) capacity.Result {
	t.Helper()
	ps := *s
	if err := capacitySuite(&ps, "", capRates, "poisson", 0, capDuration, 0, 0); err != nil {
		t.Fatal(err)
	}
	res, err := predict.Run(predict.Options{Engine: engine.Config{Spec: spec, FrontEnd: &engine.FrontEnd{PerRequest: 200 * time.Microsecond}},
		Suite: &ps, Seed: s.Seed, Start: time.Unix(1e9, 0)})
	if err != nil {
		t.Fatal(err)
	}
	return capacity.Analyze(rand.New(rand.NewPCG(1, 2)), capacity.Rates(res.Phases, res.Records, capSLO), capSLO, 1000, 0.95)
}

// TestCapacityMatchesPrediction runs `hypobench capacity` on the embedded
// engine (rtx4090:qwen2.5-7b, speed 1, Poisson arrivals at 12–24 req/s,
// 6 s per rate; the seed is one whose schedules offer within 3% of each
// target) with an SLO on the 90th percentile — TTFT from due ≤ 500 ms and
// TPOT ≤ 45 ms for 90% of requests — and checks that the capacity the
// virtual-time core predicts for the same engine, workload, ladder, seed
// and SLO lies inside the live sweep's 95% interval. As a negative control
// the same prediction on an h100-sxm must lie outside it.
//
// A tail quantile measures the host's stalls wherever its bound sits in
// the latencies the host's jitter moves. The bounds are therefore set
// where only the server's saturation crosses them: below the knee
// (18 req/s) the p90 TTFT is about 0.15 s against 0.5 s and the p90 TPOT
// 39 ms against 45 ms, one tested rate above it (21) the p90 TPOT is 67 ms
// as the batch outgrows the GPU — the estimate is then the engine's
// throughput knee, which tens of milliseconds of host jitter do not move.
// Neither a simulated-time analysis nor leaving stalled requests out is
// used: at speed 1 the simulated view is the wall clock, and the engine's
// virtual time itself holds the stalls its loop could not absorb (a step
// that starts more than 20 ms late is placed at the wall clock), so it
// cannot take them out; and the engine accounts for its stalls as a total
// (engine.Server.HostStalls), not per request, while a stall also delays
// the requests after it through the backlog it leaves. Instead a sweep
// whose engine lost more than 3% of its virtual time to host stalls — the
// self-check's engine_stall reason, which every embedded-engine run now
// records — or whose client check bears on the estimate is run again,
// once, then skipped.
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
	pred := predictedCapacity(t, suite, engine.DefaultSpec)
	t.Logf("predicted (model time): %s", capacityLog(pred))
	// The negative control: the same workload predicted on a faster GPU.
	wrong := predictedCapacity(t, suite, "h100-sxm:qwen2.5-7b")
	t.Logf("predicted on h100-sxm (negative control): %s", capacityLog(wrong))

	t.Setenv("HYPOBENCH_TARGET", "")
	t.Setenv("HYPOBENCH_ENGINE", "")
	var rates []string
	for _, r := range capRates {
		rates = append(rates, jsonNum(r*capSpeed))
	}
	// A sweep the client check flags measured the machine's load, not the
	// engine (the engine shares the process): it is run again, once.
	var dir string
	var stdout bytes.Buffer
	for try := range 2 {
		out := filepath.Join(tmp, fmt.Sprint("out", try))
		var stderr bytes.Buffer
		stdout.Reset()
		args := []string{"capacity", "--suite", suiteFile, "--speed", jsonNum(capSpeed), "--seed", "194", "--quantile", jsonNum(capSLO.Quantile),
			"--slo-ttft", (capSLO.TTFT / capSpeed).String(), "--slo-tpot", (capSLO.TPOT / capSpeed).String(),
			"--rates", strings.Join(rates, ","), "--duration", capDuration.String(), "--out", out, "--no-report"}
		if err := run(context.Background(), args, &stdout, &stderr); err != nil {
			t.Fatalf("hypobench %v: %v\n%s", args, err, stderr.String())
		}
		dirs, _ := filepath.Glob(filepath.Join(out, "*-cap-capacity-*"))
		if len(dirs) != 1 {
			t.Fatalf("run directories %v", dirs)
		}
		dir = dirs[0]
		rc, err := record.ReadConfig(filepath.Join(dir, record.ConfigFile))
		if err != nil {
			t.Fatal(err)
		}
		// Only the reasons that bear on the estimate (run-wide ones and
		// those of phases at or below the knee's failing rate) call for a
		// rerun: a client starved at the saturated rates moves nothing.
		var est capacity.Result
		if b, err := os.ReadFile(filepath.Join(dir, record.CapacityFile)); err != nil || json.Unmarshal(b, &est) != nil {
			t.Fatalf("reading %s: %v", record.CapacityFile, err)
		}
		if len(rc.ClientLimited()) > len(est.ClientLimited) {
			t.Logf("sweep %d: client reasons at saturated rates, not bearing on the estimate: %v", try+1, rc.ClientLimited())
		}
		// The engine shares the client's process: a loaded host slows the
		// server too, which the client check does not judge (seen: live
		// 17.0 [16.6, 18.6] against a predicted 20.0 [19.3, 21.9] at load
		// 12–14, no client reason).
		stalled := est.EngineStallShare != nil && *est.EngineStallShare > maxStallShare
		if est.EngineStallShare != nil {
			t.Logf("sweep %d: the engine lost %.2f%% of its virtual time to host stalls", try+1, 100**est.EngineStallShare)
		}
		if len(est.ClientLimited) == 0 && !stalled {
			break
		}
		t.Logf("sweep %d flagged: client check %v, engine stalled %v; its estimate, not judged: %.4g [%.4g, %.4g]",
			try+1, est.ClientLimited, stalled, est.Capacity, est.CI.Lo, est.CI.Hi)
		if try == 1 {
			t.Skipf("the machine limited both sweeps (client check: %v, engine stalled %v); no agreement can be judged", est.ClientLimited, stalled)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, record.CapacityFile))
	if err != nil {
		t.Fatal(err)
	}
	var live capacity.Result
	if err := json.Unmarshal(b, &live); err != nil {
		t.Fatal(err)
	}
	t.Logf("live (wall time at speed %d): %s", capSpeed, capacityLog(live))
	t.Logf("stdout:\n%s", stdout.String())
	// Agreement: the predicted capacity lies inside the live sweep's 95%
	// interval. Wall time = model time / capSpeed, so rates scale by
	// capSpeed.
	inside := func(p capacity.Result) bool {
		return live.CI.Lo <= p.Capacity*capSpeed && p.Capacity*capSpeed <= live.CI.Hi
	}
	if !inside(pred) {
		t.Errorf("predicted capacity %.3g req/s (wall) lies outside the live sweep's interval: %.3g [%.3g, %.3g]",
			pred.Capacity*capSpeed, live.Capacity, live.CI.Lo, live.CI.Hi)
	}
	if inside(wrong) {
		t.Errorf("negative control: the h100-sxm prediction %.3g lies inside the live rtx4090 sweep's interval [%.3g, %.3g]",
			wrong.Capacity*capSpeed, live.CI.Lo, live.CI.Hi)
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

// TestWarnEngineStall: a run the self-check flagged for the engine's
// host stalls says so as the machine's doing, not the client's.
func TestWarnEngineStall(t *testing.T) {
	var b bytes.Buffer
	warnClientLimited(&b, &record.ClientCheck{Reasons: []record.ClientReason{
		{Code: record.ReasonEngineStall, Detail: "the in-process engine lost 8.0% of the run's virtual time to host stalls"},
		{Code: record.ReasonSendLag, Detail: "p90 client send lag 40 ms > 12 ms"}}})
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "the machine stalled the in-process engine (engine_stall)") ||
		!strings.Contains(lines[1], "the client may have limited this run (send_lag)") {
		t.Errorf("warnings:\n%s", b.String())
	}
}
