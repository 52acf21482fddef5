package calibrate

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/hypobench/hypobench/compare"
)

// TestGateDetectionCurve measures, on request, the gate's fail rate
// against the true TTFT p50 change for several numbers of interleaved
// rounds, interleaved ABBA and sequential (the calibration's design and
// noise otherwise), and so the
// smallest regression it detects reliably (fail rate ≥ 0.9) with the
// default 5% budget and 90% interval. HYPOBENCH_CALIB_CURVE=1 runs it;
// HYPOBENCH_CALIB_SESSIONS sets the sessions per point (1000).
//
//	HYPOBENCH_CALIB_CURVE=1 go test ./calibrate -run TestGateDetectionCurve -v -timeout 30m
func TestGateDetectionCurve(t *testing.T) {
	if os.Getenv("HYPOBENCH_CALIB_CURVE") == "" {
		t.Skip("HYPOBENCH_CALIB_CURVE is not set: the detection curve is measured only when asked")
	}
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("HYPOBENCH_CALIB_SESSIONS")); err == nil && v > 0 {
		n = v
	}
	changes := []float64{0, 0.05, 0.075, 0.10, 0.15, 0.20, 0.30}
	// ABBA interleaving at several round counts, and sequential
	// (unpaired) rounds, where each run draws its own level.
	layoutRounds := []struct {
		layout Layout
		rounds int
	}{{ABBA, 2}, {ABBA, 4}, {ABBA, 8}, {ABBA, 16}, {Sequential, 4}, {Sequential, 16}}
	d := gateDesign(t, 16)
	type pt struct{ k, truth float64 }
	var pts []pt
	for _, c := range changes {
		if c == 0 {
			pts = append(pts, pt{1, 1})
			continue
		}
		k, truth, err := Tune(d, compare.TTFT, 0.5, 1+c)
		if err != nil {
			t.Fatal(err)
		}
		pts = append(pts, pt{k, truth})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "fail rate (pass rate) of %d sessions per cell; coverage of the truth in the last column\n%-10s", n, "rounds")
	for _, p := range pts {
		fmt.Fprintf(&b, " %14s", fmt.Sprintf("+%.1f%%", (p.truth-1)*100))
	}
	b.WriteString("\n")
	for _, lr := range layoutRounds {
		d.Layout, d.Rounds = lr.layout, lr.rounds
		r := lr.rounds
		fmt.Fprintf(&b, "%-10s", fmt.Sprintf("%d %s", r, lr.layout))
		smallest, cover := "none", ""
		for i, p := range pts {
			sim, err := NewGateSim(d, p.k)
			if err != nil {
				t.Fatal(err)
			}
			rt, err := sim.Run(n, calibSeed+uint64(100*r+i), compare.Options{}, compare.TTFT, 0.5, p.truth)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, " %14s", fmt.Sprintf("%.3f (%.3f)", rt.FailRate(), rt.PassRate()))
			cover += fmt.Sprintf(" %.3f", rt.Coverage())
			if smallest == "none" && rt.FailRate() >= 0.9 {
				smallest = fmt.Sprintf("+%.1f%%", (p.truth-1)*100)
			}
		}
		fmt.Fprintf(&b, "   smallest reliably detected: %s; coverage%s\n", smallest, cover)
	}
	t.Log("\n" + b.String())
}
