package calibrate

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/hypobench/hypobench/kerneltrace"
)

// PhaseMix is one phase's kernel stream in expectation: per window, the
// mean number of long blocks and short fragments, the mean long-block
// duration and the mean kernel time per short fragment (fragments and
// kernels of no class together), in ns.
type PhaseMix struct {
	Long, Short      float64
	BlockNs, ShortNs float64
}

// MixOf is the PhaseMix of windows' totals spread evenly over n windows.
func MixOf(total kerneltrace.WindowSums, n int) PhaseMix {
	return PhaseMix{Long: total.Long / float64(n), Short: total.Short / float64(n),
		BlockNs: total.LongTime / total.Long, ShortNs: (total.KernelTime - total.LongTime) / total.Short}
}

// MeanBlock and Density are the mix's true H4 statistics: the mean
// long-block duration (ns) and short fragments per ms of kernel time.
func (m PhaseMix) MeanBlock() float64 { return m.BlockNs }

// Density is short fragments per ms of kernel time.
func (m PhaseMix) Density() float64 {
	return m.Short / ((m.Long*m.BlockNs + m.Short*m.ShortNs) / 1e6)
}

// KernelNoise is the noise model H4's calibration lays over a phase's
// kernel stream, window by window. Every factor is mean-one log-normal,
// so the expected sums — and the true ratios of them — are the mix's.
type KernelNoise struct {
	// Composition is the log-sd of a per-window factor on the long-block
	// length: which steps fall into a window (a prefill chunk, or only
	// decode steps).
	Composition float64
	// Clock is the log-sd of a per-window factor on every kernel's
	// duration (clocks, throttling, contention).
	Clock float64
	// Rho is the lag-one autocorrelation of both per-window factors
	// (AR(1) in log space): adjacent windows share steps and clocks.
	Rho float64
	// Drift is the log change of kernel durations from a phase's first
	// window to its last (a warming GPU), centred and normalised so that
	// it changes no phase's mean.
	Drift float64
	// PhaseLevel is the log-sd of a per-phase factor on every kernel's
	// duration: the GPU's level while a phase runs. No window bootstrap
	// can see it; it is kept small (a GPU's clock within one run).
	PhaseLevel float64
}

// DefaultKernelNoise is H4's calibration noise: composition log-sd 0.1,
// clock 0.05, lag-one correlation 0.3, 5% drift over a phase, no phase
// level (TestH4Calibration also measures, without asserting, a phase
// level of 0.02).
var DefaultKernelNoise = KernelNoise{Composition: 0.1, Clock: 0.05, Rho: 0.3, Drift: 0.05}

// Windows draws n windows of one phase of mix under the noise: per window
// Poisson counts (gonum's distuv.Poisson) of long blocks and short fragments, block lengths scaled
// by the composition factor, every duration by the clock factor, the
// drift and the phase level.
func (nz KernelNoise) Windows(rng *rand.Rand, mix PhaseMix, n int) ([]kerneltrace.WindowSums, error) {
	if n < 1 || !(mix.Long > 0) || !(mix.Short > 0) || !(mix.BlockNs > 0) || !(mix.ShortNs >= 0) {
		return nil, fmt.Errorf("kernel noise: %d windows of %+v: %w", n, mix, ErrDesign)
	}
	ar := func(sd float64) []float64 {
		x := make([]float64, n)
		s := math.Sqrt(1 - nz.Rho*nz.Rho)
		for i := range x {
			z := rng.NormFloat64()
			if i == 0 {
				x[i] = z
			} else {
				x[i] = nz.Rho*x[i-1] + s*z
			}
		}
		for i := range x {
			x[i] = math.Exp(sd*x[i] - sd*sd/2)
		}
		return x
	}
	comp, clock := ar(nz.Composition), ar(nz.Clock)
	drift := make([]float64, n)
	var dsum float64
	for i := range drift {
		pos := 0.0
		if n > 1 {
			pos = float64(i)/float64(n-1) - 0.5
		}
		drift[i] = math.Exp(nz.Drift * pos)
		dsum += drift[i]
	}
	level := math.Exp(nz.PhaseLevel*rng.NormFloat64() - nz.PhaseLevel*nz.PhaseLevel/2)
	out := make([]kerneltrace.WindowSums, n)
	for i := range out {
		g := clock[i] * drift[i] / (dsum / float64(n)) * level
		long, short := distuv.Poisson{Lambda: mix.Long, Src: rng}.Rand(), distuv.Poisson{Lambda: mix.Short, Src: rng}.Rand()
		lt := long * mix.BlockNs * comp[i] * g
		out[i] = kerneltrace.WindowSums{KernelTime: lt + short*mix.ShortNs*g, LongTime: lt, Long: long, Short: short}
	}
	return out, nil
}
