package hypotheses_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/hypobench/hypobench/hypotheses"
	"github.com/hypobench/hypobench/kerneltrace"
	"github.com/hypobench/hypobench/record"
)

// ExampleH4Trace tests H4 on the committed kineto fixture with 20 windows
// per phase and 1000 bootstrap replicates, and turns the result into a
// verdict.
func ExampleH4Trace() {
	tr, err := kerneltrace.Load(context.Background(), "../fixtures/traces/kineto.pt.trace.json.gz", kerneltrace.FormatAuto)
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
	r := hypotheses.H4Trace(rand.New(rand.NewPCG(1, 2)), a, hypotheses.H4DefaultPrefill, hypotheses.H4DefaultDecode, 0, 1000, 0.05)
	fmt.Println("H4:", r.Outcome)
	v := hypotheses.H4(r, 1)
	for _, c := range v.Checks {
		fmt.Println(c.Name, c.Outcome)
	}
	// Output:
	// H4: pass
	// long-share pass
	// short-density pass
}
