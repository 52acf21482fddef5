package calibrate

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/hypobench/hypobench/compare"
	"github.com/hypobench/hypobench/engine"
)

func TestBounds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		got, ref float64
	}{
		// 0 of n: the one-sided upper bound is 1 − (1 − level)^(1/n).
		{"upper 0/10", UpperBound(0, 10, 0.95), 1 - math.Pow(0.05, 0.1)},
		// n of n: the lower bound is (1 − level)^(1/n).
		{"lower 10/10", LowerBound(10, 10, 0.95), math.Pow(0.05, 0.1)},
		// The p at which P(X ≤ 200 | n = 4000, p) = 0.05, by bisection on
		// the exact binomial CDF (a Python one-liner with lgamma).
		{"upper 200/4000", UpperBound(200, 4000, 0.95), 0.056041977},
		{"upper 4000/4000", UpperBound(4000, 4000, 0.95), 1},
		{"lower 0/4000", LowerBound(0, 4000, 0.95), 0},
	} {
		if math.Abs(tc.got-tc.ref) > 2e-6 {
			t.Errorf("%s = %.8f, want %.8f", tc.name, tc.got, tc.ref)
		}
	}
}

func TestSlower(t *testing.T) {
	t.Parallel()
	base, _, err := engine.ParseSpec(engine.DefaultSpec)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Slower(engine.Config{}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.GPU.BandwidthGBs != base.BandwidthGBs/2 || cfg.GPU.PeakTFLOPs["fp16"] != base.PeakTFLOPs["fp16"]/2 {
		t.Errorf("slowed GPU %+v, want half of %+v", cfg.GPU, base)
	}
	if again, _, _ := engine.ParseSpec(engine.DefaultSpec); again.PeakTFLOPs["fp16"] != base.PeakTFLOPs["fp16"] {
		t.Error("Slower changed the built-in profile")
	}
	if _, err := Slower(engine.Config{}, 0); err == nil {
		t.Error("slowdown 0 accepted")
	}
}

func TestTuneAndSession(t *testing.T) {
	d := gateDesign(t, 3)
	d.Pool = 4
	k, truth, err := Tune(d, compare.TTFT, 0.5, 1.05)
	if err != nil {
		t.Fatal(err)
	}
	// The GPU is slowed down by more than 5%: step overheads and the
	// front-end do not slow down with it.
	if math.Abs(truth-1.05) > 1e-6 || !(k > 1.05) {
		t.Errorf("Tune: k %.6f truth %.9f, want truth 1.05 at k > 1.05", k, truth)
	}
	if _, _, err := Tune(d, compare.TTFT, 0.5, 5); !errors.Is(err, ErrDesign) {
		t.Errorf("an unreachable target: %v, want ErrDesign", err)
	}
	for _, layout := range []Layout{ABBA, ABAB, Sequential} {
		d.Layout = layout
		g, err := NewGateSim(d, 1)
		if err != nil {
			t.Fatal(err)
		}
		base, cand := g.Session(rand.New(rand.NewPCG(1, 2)))
		if len(base) != 3*32 || len(cand) != 3*32 {
			t.Fatalf("%s: %d and %d records, want 96 each", layout, len(base), len(cand))
		}
		rep := compare.Compare(base, cand, compare.Options{Metrics: []compare.Metric{compare.TTFT}, Quantiles: []float64{0.5}})
		want := compare.Interleaved
		if layout == Sequential {
			want = compare.Unpaired
		}
		if got := rep.Checks[0].Design; got != want {
			t.Errorf("%s: design %s, want %s", layout, got, want)
		}
		// ABBA: round 2 runs B before A.
		if layout == ABBA && !(cand[32].StartUnixNs < base[32].StartUnixNs && base[0].StartUnixNs < cand[0].StartUnixNs) {
			t.Errorf("ABBA: round starts base %d/%d, new %d/%d", base[0].StartUnixNs, base[32].StartUnixNs, cand[0].StartUnixNs, cand[32].StartUnixNs)
		}
	}
	if _, err := NewGateSim(GateDesign{}, 1); !errors.Is(err, ErrDesign) {
		t.Errorf("empty design: %v, want ErrDesign", err)
	}
}
