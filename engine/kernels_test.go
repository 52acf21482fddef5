package engine

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// stepOf runs one step of the default engine on the given work.
func stepOf(t *testing.T, k Knobs, prompt int, decoders int) (stepResult, CostModel) {
	t.Helper()
	cfg, info, err := Config{Knobs: k}.resolve()
	if err != nil {
		t.Fatal(err)
	}
	c := newCoreFrom(cfg, info)
	for range decoders {
		c.add(coreRequest{PromptTokens: 50, MaxTokens: 100, IgnoreEOS: true}, 0)
	}
	now := time.Duration(0)
	if decoders > 0 {
		now = c.step(0).End() // prefill them; the next step decodes
	}
	if prompt > 0 {
		c.add(coreRequest{PromptTokens: prompt, MaxTokens: 10, IgnoreEOS: true}, now)
	}
	return c.step(now), CostModel{GPU: info.GPU, Model: info.Model, Knobs: k}
}

type kernelSummary struct {
	n        int
	longest  time.Duration
	gemmMed  time.Duration // median of the GEMMs
	total    time.Duration
	shortest time.Duration
}

func summarize(ks []kernel) kernelSummary {
	s := kernelSummary{n: len(ks), shortest: time.Hour}
	var gemms []time.Duration
	for _, k := range ks {
		s.total += k.dur
		s.longest = max(s.longest, k.dur)
		s.shortest = min(s.shortest, k.dur)
		if strings.Contains(k.name, "gemm") || strings.Contains(k.name, "gemv") {
			gemms = append(gemms, k.dur)
		}
	}
	slices.Sort(gemms)
	s.gemmMed = gemms[len(gemms)/2]
	return s
}

// TestTraceShapes: a prefill chunk shows long GEMMs, a decode step a dense
// run of short kernels; kernels fit inside their step.
func TestTraceShapes(t *testing.T) {
	t.Parallel()
	pre, cm := stepOf(t, Knobs{}, 1000, 0)
	dec, _ := stepOf(t, Knobs{}, 0, 1)
	p := summarize(stepKernels(cm, pre, false))
	d := summarize(stepKernels(cm, dec, false))
	wantN := 10*28 + 4
	if p.n != wantN || d.n != wantN {
		t.Errorf("kernels per step: prefill %d, decode %d, want %d", p.n, d.n, wantN)
	}
	for name, c := range map[string]struct {
		s   kernelSummary
		res stepResult
	}{"prefill": {p, pre}, "decode": {d, dec}} {
		if c.s.total > c.res.Dur || c.s.total < c.res.Dur-StepOverhead-time.Microsecond*10 {
			t.Errorf("%s: kernels sum to %v, step lasts %v with %v overhead", name, c.s.total, c.res.Dur, StepOverhead)
		}
	}
	if p.gemmMed < 5*d.gemmMed {
		t.Errorf("median GEMM: prefill %v, decode %v; want prefill ≥ 5×", p.gemmMed, d.gemmMed)
	}
	pDensity := float64(p.n) / pre.Dur.Seconds()
	dDensity := float64(d.n) / dec.Dur.Seconds()
	if dDensity < 3*pDensity {
		t.Errorf("kernels per second: decode %.0f, prefill %.0f; want decode ≥ 3×", dDensity, pDensity)
	}
	if d.shortest > 10*time.Microsecond {
		t.Errorf("shortest decode kernel %v, want element-wise kernels of a few µs", d.shortest)
	}
}

func TestUniformKernels(t *testing.T) {
	t.Parallel()
	pre, cm := stepOf(t, Knobs{UniformKernels: true}, 1000, 0)
	dec, _ := stepOf(t, Knobs{UniformKernels: true}, 0, 2)
	for _, step := range []stepResult{pre, dec} {
		ks := stepKernels(cm, step, true)
		var sum time.Duration
		for i, k := range ks {
			sum += k.dur
			if i < len(ks)-1 && k.dur != UniformKernelDur {
				t.Fatalf("UniformKernels: kernel %d lasts %v, want %v", i, k.dur, UniformKernelDur)
			}
		}
		if want := summarize(stepKernels(cm, step, false)).total; (sum - want).Abs() > time.Microsecond {
			t.Errorf("UniformKernels: kernels sum to %v, the step's GPU time is %v", sum, want)
		}
	}
	faithful := summarize(stepKernels(cm, pre, false))
	if faithful.longest < 10*faithful.shortest {
		t.Errorf("faithful kernels range only from %v to %v", faithful.shortest, faithful.longest)
	}
}

func TestFreeDecodeStepHasNoKernels(t *testing.T) {
	t.Parallel()
	dec, cm := stepOf(t, Knobs{FreeDecode: true}, 0, 2)
	if ks := stepKernels(cm, dec, false); len(ks) != 0 {
		t.Errorf("a zero-time decode step launched %d kernels", len(ks))
	}
}

// TestDecodeKernelMix: under the knob a prefill step and a decode step
// launch the same kernels in the same order at the same lengths (a
// one-sequence decode step's, repeated), and each still fills its GPU
// time; without it the prefill step's GEMMs are far longer.
func TestDecodeKernelMix(t *testing.T) {
	t.Parallel()
	k := Knobs{DecodeKernelMix: true}
	pre, m := stepOf(t, k, 2000, 0)
	dec, _ := stepOf(t, k, 0, 2)
	pk, dk := stepKernels(m, pre, false), stepKernels(m, dec, false)
	if len(pk) <= len(dk) {
		t.Fatalf("prefill %d kernels, decode %d: the prefill step should repeat the mix more often", len(pk), len(dk))
	}
	for i := range len(dk) - 1 { // the last decode kernel is cut to fit
		if pk[i] != dk[i] {
			t.Fatalf("kernel %d: prefill %+v, decode %+v", i, pk[i], dk[i])
		}
	}
	gpu := func(res stepResult) time.Duration {
		return time.Duration(float64(res.Dur) * float64(res.Cost.Time-res.Cost.Overhead) / float64(res.Cost.Time))
	}
	for _, c := range []struct {
		ks  []kernel
		res stepResult
	}{{pk, pre}, {dk, dec}} {
		if got, want := summarize(c.ks).total, gpu(c.res); got != want {
			t.Errorf("kernels sum to %v, the step's GPU time is %v", got, want)
		}
	}
	faithful, fm := stepOf(t, Knobs{}, 2000, 0)
	if a, b := summarize(stepKernels(fm, faithful, false)).gemmMed, summarize(pk).gemmMed; a < 3*b {
		t.Errorf("faithful prefill's median GEMM %v, decode-mix's %v: want the faithful one far longer", a, b)
	}
}

// TestSimulatorKernels: the simulator hands over every step's kernels,
// back to back, the last ending at the step's end, within the run.
func TestSimulatorKernels(t *testing.T) {
	t.Parallel()
	sim, err := NewSimulator(Config{})
	if err != nil {
		t.Fatal(err)
	}
	var steps [][]Kernel
	sim.Kernels = func(ks []Kernel) { steps = append(steps, ks) }
	_, st, err := sim.Run([]SimRequest{{PromptTokens: 300, MaxTokens: 5, IgnoreEOS: true}, {PromptTokens: 20, MaxTokens: 5, IgnoreEOS: true}}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != st.Steps {
		t.Fatalf("%d kernel batches for %d steps", len(steps), st.Steps)
	}
	var prevEnd time.Duration
	for i, ks := range steps {
		if len(ks) == 0 {
			t.Fatalf("step %d: no kernels", i)
		}
		if ks[0].Start < prevEnd {
			t.Errorf("step %d starts at %v, before the previous step's last kernel ended (%v)", i, ks[0].Start, prevEnd)
		}
		for j := 1; j < len(ks); j++ {
			if ks[j].Start != ks[j-1].Start+ks[j-1].Dur {
				t.Fatalf("step %d: kernel %d starts at %v, not at the previous one's end", i, j, ks[j].Start)
			}
		}
		prevEnd = ks[len(ks)-1].Start + ks[len(ks)-1].Dur
	}
	if prevEnd > st.Duration {
		t.Errorf("last kernel ends at %v, after the run (%v)", prevEnd, st.Duration)
	}
}
