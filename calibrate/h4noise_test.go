package calibrate

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/kerneltrace"
	"github.com/hypobench/hypobench/workload"
)

// TestKernelNoiseMeanOne: every factor of the noise is mean-one, so over
// many phases the window sums average to the mix and the pooled ratios
// are the mix's true statistics; a noiseless draw is the mix itself.
func TestKernelNoiseMeanOne(t *testing.T) {
	t.Parallel()
	mix := PhaseMix{Long: 40, Short: 45, BlockNs: 400e3, ShortNs: 20e3}
	nz := KernelNoise{Composition: 0.3, Clock: 0.1, Rho: 0.5, Drift: 0.2, PhaseLevel: 0.05}
	rng := rand.New(rand.NewPCG(1, 2))
	var tot kerneltrace.WindowSums
	for range 4000 {
		ws, err := nz.Windows(rng, mix, 20)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range ws {
			tot.KernelTime += w.KernelTime
			tot.LongTime += w.LongTime
			tot.Long += w.Long
			tot.Short += w.Short
		}
	}
	got := MixOf(tot, 4000*20)
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"long", got.Long, mix.Long}, {"short", got.Short, mix.Short}, {"mean block", got.MeanBlock(), mix.MeanBlock()}, {"density", got.Density(), mix.Density()}} {
		if math.Abs(c.got/c.want-1) > 0.01 {
			t.Errorf("%s: %.4g over 4000 phases, want %.4g within 1%%", c.name, c.got, c.want)
		}
	}
	ws, err := KernelNoise{}.Windows(rng, PhaseMix{Long: 1e6, Short: 1e6, BlockNs: 100, ShortNs: 10}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if m := MixOf(ws[0], 1); math.Abs(m.BlockNs/100-1) > 1e-12 || math.Abs(m.ShortNs/10-1) > 1e-12 {
		t.Errorf("noiseless window %+v, want block 100 ns and 10 ns per fragment", m)
	}
	if _, err := nz.Windows(rng, PhaseMix{Long: 1, Short: 0, BlockNs: 1}, 5); !errors.Is(err, ErrDesign) {
		t.Errorf("a mix without fragments: %v, want ErrDesign", err)
	}
}

// TestKernelTrace: the virtual-time trace has an absolute base and cuts
// into the suite's phases, each with kernels (steps' layout is
// engine.TestSimulatorKernels'), and the long_short phase's GEMMs are on average at least 30% longer than the short_long
// phase's.
func TestKernelTrace(t *testing.T) {
	t.Parallel()
	s := &workload.Suite{Name: "kt", BaseText: "hello ", Endpoint: "completions", IgnoreEOS: true,
		Profiles:    []workload.Profile{{Name: "short_long", PromptRep: 10, MaxTokens: 16}, {Name: "long_short", PromptRep: 600, MaxTokens: 2}},
		Concurrency: []int{2}, Requests: 4, Order: workload.Ordered, Seed: 1}
	tr, phases, err := KernelTrace(engine.Config{}, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(phases) != 2 || !tr.HasBase || len(tr.Events) == 0 {
		t.Fatalf("%d phases, base %v, %d kernels", len(phases), tr.HasBase, len(tr.Events))
	}
	a, err := kerneltrace.Analyze(tr, phases, kerneltrace.DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	gemm := map[string]float64{}
	for _, p := range a.Phases {
		if p.Kernels == 0 {
			t.Fatalf("phase %s has no kernels", p.Profile)
		}
		gemm[p.Profile] = float64(p.ClassTime[kerneltrace.ClassGEMM])
		var n int
		for _, e := range p.Events {
			if kerneltrace.Classify(e.Name) == kerneltrace.ClassGEMM {
				n++
			}
		}
		gemm[p.Profile] /= float64(n)
	}
	if gemm["long_short"] < 1.3*gemm["short_long"] {
		t.Errorf("mean GEMM %v ns in long_short, %v in short_long: want prefill GEMMs 30%% longer or more", gemm["long_short"], gemm["short_long"])
	}
}
