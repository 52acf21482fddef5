package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/stats"
	"github.com/hypobench/hypobench/workload"
)

// Budget asks for a design to be sized to a time budget (SizeDesign). Zero
// fields get the defaults documented on each.
type Budget struct {
	// Total is the wall-clock time the design may take, its pilot
	// included (HYPOBENCH_BUDGET).
	Total time.Duration
	// MinRounds is the fewest rounds the design may be cut to (default
	// 3, hypotheses.MinRounds: a t interval over fewer rounds has no
	// useful width). Designs without rounds are not cut in rounds.
	MinRounds int
	// Margin is the share of the budget left unplanned for the estimate's
	// error (default DefaultBudgetMargin): the sized design's planned cost
	// is at most (1 − Margin) × Total − the pilot's time.
	Margin float64
	// KeepConcurrency and KeepProfiles name levels the design's checks
	// read besides the ladder's extremes (which are always kept); they are
	// never dropped.
	KeepConcurrency []int
	KeepProfiles    []string
	// NoCut prices the design and refuses it when it does not fit, but
	// never cuts it: for an analysis that needs the design's whole shape.
	NoCut bool
}

// DefaultBudgetMargin is Budget.Margin's default: plan to 80% of the
// budget. The pilot's cost estimate, on the sized designs this package's
// test runs, lands within a few percent of the measured time; the margin
// covers a target that slows during the run.
const DefaultBudgetMargin = 0.2

// pilotSeed is mixed into a design's seed to make its pilot's.
const pilotSeed = 0x9170_7e5d

// PilotRequests is how many requests of each profile a pilot sends at each
// of its levels (at a concurrency level c, at least c).
const PilotRequests = 3

// ErrOverBudget is wrapped by the error SizeDesign returns when even the
// smallest design it may cut to does not fit the budget.
var ErrOverBudget = errors.New("design does not fit the time budget")

// BudgetError is the refusal: the budget, and the budget the smallest
// allowed design would need.
type BudgetError struct {
	Suite  string
	Budget time.Duration
	Need   time.Duration // pilot + smallest design, with the margin
	Why    string        // the smallest design it tried
}

func (e *BudgetError) Error() string {
	return fmt.Sprintf("design %s needs a budget of at least %s, got %s (%s); refusing before running it: raise HYPOBENCH_BUDGET to %s or more",
		e.Suite, roundDuration(e.Need), e.Budget, e.Why, roundDuration(e.Need))
}

func (e *BudgetError) Unwrap() error { return ErrOverBudget }

// ParseBudget parses a time budget such as 90s or 5m (HYPOBENCH_BUDGET).
func ParseBudget(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%w: want a time budget such as 90s or 5m (or a regression budget such as 5%% or 0.05)", ErrSetting)
	}
	return d, nil
}

// isRegressionBudget reports whether a HYPOBENCH_BUDGET value is the
// regression gate's (a percentage or a bare number) rather than a
// duration, which always carries a unit.
func isRegressionBudget(v string) bool {
	t := strings.TrimSpace(v)
	if strings.HasSuffix(t, "%") {
		return true
	}
	_, err := strconv.ParseFloat(t, 64)
	return err == nil
}

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

// Sizing is SizeDesign's answer: the design to run and what sizing it
// cost.
type Sizing struct {
	// Suite is the design to run: a copy of the one given, with fewer
	// rounds, repetitions or levels when the budget asked for it.
	Suite  *workload.Suite
	Budget time.Duration
	// Pilot is what the pilot took; Full and Planned are the estimated
	// times of the design as given and as sized.
	Pilot, Full, Planned time.Duration
	// Rounds and Requests are the sized design's; FullRounds and
	// FullRequests the given one's.
	Rounds, Requests, FullRounds, FullRequests int
	// Dropped names the levels left out ("c=8", a profile's name).
	Dropped []string
	// HalfWidth and FullHalfWidth are the predicted half-widths of the
	// 90% interval on a log ratio of two levels' median request times,
	// sized and as given, from the pilot's per-request spread (Costs.LogSD)
	// — the smallest log effect the design's round-based checks can tell
	// from their bound. NaN when the pilot had no spread to measure or the
	// design has no rounds.
	HalfWidth, FullHalfWidth float64
	// Open is set for an open-loop design, whose time is its schedule's
	// and is not cut.
	Open bool
}

// Changed reports whether the design was cut.
func (z *Sizing) Changed() bool {
	return z.Rounds != z.FullRounds || z.Requests != z.FullRequests || len(z.Dropped) > 0
}

// String says what the sizing chose and what it leaves, in a few lines.
func (z *Sizing) String() string {
	var b strings.Builder
	if z.Open {
		fmt.Fprintf(&b, "budget %s: open-loop design %s takes ~%s by its schedule (not cut)", z.Budget, z.Suite.Name, roundDuration(z.Planned))
		return b.String()
	}
	fmt.Fprintf(&b, "budget %s: pilot took %s; design %s as given ~%s (%s)", z.Budget, roundDuration(z.Pilot), z.Suite.Name,
		roundDuration(z.Full), shape(z.FullRounds, z.FullRequests))
	if !z.Changed() {
		fmt.Fprintf(&b, ", fits: run as given")
	} else {
		fmt.Fprintf(&b, "; sized to %s", shape(z.Rounds, z.Requests))
		if len(z.Dropped) > 0 {
			fmt.Fprintf(&b, ", levels %s dropped (extremes kept)", strings.Join(z.Dropped, ", "))
		}
		fmt.Fprintf(&b, ": planned ~%s", roundDuration(z.Planned))
	}
	if !math.IsNaN(z.HalfWidth) {
		fmt.Fprintf(&b, "; power: the 90%% interval on a log ratio of two levels' median request times is predicted ±%.3f (×%.3f)", z.HalfWidth, math.Exp(z.HalfWidth))
		if z.Changed() {
			fmt.Fprintf(&b, " against ±%.3f as given", z.FullHalfWidth)
		}
		b.WriteString(", from the pilot's per-request spread: an effect closer to a check's bound than that stays inconclusive")
	}
	return b.String()
}

func shape(rounds, requests int) string {
	reqs := fmt.Sprintf("%d requests", requests)
	if requests == 1 {
		reqs = "1 request"
	}
	if rounds == 0 {
		return reqs + " per profile per level"
	}
	return fmt.Sprintf("%d rounds × %s per profile per level", rounds, reqs)
}

// halfWidth is the predicted half-width of the 90% interval (each tail
// α = 0.05) on the mean over rounds of a per-round log ratio of two levels'
// medians: t(0.95, R−1) × √2 × 1.2533 × sd/√(m R), where m is a level's
// requests per round and 1.2533 (√(π/2)) the median's standard error over
// the mean's for normal data. NaN for a design without rounds (its checks
// are not round-based: H4's time windows, a stored gate), or no spread.
func halfWidth(sd float64, rounds, m int) float64 {
	if !(sd > 0) || m < 1 || rounds < 2 {
		return math.NaN()
	}
	q := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(rounds - 1)}.Quantile(0.95)
	return q * math.Sqrt2 * math.Sqrt(math.Pi/2) * sd / math.Sqrt(float64(m*rounds))
}

// perLevel is a profile's requests per level per round at the design's
// lowest concurrency.
func perLevel(s *workload.Suite) int {
	return max(s.Requests, s.MinPerWorker*slices.Min(s.Concurrency))
}

// SizeDesign sizes s to the budget with the pilot's costs. When the design
// as given fits (1 − Margin) × Total after the pilot, it is returned
// unchanged. Otherwise it picks, among rounds from MinRounds up to the
// design's and repetitions from 1 up to the design's, the pair that fits
// with the narrowest predicted interval (Sizing.HalfWidth; at equal width
// the more rounds); when no pair fits with every level, it drops the
// costliest inner level of the concurrency ladder or the profile ladder
// (never an extreme, nor a level Budget keeps) and tries again. When even
// the extremes at MinRounds and one repetition do not fit, it refuses with
// a *BudgetError that names the budget needed.
//
// An open-loop design's time is its schedule's: it is not cut, only
// refused when its phases' spans exceed the budget.
func SizeDesign(s *workload.Suite, c *Costs, b Budget) (*Sizing, error) {
	if b.Total <= 0 {
		return nil, errors.New("run: SizeDesign needs a positive budget")
	}
	if b.MinRounds <= 0 {
		b.MinRounds = 3
	}
	if b.Margin <= 0 || b.Margin >= 1 {
		b.Margin = DefaultBudgetMargin
	}
	if s.OpenLoop() {
		return sizeOpen(s, b)
	}
	z := &Sizing{Budget: b.Total, Pilot: c.Pilot, FullRounds: s.Rounds, FullRequests: s.Requests}
	z.Full = c.Estimate(s)
	z.FullHalfWidth = halfWidth(c.LogSD, s.Rounds, perLevel(s))
	avail := time.Duration((1-b.Margin)*float64(b.Total)) - c.Pilot
	if z.Full <= avail {
		z.Suite, z.Planned, z.Rounds, z.Requests, z.HalfWidth = s, z.Full, s.Rounds, s.Requests, z.FullHalfWidth
		return z, nil
	}
	if b.NoCut {
		return nil, &BudgetError{Suite: s.Name, Budget: b.Total, Need: ceilSecond(time.Duration(float64(z.Full+c.Pilot) / (1 - b.Margin))),
			Why: fmt.Sprintf("it is not cut (its analysis needs its whole shape) and takes ~%s after a %s pilot, planned to %.0f%% of the budget",
				roundDuration(z.Full), roundDuration(c.Pilot), 100*(1-b.Margin))}
	}
	minRounds := min(b.MinRounds, s.Rounds)
	cur := *s
	cur.Concurrency = slices.Clone(s.Concurrency)
	cur.Profiles = slices.Clone(s.Profiles)
	for {
		if best := bestShape(&cur, c, avail, minRounds); best != nil {
			z.Suite, z.Planned, z.Rounds, z.Requests = best, c.Estimate(best), best.Rounds, best.Requests
			z.HalfWidth = halfWidth(c.LogSD, best.Rounds, perLevel(best))
			return z, nil
		}
		drop, ok := costliestInner(&cur, c, b)
		if !ok {
			break
		}
		z.Dropped = append(z.Dropped, drop)
	}
	small := cur
	small.Rounds, small.Requests = minRounds, 1
	need := time.Duration(float64(c.Estimate(&small)+c.Pilot) / (1 - b.Margin))
	return nil, &BudgetError{Suite: s.Name, Budget: b.Total, Need: ceilSecond(need),
		Why: fmt.Sprintf("its smallest allowed form, %s at the levels it must keep, ~%s after a %s pilot, planned to %.0f%% of the budget",
			shape(small.Rounds, small.Requests), roundDuration(c.Estimate(&small)), roundDuration(c.Pilot), 100*(1-b.Margin))}
}

// bestShape returns the copy of s with rounds in [minRounds, s.Rounds] and
// requests in [1, s.Requests] that fits avail with the narrowest predicted
// interval (more rounds at a tie), or nil when none fits.
func bestShape(s *workload.Suite, c *Costs, avail time.Duration, minRounds int) *workload.Suite {
	var best *workload.Suite
	bestW := math.Inf(1)
	for r := s.Rounds; r >= minRounds; r-- {
		for n := s.Requests; n >= 1; n-- {
			t := *s
			t.Rounds, t.Requests = r, n
			if c.Estimate(&t) > avail {
				continue
			}
			// Unit spread: the shape's width relative to another's (a
			// design without rounds has one shape per repetition count).
			w := halfWidth(1, r, perLevel(&t))
			if math.IsNaN(w) {
				w = 1 / math.Sqrt(float64(perLevel(&t)))
			}
			if w < bestW {
				bestW, best = w, &t
			}
			break // fewer requests at this r only widen the interval
		}
	}
	return best
}

// costliestInner drops from s the inner level (not an extreme, not kept)
// that costs the most in s's plan and returns its name; false when there
// is none to drop.
func costliestInner(s *workload.Suite, c *Costs, b Budget) (string, bool) {
	type cand struct {
		name string
		cost time.Duration
		drop func()
	}
	var cands []cand
	if len(s.Concurrency) > 2 {
		lo, hi := slices.Min(s.Concurrency), slices.Max(s.Concurrency)
		for i, lv := range s.Concurrency {
			if lv == lo || lv == hi || slices.Contains(b.KeepConcurrency, lv) {
				continue
			}
			t := *s
			t.Concurrency = slices.Delete(slices.Clone(s.Concurrency), i, i+1)
			cands = append(cands, cand{fmt.Sprintf("c=%d", lv), c.Estimate(s) - c.Estimate(&t), func() { s.Concurrency = t.Concurrency }})
		}
	}
	if dim := ladderDim(s.Profiles); dim != "" && len(s.Profiles) > 2 {
		a, z := ladderEnds(s.Profiles, dim)
		for i, p := range s.Profiles {
			if i == a || i == z || slices.Contains(b.KeepProfiles, p.Name) {
				continue
			}
			t := *s
			t.Profiles = slices.Delete(slices.Clone(s.Profiles), i, i+1)
			cands = append(cands, cand{p.Name, c.Estimate(s) - c.Estimate(&t), func() { s.Profiles = t.Profiles }})
		}
	}
	if len(cands) == 0 {
		return "", false
	}
	best := slices.MaxFunc(cands, func(x, y cand) int { return int(x.cost - y.cost) })
	best.drop()
	return best.name, true
}

// sizeOpen estimates an open-loop design's time from its schedule: the
// sum of its phases' last due offsets (the last requests' own time comes
// on top) and refuses it when that exceeds the budget's plan.
func sizeOpen(s *workload.Suite, b Budget) (*Sizing, error) {
	plan, err := s.OpenPlan()
	if err != nil {
		return nil, err
	}
	var span time.Duration
	for _, op := range plan {
		sched, err := op.Schedule()
		if err != nil {
			return nil, err
		}
		if len(sched) > 0 {
			span += sched[len(sched)-1].At
		}
	}
	z := &Sizing{Suite: s, Budget: b.Total, Full: span, Planned: span, Open: true, HalfWidth: math.NaN(), FullHalfWidth: math.NaN()}
	if span > time.Duration((1-b.Margin)*float64(b.Total)) {
		need := time.Duration(float64(span) / (1 - b.Margin))
		return nil, &BudgetError{Suite: s.Name, Budget: b.Total, Need: ceilSecond(need),
			Why: fmt.Sprintf("its open-loop schedule spans ~%s, which is not cut; planned to %.0f%% of the budget", roundDuration(span), 100*(1-b.Margin))}
	}
	return z, nil
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

// ceilSecond rounds d up to a whole second.
func ceilSecond(d time.Duration) time.Duration {
	return (d + time.Second - 1) / time.Second * time.Second
}

// SizeTo returns a sizer for budget b: called with an open target and a
// design's suite before the design runs, it runs the suite's pilot into
// pilotDir(name) (a closed-loop suite; an open-loop one is priced by its
// schedule), sizes s in place to b (SizeDesign) and returns what it chose
// (Sizing.String); an error refuses the design — a *BudgetError names the
// budget it would need. progress, when set, receives the pilot's
// design-level progress lines and the sizing's sentence.
//
// Its signature is experiment.Sizer's, so a session takes it as is.
func SizeTo(b Budget, pilotDir func(name string) (string, error), progress io.Writer) func(ctx context.Context, t *Target, name string, s *workload.Suite) (string, error) {
	return func(ctx context.Context, t *Target, name string, s *workload.Suite) (string, error) {
		var costs *Costs
		if !s.OpenLoop() {
			dir, err := pilotDir(name)
			if err != nil {
				return "", fmt.Errorf("pilot directory: %w", err)
			}
			costs, err = MeasurePilot(ctx, Config{Client: t.Client, Model: t.Model, Suite: s, Dir: dir, Seed: s.Seed, Meta: t.Meta,
				DesignProgress: progress, ExternalTarget: t.Embedded == nil})
			if err != nil {
				return "", err
			}
		}
		z, err := SizeDesign(s, costs, b)
		if err != nil {
			return "", err
		}
		*s = *z.Suite
		if progress != nil {
			fmt.Fprintf(progress, "%s: %s\n", name, z)
		}
		return z.String(), nil
	}
}
