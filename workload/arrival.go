package workload

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
)

// Arrival names an open-loop inter-arrival distribution.
type Arrival string

// Arrival processes.
const (
	// Constant sends one request every 1/rate seconds (coefficient of
	// variation 0).
	Constant Arrival = "constant"
	// Poisson draws exponential gaps of mean 1/rate (CV 1); it is Gamma with
	// burstiness 1.
	Poisson Arrival = "poisson"
	// Gamma draws gamma gaps of mean 1/rate with shape = burstiness B, so the
	// gaps' CV is 1/√B: B = 1 is Poisson, B < 1 burstier, B > 1 smoother.
	// These are vLLM's semantics (vllm/benchmarks/serve.py, get_request:
	// theta = 1/(rate·burstiness), interval = np.random.gamma(shape=
	// burstiness, scale=theta)).
	Gamma Arrival = "gamma"
)

// MaxScheduleLen bounds the number of arrivals one phase may schedule, so a
// typo (a rate of 1e9) fails validation instead of exhausting memory.
const MaxScheduleLen = 10_000_000

// Sentinel errors of Process.Validate, wrapped with the offending value.
var (
	// ErrBadRate means a rate that is not a finite number > 0.
	ErrBadRate = errors.New("rate must be a finite number > 0 (requests per second)")
	// ErrBadArrival means an unknown arrival process.
	ErrBadArrival = errors.New("unknown arrival process (want constant, poisson or gamma)")
	// ErrBadBurstiness means a burstiness that is not finite and > 0, or one
	// given to a process other than gamma.
	ErrBadBurstiness = errors.New("burstiness must be a finite number > 0 and applies to arrival gamma only")
	// ErrUnbounded means a phase with neither a duration nor a request count.
	ErrUnbounded = errors.New("an open-loop phase needs a duration or a request count")
	// ErrTooLong means a phase would schedule more than MaxScheduleLen
	// arrivals.
	ErrTooLong = errors.New("phase schedules too many arrivals")
)

// Process is the offered load of one open-loop phase: an arrival process at
// a target rate, for a duration or a number of requests (whichever ends
// first when both are set). When EndRate is set the rate rises (or falls)
// linearly from Rate at the phase's start to EndRate at Duration.
//
// The schedule is a renewal process run on the integrated rate
// Λ(t) = ∫₀ᵗ rate(s) ds: unit-mean gaps g₁, g₂, … are drawn from the arrival
// distribution (1 for Constant, Exp(1) for Poisson, Gamma(B, 1/B) for Gamma)
// and the k-th arrival is due at Λ⁻¹(g₁+…+g_k). At a constant rate this is
// exactly vLLM's draw, gaps of Gamma(shape B, scale 1/(rate·B)); under a ramp
// the gaps' local mean is 1/rate(t) at every instant. Unlike vLLM, the drawn
// schedule is not rescaled to end at exactly requests/rate: a Poisson phase
// keeps its own count variation, which is what a server sees in production.
// The first arrival is due after one gap, not at 0.
type Process struct {
	Arrival Arrival
	// Rate is the target rate in requests per second (the ramp's start rate
	// when EndRate is set).
	Rate float64
	// EndRate, when > 0, makes the phase a linear ramp from Rate to EndRate
	// over Duration (which it then requires).
	EndRate float64
	// Burstiness is the gamma shape B (Gamma only; 0 means 1).
	Burstiness float64
	// Duration ends the phase: no arrival is due at or after it. 0 means the
	// phase is bounded by Requests alone.
	Duration time.Duration
	// Requests caps the number of arrivals; 0 means no cap (Duration bounds
	// the phase).
	Requests int
}

// Due is one scheduled arrival: its offset from the phase's start, and the
// request's prompt and output lengths in tokens when a trace gives them (0
// otherwise: the suite's profile decides).
type Due struct {
	At           time.Duration
	PromptTokens int
	OutputTokens int
}

func finitePos(x float64) bool { return x > 0 && !math.IsInf(x, 0) && !math.IsNaN(x) }

// Validate checks the process's fields; its errors wrap the Err* sentinels.
func (p Process) Validate() error {
	switch p.Arrival {
	case Constant, Poisson, Gamma:
	default:
		return fmt.Errorf("%w: %q", ErrBadArrival, p.Arrival)
	}
	if !finitePos(p.Rate) {
		return fmt.Errorf("%w: got %v", ErrBadRate, p.Rate)
	}
	if p.EndRate != 0 && !finitePos(p.EndRate) {
		return fmt.Errorf("ramp end %w: got %v", ErrBadRate, p.EndRate)
	}
	if p.Burstiness != 0 && (p.Arrival != Gamma || !finitePos(p.Burstiness)) {
		return fmt.Errorf("%w: got %v with arrival %s", ErrBadBurstiness, p.Burstiness, p.Arrival)
	}
	if p.Duration < 0 || p.Requests < 0 {
		return fmt.Errorf("%w: duration %v, requests %d (negative)", ErrUnbounded, p.Duration, p.Requests)
	}
	if p.Duration == 0 && p.Requests == 0 {
		return ErrUnbounded
	}
	if p.EndRate != 0 && p.Duration == 0 {
		return fmt.Errorf("%w: a ramp needs a duration", ErrUnbounded)
	}
	// Expected count, with room for a bursty draw to exceed it.
	n := float64(p.Requests)
	if p.Duration > 0 {
		m := p.Duration.Seconds() * max(p.Rate, p.EndRate) * 1.5
		if p.Requests == 0 || m < n {
			n = m
		}
	}
	if n > MaxScheduleLen {
		return fmt.Errorf("%w: about %.0f (at most %d); shorten the phase or lower the rate", ErrTooLong, n, MaxScheduleLen)
	}
	return nil
}

// MeanRate returns the phase's target mean rate: Rate, or the ramp's
// average (Rate+EndRate)/2.
func (p Process) MeanRate() float64 {
	if p.EndRate > 0 {
		return (p.Rate + p.EndRate) / 2
	}
	return p.Rate
}

// RateAt returns the target rate at offset t (the ramp's rate, or Rate).
func (p Process) RateAt(t time.Duration) float64 {
	if p.EndRate <= 0 || p.Duration <= 0 {
		return p.Rate
	}
	f := min(max(t.Seconds()/p.Duration.Seconds(), 0), 1)
	return p.Rate + (p.EndRate-p.Rate)*f
}

// Schedule draws the phase's arrivals from rng. It is a pure function of the
// process and rng's state: the same seed gives the same schedule. The
// process must be valid (Schedule returns an error otherwise). A very bursty
// draw that would exceed MaxScheduleLen arrivals is cut there.
func (p Process) Schedule(rng *rand.Rand) ([]Due, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	gap := unitGaps(p.Arrival, p.Burstiness, rng)
	inv := p.inverse()
	var out []Due
	if p.Requests > 0 {
		out = make([]Due, 0, p.Requests)
	}
	var lambda float64
	for (p.Requests == 0 || len(out) < p.Requests) && len(out) < MaxScheduleLen {
		lambda += gap()
		t, ok := inv(lambda)
		if !ok {
			break
		}
		at := time.Duration(math.Round(t * 1e9))
		if p.Duration > 0 && at >= p.Duration {
			break
		}
		out = append(out, Due{At: at})
	}
	return out, nil
}

// inverse returns Λ⁻¹, in seconds; ok is false past the end of a ramp.
func (p Process) inverse() func(lambda float64) (float64, bool) {
	if p.EndRate <= 0 {
		return func(l float64) (float64, bool) { return l / p.Rate, true }
	}
	// Λ(t) = r0·t + a·t², a = (r1−r0)/(2D); the root of a·t² + r0·t − Λ = 0
	// written as 2Λ/(r0 + √(r0² + 4aΛ)), stable for a of either sign.
	d := p.Duration.Seconds()
	r0 := p.Rate
	a := (p.EndRate - p.Rate) / (2 * d)
	total := r0*d + a*d*d
	return func(l float64) (float64, bool) {
		if l >= total {
			return 0, false
		}
		return 2 * l / (r0 + math.Sqrt(r0*r0+4*a*l)), true
	}
}

// unitGaps returns a generator of unit-mean gaps for the arrival process.
func unitGaps(kind Arrival, burstiness float64, rng *rand.Rand) func() float64 {
	switch kind {
	case Constant:
		return func() float64 { return 1 }
	case Poisson:
		return rng.ExpFloat64
	}
	b := burstiness
	if b == 0 {
		b = 1
	}
	g := distuv.Gamma{Alpha: b, Beta: b, Src: rng}
	return g.Rand
}
