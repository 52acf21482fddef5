package kerneltrace_test

import (
	"context"
	"fmt"

	"github.com/hypobench/hypobench/kerneltrace"
	"github.com/hypobench/hypobench/record"
)

// Example loads the kineto fixture, cuts it by the run's phases and prints
// the per-phase statistics H4 is decided on (hypotheses.H4Trace).
func Example() {
	ctx := context.Background()
	tr, err := kerneltrace.Load(ctx, "../fixtures/traces/kineto.pt.trace.json.gz", kerneltrace.FormatAuto)
	if err != nil {
		panic(err)
	}
	phases, _, err := record.ReadPhases("../fixtures/traces/phases.jsonl")
	if err != nil {
		panic(err)
	}
	a, err := kerneltrace.Analyze(tr, phases, kerneltrace.Options{})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d kernels, %d outside every phase, long ≥ %v (%s)\n", a.Kernels, a.Outside, a.Threshold.Value, a.Threshold.Method)
	for _, p := range a.Phases {
		fmt.Printf("%-11s long share %.2f, short kernels %.2f/ms\n", p.Profile, p.LongShare, p.ShortDensity)
	}
	// Output:
	// 1311 kernels, 91 outside every phase, long ≥ 63.6µs (otsu-log10)
	// short_short long share 0.47, short kernels 37.88/ms
	// short_long  long share 0.13, short kernels 72.18/ms
	// long_short  long share 0.96, short kernels 1.69/ms
	// long_long   long share 0.92, short kernels 5.70/ms
}
