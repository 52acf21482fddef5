package calibrate

import (
	"fmt"

	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/kerneltrace"
	"github.com/hypobench/hypobench/predict"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/workload"
)

// KernelTrace runs the suite on the engine in virtual time (predict.Run)
// and returns the kernel trace its profiler would have written — every
// step's kernels from the engine's kernel generator, on the virtual clock
// with the Unix epoch as its base, warm-up included — and the run's
// phases, ready for kerneltrace.Analyze. It is the embedded engine's
// H4 trace without the real-time loop: milliseconds instead of the run's
// wall time, and the same kernels.
func KernelTrace(cfg engine.Config, s *workload.Suite) (*kerneltrace.Trace, []record.Phase, error) {
	var evs []kerneltrace.Event
	res, err := predict.Run(predict.Options{Engine: cfg, Suite: s, Seed: s.Seed, Kernels: func(ks []engine.Kernel) {
		for _, k := range ks {
			evs = append(evs, kerneltrace.Event{Start: int64(k.Start), Dur: k.Dur, Name: k.Name, Stream: 7})
		}
	}})
	if err != nil {
		return nil, nil, fmt.Errorf("kernel trace of %q: %w", s.Name, err)
	}
	tr := &kerneltrace.Trace{Path: fmt.Sprintf("virtual-time trace of %s on %s", s.Name, res.Engine.GPU.Name+":"+res.Engine.Model.Name), Format: kerneltrace.FormatKineto,
		Events: evs, HasBase: true, BaseSource: "virtual clock (Unix epoch)"}
	return tr, res.Phases, nil
}
