package kerneltrace_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/hypobench/hypobench/kerneltrace"
	"github.com/hypobench/hypobench/record"
)

// Example loads the kineto fixture, cuts it by the run's phases and tests
// H4 with 20 windows per phase and 1000 bootstrap replicates.
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
	r := kerneltrace.H4(rand.New(rand.NewPCG(1, 2)), a, kerneltrace.DefaultPrefill, kerneltrace.DefaultDecode, 0, 1000, 0.05)
	fmt.Println("H4:", r.Outcome)
	// Output:
	// 1311 kernels, 91 outside every phase, long ≥ 63.6µs (otsu-log10)
	// short_short long share 0.47, short kernels 2.17/ms
	// short_long  long share 0.13, short kernels 3.52/ms
	// long_short  long share 0.96, short kernels 0.99/ms
	// long_long   long share 0.92, short kernels 1.85/ms
	// H4: pass
}
