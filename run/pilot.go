package run

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"time"

	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/stats"
	"github.com/hypobench/hypobench/workload"
)

// pilotSeed is mixed into a design's seed to make its pilot's.
const pilotSeed = 0x9170_7e5d

// PilotRequests is how many requests of each profile a pilot sends at each
// of its levels (at a concurrency level c, at least c).
const PilotRequests = 3

// ladderDim says along which request parameter a suite's profiles form a
// ladder: "prompt_rep" when only PromptRep varies, "max_tokens" when only
// MaxTokens does, "" otherwise (the profiles are then a set, each its own
// level, none interpolated or dropped).
func ladderDim(ps []workload.Profile) string {
	if len(ps) < 2 {
		return ""
	}
	samePrompt, sameOut := true, true
	for _, p := range ps[1:] {
		samePrompt = samePrompt && p.PromptRep == ps[0].PromptRep
		sameOut = sameOut && p.MaxTokens == ps[0].MaxTokens
	}
	switch {
	case sameOut && !samePrompt:
		return "prompt_rep"
	case samePrompt && !sameOut:
		return "max_tokens"
	}
	return ""
}

func dimOf(p workload.Profile, dim string) float64 {
	if dim == "max_tokens" {
		return float64(p.MaxTokens)
	}
	return float64(p.PromptRep)
}

// ladderEnds returns the indices of the profiles at the two ends of the
// ladder along dim.
func ladderEnds(ps []workload.Profile, dim string) (lo, hi int) {
	for i, p := range ps {
		if dimOf(p, dim) < dimOf(ps[lo], dim) {
			lo = i
		}
		if dimOf(p, dim) > dimOf(ps[hi], dim) {
			hi = i
		}
	}
	return lo, hi
}

// PilotSuite returns the pilot of a closed-loop design: its extreme levels
// only — the lowest and highest concurrency, and the two end profiles of a
// profile ladder (every profile when they are not a ladder) — each profile
// PilotRequests times at each level (at least once per worker), mixed in
// one phase per level, in one pass with the design's warm-up. Its records
// are what FitCosts reads. It has a seed of its own, so its nonces are
// not the design's: on a server with prefix caching, a design request
// whose nonce and prompt began like a pilot request's would be served
// from the pilot's cache.
func PilotSuite(s *workload.Suite) *workload.Suite {
	p := *s
	p.Name = s.Name + "-pilot"
	p.Seed = s.Seed ^ pilotSeed
	p.Description = "pilot of " + s.Name + ": its extreme levels, to measure the target's cost per request"
	p.Rounds, p.Requests, p.MinPerWorker, p.Mix, p.Order = 0, PilotRequests, 1, true, workload.Ordered
	lo, hi := slices.Min(s.Concurrency), slices.Max(s.Concurrency)
	p.Concurrency = []int{lo}
	if hi != lo {
		p.Concurrency = append(p.Concurrency, hi)
	}
	p.Profiles = slices.Clone(s.Profiles)
	if dim := ladderDim(s.Profiles); dim != "" && len(s.Profiles) > 2 {
		a, b := ladderEnds(s.Profiles, dim)
		p.Profiles = []workload.Profile{s.Profiles[a], s.Profiles[b]}
	}
	return &p
}

// levelKey is one measured level: a profile at a concurrency.
type levelKey struct {
	profile     string
	concurrency int
}

// Costs is a target's cost per request, measured by a design's pilot:
// the mean request time (record.Record.Total: t0 to the end of the body)
// of each profile at each pilot level, the overhead the run adds around
// each phase and before the first, and the requests' spread.
type Costs struct {
	// Level holds the mean request time in seconds per (profile,
	// concurrency) the pilot ran.
	Level map[string]map[int]float64
	// PhaseOverhead is the measured time per phase beyond its requests
	// (hooks, metrics scrapes, the closed loop's last uneven wave), in
	// seconds; RunOverhead the same before the first phase beyond the
	// warm-up requests.
	PhaseOverhead, RunOverhead float64
	// LogSD is the pooled standard deviation of log request time within a
	// level (the per-request spread), over SpreadDF degrees of freedom.
	LogSD    float64
	SpreadDF int
	// Pilot is the pilot's own wall-clock time (config.json's started to
	// ended).
	Pilot time.Duration
	// Requests is the pilot's measured requests; Failed those that failed.
	Requests, Failed int
}

// ErrPilot is wrapped by FitCosts' errors: the pilot's records cannot
// give a cost.
var ErrPilot = errors.New("pilot")

// FitCosts measures Costs from a pilot run of s (PilotSuite(s) run into a
// directory): its records, its phases and its config.json.
func FitCosts(recs []record.Record, phases []record.Phase, cfg record.RunConfig) (*Costs, error) {
	c := &Costs{Level: map[string]map[int]float64{}}
	groups := map[levelKey][]float64{}
	for _, r := range recs {
		c.Requests++
		if !r.OK() || !(r.Total > 0) {
			c.Failed++
			continue
		}
		k := levelKey{r.Profile, r.Concurrency}
		groups[k] = append(groups[k], r.Total)
	}
	if c.Failed > 0 {
		return nil, fmt.Errorf("%w: %d of %d requests failed; a cost measured on failures would not be the design's", ErrPilot, c.Failed, c.Requests)
	}
	if len(groups) == 0 {
		return nil, fmt.Errorf("%w: no request completed", ErrPilot)
	}
	var ss float64
	for k, ts := range groups {
		if c.Level[k.profile] == nil {
			c.Level[k.profile] = map[int]float64{}
		}
		c.Level[k.profile][k.concurrency] = stats.Mean(ts)
		logs := make([]float64, len(ts))
		for i, t := range ts {
			logs[i] = math.Log(t)
		}
		m := stats.Mean(logs)
		for _, l := range logs {
			ss += (l - m) * (l - m)
		}
		c.SpreadDF += len(ts) - 1
	}
	if c.SpreadDF > 0 {
		c.LogSD = math.Sqrt(ss / float64(c.SpreadDF))
	}
	if cfg.Ended != nil {
		c.Pilot = cfg.Ended.Sub(cfg.Started)
	}
	// Overheads: what each phase took beyond its requests' estimate, the
	// gap to the next phase (hooks) included; and the time before the
	// first phase beyond the warm-up.
	byPhase := map[int][]record.Record{}
	for _, r := range recs {
		byPhase[r.Phase] = append(byPhase[r.Phase], r)
	}
	var over float64
	for i, ph := range phases {
		next := ph.EndUnixNs
		if i+1 < len(phases) {
			next = phases[i+1].StartUnixNs
		} else if cfg.Ended != nil {
			next = cfg.Ended.UnixNano()
		}
		var sum float64
		for _, r := range byPhase[ph.Index] {
			sum += r.Total
		}
		est := phaseEstimate(len(byPhase[ph.Index]), max(ph.Concurrency, 1), sum)
		over += float64(next-ph.StartUnixNs)/1e9 - est
	}
	if len(phases) > 0 {
		c.PhaseOverhead = max(over/float64(len(phases)), 0)
		c.RunOverhead = float64(phases[0].StartUnixNs-cfg.Started.UnixNano()) / 1e9
	}
	return c, nil
}

// phaseEstimate is a closed-loop phase's duration for n requests at c
// workers whose request times sum to sum: ⌈n/c⌉ waves of the mean request.
func phaseEstimate(n, c int, sum float64) float64 {
	if n == 0 {
		return 0
	}
	waves := (n + c - 1) / c
	return float64(waves) * sum / float64(n)
}

// requestCost is the estimated mean request time of profile p at
// concurrency c: measured when the pilot ran that level, else linear in
// concurrency between the pilot's lowest and highest (clamped), and for a
// profile inside a ladder linear along the ladder between its two ends.
func (c *Costs) requestCost(s *workload.Suite, p workload.Profile, conc int) float64 {
	if m, ok := c.Level[p.Name]; ok {
		return interpConc(m, conc)
	}
	dim := ladderDim(s.Profiles)
	if dim == "" {
		return math.NaN()
	}
	a, b := ladderEnds(s.Profiles, dim)
	lo, hi := s.Profiles[a], s.Profiles[b]
	ml, okl := c.Level[lo.Name]
	mh, okh := c.Level[hi.Name]
	if !okl || !okh {
		return math.NaN()
	}
	f := (dimOf(p, dim) - dimOf(lo, dim)) / (dimOf(hi, dim) - dimOf(lo, dim))
	return (1-f)*interpConc(ml, conc) + f*interpConc(mh, conc)
}

// interpConc interpolates a profile's mean request time linearly in
// concurrency between the levels measured, clamped at the ends.
func interpConc(m map[int]float64, conc int) float64 {
	cs := make([]int, 0, len(m))
	for k := range m {
		cs = append(cs, k)
	}
	slices.Sort(cs)
	if conc <= cs[0] {
		return m[cs[0]]
	}
	for i := 1; i < len(cs); i++ {
		if conc <= cs[i] {
			f := float64(conc-cs[i-1]) / float64(cs[i]-cs[i-1])
			return (1-f)*m[cs[i-1]] + f*m[cs[i]]
		}
	}
	return m[cs[len(cs)-1]]
}

// Estimate is the estimated wall-clock time of a closed-loop design on the
// target the costs were measured on: the warm-up, then each phase of its
// plan as ⌈n/c⌉ waves of its requests' mean time plus the measured
// per-phase overhead.
func (c *Costs) Estimate(s *workload.Suite) time.Duration {
	warm := c.RunOverhead
	for i := range s.Warmup {
		warm += c.requestCost(s, s.Profiles[i%len(s.Profiles)], 1)
	}
	total := max(warm, 0)
	for _, pp := range s.Plan() {
		var sum float64
		for k := range pp.Requests {
			sum += c.requestCost(s, pp.ProfileOf(k), pp.Concurrency)
		}
		total += phaseEstimate(pp.Requests, pp.Concurrency, sum) + c.PhaseOverhead
	}
	return time.Duration(total * float64(time.Second))
}

// MeasurePilot runs the pilot of cfg.Suite (PilotSuite, with the pilot's
// own seed) with cfg — its client, hooks and progress writers — into cfg.Dir, a run directory of
// its own whose records are kept like any run's, and measures the costs
// from what it wrote.
func MeasurePilot(ctx context.Context, cfg Config) (*Costs, error) {
	if cfg.Suite == nil || cfg.Suite.OpenLoop() {
		return nil, fmt.Errorf("%w: only a closed-loop design has a pilot", ErrPilot)
	}
	cfg.Suite = PilotSuite(cfg.Suite)
	cfg.Seed = cfg.Suite.Seed
	if _, err := Execute(ctx, cfg); err != nil {
		return nil, fmt.Errorf("%w run: %w", ErrPilot, err)
	}
	recs, bad, err := record.ReadRecords(filepath.Join(cfg.Dir, record.RequestsFile))
	if err == nil && len(bad) > 0 {
		err = errors.Join(bad...)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: reading its records: %w", ErrPilot, err)
	}
	phases, bad, err := record.ReadPhases(filepath.Join(cfg.Dir, record.PhasesFile))
	if err == nil && len(bad) > 0 {
		err = errors.Join(bad...)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: reading its phases: %w", ErrPilot, err)
	}
	rc, err := record.ReadConfig(filepath.Join(cfg.Dir, record.ConfigFile))
	if err != nil {
		return nil, fmt.Errorf("%w: reading its config: %w", ErrPilot, err)
	}
	return FitCosts(recs, phases, *rc)
}
