package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

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
