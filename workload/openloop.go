package workload

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"time"
)

// TraceProfile names the phase of a trace replay.
const TraceProfile = "trace"

// OpenLoop reports whether the suite is open-loop: it sets a rate, a rate
// list, a ramp or a trace (or another open-loop field, which validation then
// requires to come with one of them).
func (s *Suite) OpenLoop() bool {
	return s.Rate != 0 || len(s.Rates) > 0 || s.Ramp != nil || s.Trace != nil ||
		s.Arrival != "" || s.Burstiness != 0 || s.DurationS != 0 || s.MaxConcurrency != 0
}

func finiteNonNeg(x float64) bool { return x >= 0 && !math.IsInf(x, 0) && !math.IsNaN(x) }

// seconds converts validated seconds to a duration.
func seconds(x float64) time.Duration { return time.Duration(math.Round(x * 1e9)) }

// validateOpen checks the open-loop fields; Validate has checked the rest.
func (s *Suite) validateOpen() error {
	bad := func(field, format string, a ...any) error {
		return &SuiteError{Field: field, Msg: fmt.Sprintf(format, a...)}
	}
	if len(s.Concurrency) > 0 {
		return bad("concurrency", "an open-loop suite has no concurrency ladder; cap requests in flight with max_concurrency")
	}
	if s.MaxConcurrency < 0 {
		return bad("max_concurrency", "must be ≥ 0, got %d", s.MaxConcurrency)
	}
	if s.Requests < 0 {
		return bad("requests", "must be ≥ 0, got %d", s.Requests)
	}
	if !finiteNonNeg(s.DurationS) {
		return bad("duration_s", "must be a finite number ≥ 0, got %v", s.DurationS)
	}
	if s.Trace != nil {
		switch {
		case s.Rate != 0 || len(s.Rates) > 0 || s.Ramp != nil || s.Arrival != "" || s.Burstiness != 0:
			return bad("trace", "a trace sets its own arrivals; drop rate, rates, ramp, arrival and burstiness")
		case s.Trace.File == "":
			return bad("trace.file", "missing")
		case !fs.ValidPath(s.Trace.File) || s.Trace.File == ".":
			return bad("trace.file", "%q must be a relative path inside the suite's directory (no \"..\", no leading \"/\")", s.Trace.File)
		}
		switch s.Trace.Format {
		case TraceHypobench, TraceMooncake, TraceAzure:
		default:
			return bad("trace.format", "want %s, %s or %s, got %q", TraceHypobench, TraceMooncake, TraceAzure, s.Trace.Format)
		}
		return nil
	}
	if s.Rate != 0 && len(s.Rates) > 0 {
		return bad("rates", "give rate or rates, not both")
	}
	if s.Rate == 0 && len(s.Rates) == 0 && s.Ramp == nil {
		return bad("rate", "an open-loop suite needs rate, rates, ramp or trace")
	}
	arrival := s.Arrival
	if arrival == "" {
		arrival = Poisson
	}
	switch arrival {
	case Constant, Poisson, Gamma:
	default:
		return bad("arrival", "want constant, poisson or gamma, got %q", s.Arrival)
	}
	if s.Burstiness != 0 && arrival != Gamma {
		return bad("burstiness", "applies to arrival gamma only (arrival is %s)", arrival)
	}
	if s.Burstiness != 0 && !finitePos(s.Burstiness) {
		return bad("burstiness", "must be a finite number > 0, got %v", s.Burstiness)
	}
	if s.Ramp != nil {
		switch {
		case !finitePos(s.Ramp.FromRate):
			return bad("ramp.from_rate", "must be a finite number > 0, got %v", s.Ramp.FromRate)
		case !finitePos(s.Ramp.ToRate):
			return bad("ramp.to_rate", "must be a finite number > 0, got %v", s.Ramp.ToRate)
		case !finitePos(s.Ramp.DurationS):
			return bad("ramp.duration_s", "must be a finite number > 0, got %v", s.Ramp.DurationS)
		}
		if err := s.rampProcess().Validate(); err != nil {
			return bad("ramp", "%v", err)
		}
	}
	rates := s.Rates
	field := "rates"
	if s.Rate != 0 {
		rates, field = []float64{s.Rate}, "rate"
	}
	for i, r := range rates {
		f := field
		if field == "rates" {
			f = fmt.Sprintf("rates[%d]", i)
		}
		if !finitePos(r) {
			return bad(f, "must be a finite number > 0 (requests per second), got %v", r)
		}
		err := s.rateProcess(r).Validate()
		switch {
		case errors.Is(err, ErrUnbounded):
			return bad("duration_s", "each rate phase needs duration_s > 0 or requests > 0")
		case err != nil:
			return bad(f, "%v", err)
		}
	}
	return nil
}

func (s *Suite) arrival() Arrival {
	if s.Arrival == "" {
		return Poisson
	}
	return s.Arrival
}

func (s *Suite) rateProcess(r float64) Process {
	return Process{Arrival: s.arrival(), Rate: r, Burstiness: s.Burstiness, Duration: seconds(s.DurationS), Requests: s.Requests}
}

func (s *Suite) rampProcess() Process {
	return Process{Arrival: s.arrival(), Rate: s.Ramp.FromRate, EndRate: s.Ramp.ToRate, Burstiness: s.Burstiness, Duration: seconds(s.Ramp.DurationS)}
}

// LoadTrace reads the suite's trace file from fsys (LoadSuite passes the
// suite file's directory, so the file cannot name anything outside it).
func (s *Suite) LoadTrace(fsys fs.FS) error {
	if s.Trace == nil {
		return nil
	}
	f, err := fsys.Open(s.Trace.File)
	if err != nil {
		return fmt.Errorf("opening trace: %w", err)
	}
	defer f.Close()
	dues, err := ParseTrace(s.Trace.File, s.Trace.Format, f)
	if err != nil {
		return err
	}
	s.traceDues = dues
	return nil
}

// OpenPhase is one open-loop phase: what to send (a profile, a mix of
// profiles, or a trace's requests), when (a Process, or a trace's offsets),
// at most how many at once, and the seed its schedule and draws come from.
// Schedule turns it into the list of due offsets the runner sends at.
type OpenPhase struct {
	// Profile is the phase's profile: MixedProfile for a mix, TraceProfile
	// for a trace (whose requests carry their own lengths).
	Profile Profile
	// Mix, when set, holds the profiles each request's profile is drawn
	// from (uniformly, seeded by Seed).
	Mix []Profile
	// Process is the arrival process; zero for a trace phase.
	Process Process
	// Trace holds a trace's arrivals; nil otherwise.
	Trace []Due
	// MaxConcurrency caps the requests in flight; 0 means no cap.
	MaxConcurrency int
	// Seed seeds the schedule and the mix's draws; recorded with the phase.
	Seed uint64
}

// Schedule returns the phase's due offsets, each with the request's token
// lengths when a trace gives them. It is a pure function of the phase: the
// same Seed gives the same schedule.
func (p OpenPhase) Schedule() ([]Due, error) {
	if p.Trace != nil {
		return append([]Due(nil), p.Trace...), nil
	}
	return p.Process.Schedule(rand.New(rand.NewPCG(p.Seed, 0xa771)))
}

// ProfileOf returns the profile of the k-th request of the phase.
func (p OpenPhase) ProfileOf(k int) Profile {
	if len(p.Mix) == 0 {
		return p.Profile
	}
	r := rand.New(rand.NewPCG(p.Seed, uint64(k)))
	return p.Mix[r.IntN(len(p.Mix))]
}

// TargetRate returns the phase's target mean rate in requests per second:
// the process's mean rate, or for a trace its requests over its span
// (first to last offset; 0 when the span is 0).
func (p OpenPhase) TargetRate() float64 {
	if p.Trace == nil {
		return p.Process.MeanRate()
	}
	span := (p.Trace[len(p.Trace)-1].At - p.Trace[0].At).Seconds()
	if span <= 0 {
		return 0
	}
	return float64(len(p.Trace)-1) / span
}

// ErrNotOpenLoop is returned by OpenPlan for a closed-loop suite.
var ErrNotOpenLoop = errors.New("suite is not open-loop")

// OpenPlan expands an open-loop suite into its phases: the ramp (when set)
// first, then one phase per rate; each for every profile in the suite's
// order (shuffled with the suite's seed when Order is shuffled, the ramp
// staying first), or one mixed phase per rate when Mix is set. A trace suite
// has one phase (its trace must have been loaded: LoadSuite does it).
// Each phase's seed is drawn from the suite's seed in plan order before any
// shuffle, so a phase keeps its schedule whatever the order.
func (s *Suite) OpenPlan() ([]OpenPhase, error) {
	if !s.OpenLoop() {
		return nil, ErrNotOpenLoop
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	seeds := rand.New(rand.NewPCG(s.Seed, 0x09e1))
	if s.Trace != nil {
		if s.traceDues == nil {
			return nil, fmt.Errorf("trace %s not loaded (call LoadTrace)", s.Trace.File)
		}
		return []OpenPhase{{Profile: Profile{Name: TraceProfile}, Trace: s.traceDues, MaxConcurrency: s.MaxConcurrency, Seed: seeds.Uint64()}}, nil
	}
	var procs []Process
	if s.Ramp != nil {
		procs = append(procs, s.rampProcess())
	}
	rates := s.Rates
	if s.Rate != 0 {
		rates = []float64{s.Rate}
	}
	for _, r := range rates {
		procs = append(procs, s.rateProcess(r))
	}
	var ps []OpenPhase
	for _, pr := range procs {
		if s.Mix {
			ps = append(ps, OpenPhase{Profile: Profile{Name: MixedProfile}, Mix: s.Profiles, Process: pr, MaxConcurrency: s.MaxConcurrency, Seed: seeds.Uint64()})
			continue
		}
		for _, prof := range s.Profiles {
			ps = append(ps, OpenPhase{Profile: prof, Process: pr, MaxConcurrency: s.MaxConcurrency, Seed: seeds.Uint64()})
		}
	}
	if s.Order == Shuffled {
		rest := ps
		if s.Ramp != nil && !s.Mix {
			rest = ps[len(s.Profiles):]
		} else if s.Ramp != nil {
			rest = ps[1:]
		}
		rng := rand.New(rand.NewPCG(s.Seed, 0x5eed))
		rng.Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
	}
	return ps, nil
}
