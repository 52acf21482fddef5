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
