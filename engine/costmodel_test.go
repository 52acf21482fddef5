package engine

import (
	"math"
	"testing"
	"time"
)

func defaultCost(t *testing.T, k Knobs) CostModel {
	t.Helper()
	g, m, err := ParseSpec(DefaultSpec)
	if err != nil {
		t.Fatal(err)
	}
	return CostModel{GPU: g, Model: m, Knobs: k}
}

func relErr(got, want time.Duration) float64 {
	return math.Abs(float64(got)/float64(want) - 1)
}

// TestDecodeStepIsWeightRead: a decode step at batch 1 on
// rtx4090:qwen2.5-7b costs weights / (bandwidth × MBU) plus the overhead.
func TestDecodeStepIsWeightRead(t *testing.T) {
	t.Parallel()
	cm := defaultCost(t, Knobs{})
	want := seconds(cm.Model.WeightBytes() / (1008e9 * MBU))
	if relErr(cm.WeightReadTime(), want) > 1e-9 {
		t.Fatalf("WeightReadTime = %v, want %v", cm.WeightReadTime(), want)
	}
	// The weights of Qwen2.5-7B in fp16 are 15.2 GB: about 18.9 ms at 806 GB/s.
	if want < 18*time.Millisecond || want > 20*time.Millisecond {
		t.Fatalf("weights/(bw×MBU) = %v, expected about 18.9 ms", want)
	}
	c := cm.Step([]SeqWork{{NewTokens: 1, Context: 100, Samples: true}})
	gpu := c.Time - c.Overhead
	if relErr(gpu, want) > 0.02 {
		t.Errorf("decode step GPU time %v, want weights/(bw×MBU) = %v within 2%%", gpu, want)
	}
	if c.Overhead != StepOverhead {
		t.Errorf("overhead %v, want %v", c.Overhead, StepOverhead)
	}
}

// TestDecodeIsMemoryBound: at small batches a decode step barely grows
// with batch size; a long prefill chunk is compute-bound and linear.
func TestDecodeIsMemoryBound(t *testing.T) {
	t.Parallel()
	cm := defaultCost(t, Knobs{})
	batch := func(n int) time.Duration {
		seqs := make([]SeqWork, n)
		for i := range seqs {
			seqs[i] = SeqWork{NewTokens: 1, Context: 200, Samples: true}
		}
		return cm.Step(seqs).Time
	}
	if r := float64(batch(16)) / float64(batch(1)); r > 1.3 {
		t.Errorf("decode step at batch 16 / batch 1 = %.2f, want < 1.3 (memory-bound)", r)
	}
	p1 := cm.Step([]SeqWork{{NewTokens: 1000, Prefill: true, Samples: true}})
	p2 := cm.Step([]SeqWork{{NewTokens: 2000, Prefill: true, Samples: true}})
	g1, g2 := p1.Time-p1.Overhead, p2.Time-p2.Overhead
	if r := float64(g2) / float64(g1); r < 1.9 || r > 2.2 {
		t.Errorf("prefill 2000/1000 tokens GPU time ratio %.2f, want about 2 (compute-bound)", r)
	}
}

func TestKnobsChangeCost(t *testing.T) {
	t.Parallel()
	decodes := func(n int) []SeqWork {
		s := make([]SeqWork, n)
		for i := range s {
			s[i] = SeqWork{NewTokens: 1, Context: 300, Samples: true}
		}
		return s
	}
	t.Run("FlatPrefill", func(t *testing.T) {
		cm := defaultCost(t, Knobs{FlatPrefill: true})
		if a, b := cm.PrefillTime(40, 2048), cm.PrefillTime(1000, 2048); a != b {
			t.Errorf("prefill of 40 and 1000 tokens: %v and %v, want equal", a, b)
		}
		if a, b := defaultCost(t, Knobs{}).PrefillTime(40, 2048), defaultCost(t, Knobs{}).PrefillTime(1000, 2048); b < 3*a {
			t.Errorf("without the knob prefill 1000 = %v, not > 3 × prefill 40 = %v", b, a)
		}
	})
	t.Run("ComputeBoundDecode", func(t *testing.T) {
		cm := defaultCost(t, Knobs{ComputeBoundDecode: true})
		one, eight := cm.Step(decodes(1)).Time-StepOverhead, cm.Step(decodes(8)).Time-StepOverhead
		if relErr(eight, 8*one) > 1e-6 {
			t.Errorf("decode batch 8 costs %v, want 8 × %v", eight, one)
		}
	})
	t.Run("FreeDecode", func(t *testing.T) {
		cm := defaultCost(t, Knobs{FreeDecode: true})
		if d := cm.Step(decodes(4)).Time; d != 0 {
			t.Errorf("decode-only step costs %v, want 0", d)
		}
		mixed := append(decodes(4), SeqWork{NewTokens: 500, Prefill: true, Samples: true})
		want := defaultCost(t, Knobs{}).Step(mixed[4:]).Time
		if got := cm.Step(mixed).Time; got != want {
			t.Errorf("mixed step costs %v, want its prefill alone %v", got, want)
		}
	})
	t.Run("UniformKernelsKeepsStepTime", func(t *testing.T) {
		a := defaultCost(t, Knobs{UniformKernels: true}).Step(decodes(3))
		b := defaultCost(t, Knobs{}).Step(decodes(3))
		if a.Time != b.Time {
			t.Errorf("UniformKernels changed the step time: %v vs %v", a.Time, b.Time)
		}
	})
}

func TestEmptyStepIsFree(t *testing.T) {
	t.Parallel()
	if c := defaultCost(t, Knobs{}).Step(nil); c.Time != 0 {
		t.Errorf("empty step costs %v", c.Time)
	}
}
