package engine

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hypobench/hypobench/internal/testutil"
)

// publishedRun is one published vLLM serving benchmark: a
// benchmark_serving.py burst (request rate inf) of Prompts random prompts
// of 1024 tokens asking for 1024 tokens each, and what it reported.
type publishedRun struct {
	Server  string // one vLLM process: its runs replay in order on one engine
	Blocks  int    // num_gpu_blocks from the server's startup log
	Prompts int
	// Published figures: output token throughput (tok/s), mean TPOT and
	// median TTFT (ms).
	OutTput, MeanTPOT, MedianTTFT float64
	Where                         string
}

// fitting reports whether a run belongs to the set the A100's parameters
// were fixed on (the 0.5-utilisation server); the others validate them.
func (r publishedRun) fitting() bool { return r.Blocks == 29053 }

// replayed is a replay's figures, as benchmark_serving.py computes them.
type replayed struct{ OutTput, MeanTPOT, MedianTTFT float64 }

// calibrationConfig is the published servers' configuration: Qwen2-7B
// (Qwen2.5-7B's architecture) in bf16 on an A100 80GB, as logged.
func calibrationConfig(eff *Efficiency) Config {
	model := Models["qwen2.5-7b"]
	model.DType = "bf16"
	gpu := GPUs["a100-80g"]
	if eff != nil {
		gpu.Eff = eff
	}
	return Config{GPU: &gpu, Model: &model, MaxModelLen: 16384, MaxNumBatchedTokens: 2048, MaxNumSeqs: 256}
}

// replayServer replays one server's runs in order on one simulated engine
// (prefix cache carried over). Prompt i of every run is the same text,
// as benchmark_serving.py's random dataset draws the same prompts for the
// same seed; before each run the script sends prompt 0 once ("initial
// single prompt test run"). Every request runs to 1024 tokens.
func replayServer(t *testing.T, cfg Config, runs []publishedRun) []replayed {
	t.Helper()
	cfg.NumGPUBlocksOverride = runs[0].Blocks
	sim, err := NewSimulator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	prompt := func(i int) SimRequest {
		ids := make([]int, 1024)
		for k := range ids {
			ids[k] = i*1_000_003 + k
		}
		return SimRequest{PromptTokens: 1024, MaxTokens: 1024, IgnoreEOS: true, Key: uint64(i), BlockHashes: BlockHashes(ids)}
	}
	var out []replayed
	for _, r := range runs {
		if _, _, err := sim.Run([]SimRequest{prompt(0)}, 1); err != nil {
			t.Fatal(err)
		}
		reqs := make([]SimRequest, r.Prompts)
		for i := range reqs {
			reqs[i] = prompt(i)
		}
		start := sim.Now()
		res, _, err := sim.Run(reqs, 0)
		if err != nil {
			t.Fatal(err)
		}
		var end time.Duration
		var ttfts []float64
		tpot, outTok := 0.0, 0
		for _, x := range res {
			end = max(end, x.End)
			ttfts = append(ttfts, x.TTFT().Seconds()*1000)
			tpot += x.TPOT().Seconds() * 1000
			outTok += x.OutputTokens
		}
		out = append(out, replayed{OutTput: float64(outTok) / (end - start).Seconds(),
			MeanTPOT: tpot / float64(len(res)), MedianTTFT: medianOf(ttfts)})
	}
	return out
}

func medianOf(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// calibrationErrors replays every published run and returns the replays
// in a100Runs order.
func replayAll(t *testing.T, cfg Config) []replayed {
	var order []string
	groups := map[string][]int{}
	for i, r := range a100Runs {
		if _, ok := groups[r.Server]; !ok {
			order = append(order, r.Server)
		}
		groups[r.Server] = append(groups[r.Server], i)
	}
	out := make([]replayed, len(a100Runs))
	for _, s := range order {
		var runs []publishedRun
		for _, i := range groups[s] {
			runs = append(runs, a100Runs[i])
		}
		for k, g := range replayServer(t, cfg, runs) {
			out[groups[s][k]] = g
		}
	}
	return out
}

// medianErrors returns the median absolute relative errors of throughput,
// TPOT and TTFT over the runs keep selects.
func medianErrors(got []replayed, keep func(publishedRun) bool) (tput, tpot, ttft float64) {
	var a, b, c []float64
	for i, r := range a100Runs {
		if !keep(r) {
			continue
		}
		a = append(a, math.Abs(got[i].OutTput/r.OutTput-1))
		b = append(b, math.Abs(got[i].MeanTPOT/r.MeanTPOT-1))
		c = append(c, math.Abs(got[i].MedianTTFT/r.MedianTTFT-1))
	}
	return medianOf(a), medianOf(b), medianOf(c)
}

const (
	tableBegin = "<!-- calibration-table: written by TestCalibrationA100 -update -->\n"
	tableEnd   = "<!-- /calibration-table -->\n"
)

// calibrationTable renders the published-vs-predicted table.
func calibrationTable(got []replayed) string {
	var b strings.Builder
	b.WriteString("| server (set) | prompts | output tok/s published | predicted | error | mean TPOT ms published | predicted | error | median TTFT ms published | predicted | error | source |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	pct := func(p, q float64) string { return fmt.Sprintf("%+.1f%%", 100*(p/q-1)) }
	for i, r := range a100Runs {
		g := got[i]
		set := "validation"
		if r.fitting() {
			set = "fitting"
		}
		fmt.Fprintf(&b, "| %s (%s) | %d | %.1f | %.1f | %s | %.2f | %.2f | %s | %.1f | %.1f | %s | %s |\n",
			r.Server, set, r.Prompts, r.OutTput, g.OutTput, pct(g.OutTput, r.OutTput), r.MeanTPOT, g.MeanTPOT,
			pct(g.MeanTPOT, r.MeanTPOT), r.MedianTTFT, g.MedianTTFT, pct(g.MedianTTFT, r.MedianTTFT), r.Where)
	}
	for _, s := range []struct {
		name string
		keep func(publishedRun) bool
	}{
		{"validation runs", func(r publishedRun) bool { return !r.fitting() }},
		{"fitting runs", publishedRun.fitting},
		{"all runs", func(publishedRun) bool { return true }},
	} {
		a, p, f := medianErrors(got, s.keep)
		fmt.Fprintf(&b, "\nMedian absolute error, %s: output throughput %.1f%%, mean TPOT %.1f%%, median TTFT %.1f%%.\n", s.name, 100*a, 100*p, 100*f)
	}
	return b.String()
}

// TestCalibrationA100 replays the published A100 runs on the virtual-time
// core with the A100's fixed parameters and asserts issue 16's targets —
// median absolute error ≤ 10% on output throughput and mean TPOT, ≤ 25% on
// median TTFT — on the validation runs (never used to fix a parameter) and
// on all runs. The table in CALIBRATION.md is this test's output (-update
// rewrites it). A negative control shows the targets can be missed: with
// the engine-wide default efficiencies (1.5 ms per step, no per-sequence
// cost) the same replays miss the TPOT target.
func TestCalibrationA100(t *testing.T) {
	got := replayAll(t, calibrationConfig(nil))
	table := calibrationTable(got)
	t.Log("\n" + table)
	for _, s := range []struct {
		name string
		keep func(publishedRun) bool
	}{
		{"validation", func(r publishedRun) bool { return !r.fitting() }},
		{"all", func(publishedRun) bool { return true }},
	} {
		a, p, f := medianErrors(got, s.keep)
		if a > 0.10 || p > 0.10 || f > 0.25 {
			t.Errorf("%s runs: median abs error throughput %.1f%%, TPOT %.1f%%, TTFT %.1f%%; targets 10%%, 10%%, 25%%",
				s.name, 100*a, 100*p, 100*f)
		}
	}

	doc, err := os.ReadFile("CALIBRATION.md")
	if err != nil {
		t.Fatal(err)
	}
	i, j := bytes.Index(doc, []byte(tableBegin)), bytes.Index(doc, []byte(tableEnd))
	if i < 0 || j < i {
		t.Fatalf("CALIBRATION.md lacks the %q … %q markers", tableBegin, tableEnd)
	}
	current := string(doc[i+len(tableBegin) : j])
	if testutil.Update() {
		doc = append(append(append([]byte{}, doc[:i+len(tableBegin)]...), table...), doc[j:]...)
		if err := os.WriteFile("CALIBRATION.md", doc, 0o644); err != nil {
			t.Fatal(err)
		}
	} else if current != table {
		t.Errorf("CALIBRATION.md's table is stale; run go test ./engine -run TestCalibrationA100 -update")
	}

	t.Run("default efficiencies miss", func(t *testing.T) {
		def := DefaultEfficiency
		got := replayAll(t, calibrationConfig(&def))
		_, p, _ := medianErrors(got, func(publishedRun) bool { return true })
		if p <= 0.10 {
			t.Errorf("with the uncalibrated defaults the TPOT error is %.1f%%, inside the target: the check has no teeth", 100*p)
		}
		t.Logf("uncalibrated defaults: median TPOT error %.1f%%", 100*p)
	})
}
