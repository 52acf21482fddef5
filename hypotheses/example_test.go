package hypotheses_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/hypobench/hypobench/hypotheses"
	"github.com/hypobench/hypobench/kerneltrace"
)

// ExampleH4Trace tests H4 on the committed Nsight Systems export, whose
// NVTX ranges name the phases, with a stated 100µs long-kernel threshold,
// 20 windows per phase and 1000 bootstrap replicates, and turns the result
// into a verdict.
func ExampleH4Trace() {
	tr, err := kerneltrace.Load(context.Background(), "../fixtures/traces/nsys.sqlite", kerneltrace.FormatSQLite)
	if err != nil {
		panic(err)
	}
	a, err := kerneltrace.Analyze(tr, nil, kerneltrace.Options{Threshold: 100 * time.Microsecond})
	if err != nil {
		panic(err)
	}
	fmt.Println("phases aligned by", a.Alignment)
	r := hypotheses.H4Trace(rand.New(rand.NewPCG(1, 2)), a, hypotheses.H4DefaultPrefill, hypotheses.H4DefaultDecode, 0, 1000, 0.05)
	fmt.Println("H4:", r.Outcome)
	v := hypotheses.H4(r, 1)
	for _, c := range v.Checks {
		fmt.Println(c.Name, c.Outcome)
	}
	// Output:
	// phases aligned by nvtx
	// H4: pass
	// long-blocks pass
	// short-density pass
}
