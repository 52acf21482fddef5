package compare

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/stats"
	"github.com/hypobench/hypobench/verdict"
)

// Metric names a per-request latency compared by the gate.
type Metric string

// Metrics compared, in report order. Each is read from the record (see
// record.Record for where its clock starts and stops); requests that failed
// or for which the metric is undefined (TPOT with fewer than 2 tokens) are
// left out of that metric's sample.
const (
	TTFT Metric = "ttft" // Record.TTFT: first event carrying choices − t0
	TPOT Metric = "tpot" // Record.TPOT: (E2E − TTFT)/(N − 1), N ≥ 2
	E2E  Metric = "e2e"  // Record.E2E: last content event − t0
)

// AllMetrics lists the compared metrics in report order.
var AllMetrics = []Metric{TTFT, TPOT, E2E}

// value returns the metric of r, or false when r failed or the metric is
// undefined for it. With total, E2E is read from total_s (end of the
// response body − t0), for records in the seed's format, which have no
// e2e_s.
func (m Metric) value(r *record.Record, total bool) (float64, bool) {
	if !r.OK() {
		return 0, false
	}
	var p *float64
	switch m {
	case TTFT:
		p = r.TTFT
	case TPOT:
		p = r.TPOT
	case E2E:
		p = r.E2E
		if total && r.Total > 0 {
			p = &r.Total
		}
	}
	if p == nil || math.IsNaN(*p) || math.IsInf(*p, 0) {
		return 0, false
	}
	return *p, true
}

// ParseMetric accepts ttft, tpot or e2e (any case).
func ParseMetric(s string) (Metric, error) {
	m := Metric(strings.ToLower(strings.TrimSpace(s)))
	if !slices.Contains(AllMetrics, m) {
		return "", fmt.Errorf("unknown metric %q (want ttft, tpot or e2e)", s)
	}
	return m, nil
}

// Defaults for the zero fields of Options.
const (
	DefaultBudget = 0.05
	DefaultB      = 2000
	DefaultLevel  = 0.90
	DefaultSeed   = 1
	DefaultMinN   = 10
)

// DefaultQuantiles are the statistics compared for every metric: the
// median and the 90th percentile.
var DefaultQuantiles = []float64{0.5, 0.9}

// Options configure Compare. Zero fields take the defaults beside them.
type Options struct {
	// Budget is the allowed relative regression of every metric: 0.05
	// lets the new run be up to 5% slower (DefaultBudget). A budget of 0
	// is not a usable margin (two identical servers would never pass), so
	// zero means the default.
	Budget float64 `json:"budget"`
	// Budgets overrides Budget per metric.
	Budgets map[Metric]float64 `json:"budgets,omitempty"`
	// Quantiles are the statistics compared (DefaultQuantiles: p50, p90).
	Quantiles []float64 `json:"quantiles"`
	// B is the number of bootstrap replicates of the request-level
	// interval shown for one run per side (DefaultB; at least 2000 is what
	// the gate is documented for). Rounds use t intervals, no bootstrap.
	B int `json:"b"`
	// Level is the two-sided level of the CI of new/base
	// (DefaultLevel, 0.90): its upper bound is a one-sided 95% bound, the
	// usual non-inferiority test at α = 0.05.
	Level float64 `json:"level"`
	// Seed seeds the PCG generator; each check draws from its own stream
	// derived from Seed and the check's name, so a check's interval does
	// not depend on which other groups are present.
	Seed uint64 `json:"seed"`
	// SeedSet marks Seed as given, so that 0 is a usable seed; without it a
	// zero Seed means DefaultSeed.
	SeedSet bool `json:"-"`
	// MinN is the fewest requests per side below which a check is
	// inconclusive without a bootstrap: a percentile bootstrap of a p90
	// from a handful of requests gives intervals far too narrow
	// (DefaultMinN).
	MinN int `json:"min_n"`
	// Metrics restricts the compared metrics (AllMetrics when empty).
	Metrics []Metric `json:"metrics,omitempty"`
	// RunToRun is the run-to-run variation, as a log-scale standard
	// deviation of a run's quantile (0.1 ≈ 10%), assumed for checks with
	// a single run on both sides (design SingleRound). Zero, the default,
	// means unknown: such checks show the request-level interval but stay
	// inconclusive, since nothing in one run per side can tell a change
	// from the variation between runs. Measure it with an A/A session
	// (`hypobench abab X X`) on the same machine and target.
	RunToRun float64 `json:"run_to_run,omitempty"`
	// WallClock compares embedded engine runs in wall-clock time as
	// measured instead of simulated time (see Runs).
	WallClock bool `json:"wall_clock,omitempty"`
}

// withDefaults returns o with its zero fields filled.
func (o Options) withDefaults() Options {
	if o.Budget == 0 {
		o.Budget = DefaultBudget
	}
	if len(o.Quantiles) == 0 {
		o.Quantiles = DefaultQuantiles
	}
	if o.B <= 0 {
		o.B = DefaultB
	}
	if !(o.Level > 0 && o.Level < 1) {
		o.Level = DefaultLevel
	}
	if o.Seed == 0 && !o.SeedSet {
		o.Seed = DefaultSeed
	}
	o.SeedSet = true
	if o.MinN < 2 {
		o.MinN = DefaultMinN
	}
	if len(o.Metrics) == 0 {
		o.Metrics = AllMetrics
	}
	if !(o.RunToRun > 0) || math.IsInf(o.RunToRun, 0) {
		o.RunToRun = 0
	}
	return o
}

// BudgetFor returns the allowed relative regression of m.
func (o Options) BudgetFor(m Metric) float64 {
	if b, ok := o.Budgets[m]; ok && b > 0 {
		return b
	}
	if o.Budget > 0 {
		return o.Budget
	}
	return DefaultBudget
}

// Group is one profile at one concurrency level, or for open-loop records
// at one target rate (Rate > 0, Concurrency 0: an open-loop record's
// concurrency is the requests in flight when it was sent, not a level).
type Group struct {
	Profile     string  `json:"profile"`
	Concurrency int     `json:"concurrency"`
	Rate        float64 `json:"rate,omitempty"`
}

// String formats the group as benchmarks name it: short_long/c=8, or
// short_long/rate=20 for an open-loop group.
func (g Group) String() string {
	if g.Rate > 0 {
		return g.Profile + "/rate=" + strconv.FormatFloat(g.Rate, 'g', -1, 64)
	}
	return g.Profile + "/c=" + strconv.Itoa(g.Concurrency)
}

func (g Group) compare(h Group) int {
	return cmp.Or(strings.Compare(g.Profile, h.Profile), cmp.Compare(g.Concurrency, h.Concurrency), cmp.Compare(g.Rate, h.Rate))
}

// Check is one non-inferiority test: a quantile of one metric in one group.
type Check struct {
	Group
	Metric   Metric  `json:"metric"`
	Quantile float64 `json:"quantile"`
	// Budget is the allowed relative regression; the margin is 1 + Budget.
	Budget float64 `json:"budget"`
	// NBase and NNew are the requests with this metric defined on each side.
	NBase int `json:"n_base"`
	NNew  int `json:"n_new"`
	// RoundsBase and RoundsNew count the runs (distinct run ids) pooled on
	// each side; Design says how they were laid out, which decides the
	// interval (see Compare).
	RoundsBase int    `json:"rounds_base"`
	RoundsNew  int    `json:"rounds_new"`
	Design     Design `json:"design"`
	// FromTotal marks an E2E check read from total_s because neither
	// side's records have e2e_s (the seed's format).
	FromTotal bool `json:"from_total_s,omitempty"`
	// Base and New are the quantile in seconds on each side.
	Base verdict.Float `json:"base_s"`
	New  verdict.Float `json:"new_s"`
	// Ratio is New/Base, CI its percentile bootstrap interval.
	Ratio   verdict.Float   `json:"ratio"`
	CI      stats.CI        `json:"ci"`
	Outcome verdict.Outcome `json:"outcome"`
	// NeededN estimates the requests per side that would likely decide an
	// inconclusive check (stats.NeededN); 0 when not applicable or unknown.
	NeededN int `json:"needed_n,omitempty"`
	// NeededRounds is the same estimate in rounds per side, for pooled
	// interleaved sessions, where rounds rather than requests bound the
	// interval's width.
	NeededRounds int    `json:"needed_rounds,omitempty"`
	Detail       string `json:"detail,omitempty"`
}

// Name is the check's label: short_long/c=8 ttft p90.
func (c Check) Name() string {
	return fmt.Sprintf("%s %s %s", c.Group, c.Metric, QuantileName(c.Quantile))
}

// QuantileName formats 0.5 as p50 and 0.99 as p99.
func QuantileName(q float64) string {
	return "p" + strconv.FormatFloat(q*100, 'f', -1, 64)
}

// Report is the result of comparing two runs.
type Report struct {
	Outcome verdict.Outcome `json:"outcome"`
	Checks  []Check         `json:"checks"`
	// OnlyBase and OnlyNew are groups present in one run only; they are
	// not compared.
	OnlyBase []Group `json:"only_base,omitempty"`
	OnlyNew  []Group `json:"only_new,omitempty"`
	// Errors counts failed requests per side and group.
	Errors []GroupErrors `json:"errors,omitempty"`
	// Warnings carry everything that makes the comparison less than a like
	// for like one: different machines or targets, interrupted runs, errors.
	Warnings []string `json:"warnings,omitempty"`
	Options  Options  `json:"options"`
	Base     *Source  `json:"base,omitempty"`
	New      *Source  `json:"new,omitempty"`
	// NeededN and NeededRounds are the largest of the inconclusive checks.
	NeededN      int `json:"needed_n,omitempty"`
	NeededRounds int `json:"needed_rounds,omitempty"`
	// NotCompared lists metrics no record on either side carries (TPOT in
	// the seed's format), per group: reported, not counted as checks.
	NotCompared []NotCompared `json:"not_compared,omitempty"`
	// Operating is what the calibration measured for the gate in the
	// design of its checks (see OperatingFor); nil when not calibrated.
	Operating *Operating `json:"operating_characteristics,omitempty"`
	// Time names the time the figures are in (set by Runs): simulated
	// time for two embedded engine runs with stamps, else wall clock.
	Time string `json:"time,omitempty"`
}

// NotCompared is a metric of a group that neither side measured.
type NotCompared struct {
	Group
	Metric Metric `json:"metric"`
	Reason string `json:"reason"`
}

// GroupErrors counts a group's requests and failures on both sides.
type GroupErrors struct {
	Group
	BaseN      int `json:"base_n"`
	BaseErrors int `json:"base_errors"`
	NewN       int `json:"new_n"`
	NewErrors  int `json:"new_errors"`
	// Outcome is the error-rate check's (see gate): fail when the new
	// run fails significantly more requests; P is its one-sided p-value.
	Outcome verdict.Outcome `json:"outcome"`
	P       float64         `json:"p"`
	Detail  string          `json:"detail,omitempty"`
}

// Compare runs the non-inferiority gate per profile × concurrency on the
// groups present in both runs: for every metric and quantile, the
// percentile bootstrap CI of quantile(new)/quantile(base), resampling whole
// requests of each side independently (and, when a side pools several runs,
// those runs first: see bootstrapRatio). A check passes when the CI's upper
// bound is at most 1 + budget, fails when its lower bound exceeds 1 +
// budget, and is inconclusive otherwise (and when either side has fewer
// than MinN requests). A group with failed requests also gets an
// error-rate check (GroupErrors.gate), which fails when the new run fails
// significantly more requests. The report's outcome is fail if any check fails,
// else inconclusive if any is inconclusive (or nothing could be compared),
// else pass.
func Compare(base, cand []record.Record, opts Options) Report {
	o := opts.withDefaults()
	rep := Report{Options: o}
	bg, cg := byGroup(base), byGroup(cand)
	var common []Group
	for g := range bg {
		if _, ok := cg[g]; ok {
			common = append(common, g)
		} else {
			rep.OnlyBase = append(rep.OnlyBase, g)
		}
	}
	for g := range cg {
		if _, ok := bg[g]; !ok {
			rep.OnlyNew = append(rep.OnlyNew, g)
		}
	}
	for _, s := range [][]Group{common, rep.OnlyBase, rep.OnlyNew} {
		slices.SortFunc(s, Group.compare)
	}
	for _, g := range common {
		b, c := bg[g], cg[g]
		ge := GroupErrors{Group: g, BaseN: len(b), NewN: len(c), BaseErrors: failed(b), NewErrors: failed(c)}
		if ge.BaseErrors+ge.NewErrors > 0 {
			ge.gate((1 - o.Level) / 2)
			rep.Errors = append(rep.Errors, ge)
			if rate(ge.NewErrors, ge.NewN) > rate(ge.BaseErrors, ge.BaseN) {
				rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: the new run failed %d of %d requests, the baseline %d of %d; latencies compare successful requests only",
					g, ge.NewErrors, ge.NewN, ge.BaseErrors, ge.BaseN))
			}
		}
		for _, m := range o.Metrics {
			bx, cx := values(b, m, false), values(c, m, false)
			total := false
			if bx.n() == 0 && cx.n() == 0 {
				if m == E2E {
					bx, cx, total = values(b, m, true), values(c, m, true), true
				}
				if bx.n() == 0 && cx.n() == 0 {
					if ge.BaseN > ge.BaseErrors && ge.NewN > ge.NewErrors {
						rep.NotCompared = append(rep.NotCompared, NotCompared{Group: g, Metric: m,
							Reason: fmt.Sprintf("no successful request on either side has %s", m.field())})
					}
					continue
				}
			}
			for _, q := range o.Quantiles {
				ck := check(g, m, q, bx, cx, o)
				if total {
					ck.FromTotal = true
					ck.Detail = strings.TrimPrefix(ck.Detail+"; e2e read from total_s (the records have no e2e_s)", "; ")
				}
				rep.Checks = append(rep.Checks, ck)
			}
		}
	}
	if len(rep.OnlyBase) > 0 {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("%d group(s) only in the baseline, not compared: %s", len(rep.OnlyBase), joinGroups(rep.OnlyBase)))
	}
	if len(rep.OnlyNew) > 0 {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("%d group(s) only in the new run, not compared: %s", len(rep.OnlyNew), joinGroups(rep.OnlyNew)))
	}
	rep.combine()
	rep.Operating = OperatingFor(rep.Checks)
	return rep
}

// combine sets the report's outcome and NeededN from its checks.
func (r *Report) combine() {
	if len(r.Checks) == 0 {
		r.Outcome = verdict.Inconclusive
		r.Warnings = append(r.Warnings, "no profile × concurrency group is present in both runs: nothing was compared")
		return
	}
	outs := make([]verdict.Outcome, 0, len(r.Checks)+len(r.Errors))
	for _, c := range r.Checks {
		outs = append(outs, c.Outcome)
		if c.Outcome == verdict.Inconclusive {
			r.NeededN = max(r.NeededN, c.NeededN)
			r.NeededRounds = max(r.NeededRounds, c.NeededRounds)
		}
	}
	for _, e := range r.Errors {
		outs = append(outs, e.Outcome) // the error rate is gated too
	}
	r.Outcome = verdict.Combine(outs...)
}

// check runs one non-inferiority test on the design its rounds allow (see
// Design and roundStats.interval).
func check(g Group, m Metric, q float64, base, cand sample, o Options) Check {
	c := Check{Group: g, Metric: m, Quantile: q, Budget: o.BudgetFor(m), NBase: base.n(), NNew: cand.n(),
		RoundsBase: len(base.rounds), RoundsNew: len(cand.rounds)}
	c.Base = verdict.Float(stats.Quantile(base.flat, q))
	c.New = verdict.Float(stats.Quantile(cand.flat, q))
	c.Ratio = verdict.Float(math.NaN())
	c.CI = stats.CI{Lo: math.NaN(), Hi: math.NaN(), Level: o.Level}
	c.Outcome = verdict.Inconclusive
	margin := 1 + c.Budget
	if n := min(base.n(), cand.n()); n < o.MinN {
		c.NeededN = o.MinN
		switch {
		case base.n() == 0:
			c.Detail = fmt.Sprintf("the baseline has no %s values (%d in the new run)", m.field(), cand.n())
		case cand.n() == 0:
			c.Detail = fmt.Sprintf("the new run has no %s values (%d in the baseline)", m.field(), base.n())
		default:
			c.Detail = fmt.Sprintf("too few requests (%d base, %d new; at least %d per side)", base.n(), cand.n(), o.MinN)
		}
		return c
	}
	rs := newRoundStats(base, cand, q)
	c.Design = rs.design
	var ratio float64
	var ci, req stats.CI
	if rs.design == SingleRound {
		rng := rand.New(rand.NewPCG(o.Seed, streamOf(c.Name())))
		ratio, req = requestInterval(rng, base, cand, q, o.B, o.Level)
		ci = req
		c.Ratio, c.CI = verdict.Float(ratio), ci
		if o.RunToRun <= 0 {
			c.Detail = "one run per side: the interval sees only the variation among its requests, not between runs, so it can neither show a regression nor rule one out; interleave rounds (hypobench abab) or give the run-to-run variation (--run-to-run)"
			return c
		}
		ci = widen(ratio, ci, o.RunToRun)
	} else {
		ratio, ci, _, _ = rs.interval(o.Level)
	}
	c.Ratio, c.CI = verdict.Float(ratio), ci
	switch {
	case !ci.Valid():
		c.Detail = "interval undefined (a zero baseline?)"
	case ci.Hi <= margin:
		c.Outcome = verdict.Pass
	case ci.Lo > margin:
		c.Outcome = verdict.Fail
	default:
		// The interval straddles the margin: estimate the rounds (or,
		// with one run per side and a given run-to-run variation, nothing
		// useful: more requests do not shrink the between-run part) at
		// which its half-width would shrink to the estimate's distance
		// from the margin.
		dist := math.Abs(math.Log(margin) - math.Log(ratio))
		if rs.design != SingleRound {
			if need := rs.neededRounds(o.Level, dist); need > 0 {
				c.NeededRounds = need
			}
		} else if c.NeededN = neededRequests(ratio, req, o, dist, min(base.n(), cand.n())); c.NeededN == 0 {
			c.NeededRounds = 2 // the run-to-run part alone is wider than dist: only rounds help
		}
		c.Detail = fmt.Sprintf("the CI straddles the margin %.3g", margin)
	}
	return c
}

// widen adds a run-to-run variation of log-sd sigma on each side to a
// request-level interval: on the log scale the half-width becomes
// z·√(se² + 2σ²), se the request-level interval's wider arm over z.
func widen(ratio float64, ci stats.CI, sigma float64) stats.CI {
	if !ci.Valid() || !(ratio > 0) {
		return ci
	}
	z := distuv.UnitNormal.Quantile((1 + ci.Level) / 2)
	se := max(math.Log(ci.Hi/ratio), math.Log(ratio/ci.Lo)) / z
	h := z * math.Sqrt(se*se+2*sigma*sigma)
	return stats.CI{Lo: ratio * math.Exp(-h), Hi: ratio * math.Exp(h), Level: ci.Level}
}

// neededRequests estimates, for one run per side with a given run-to-run
// variation, the requests per side at which the request-level part of the
// interval would leave room for the run-to-run part within dist (log
// scale); 0 when the run-to-run part alone is wider than dist.
func neededRequests(ratio float64, req stats.CI, o Options, dist float64, n int) int {
	if !req.Valid() || !(ratio > 0) {
		return 0
	}
	z := distuv.UnitNormal.Quantile((1 + o.Level) / 2)
	room := dist*dist - 2*z*z*o.RunToRun*o.RunToRun
	if room <= 0 {
		return 0
	}
	arm := max(math.Log(req.Hi/ratio), math.Log(ratio/req.Lo))
	return max(0, stats.NeededN(n, arm, math.Sqrt(room)))
}

// field names the record field a metric is read from.
func (m Metric) field() string { return string(m) + "_s" }

// streamOf derives a PCG stream from a check's name.
func streamOf(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}

// byGroup splits rs by group, in order, pointing into rs (a copy of a
// run's records per group would double what a comparison holds).
func byGroup(rs []record.Record) map[Group][]*record.Record {
	count := map[Group]int{}
	for i := range rs {
		count[groupOf(&rs[i])]++
	}
	m := make(map[Group][]*record.Record, len(count))
	for g, n := range count {
		m[g] = make([]*record.Record, 0, n)
	}
	for i := range rs {
		g := groupOf(&rs[i])
		m[g] = append(m[g], &rs[i])
	}
	return m
}

// groupOf is r's group: profile × concurrency, or profile × target rate
// for an open-loop record (whose concurrency is what was in flight).
func groupOf(r *record.Record) Group {
	if r.TargetRate > 0 {
		return Group{Profile: r.Profile, Rate: r.TargetRate}
	}
	return Group{Profile: r.Profile, Concurrency: r.Concurrency}
}

func failed(rs []*record.Record) int {
	n := 0
	for i := range rs {
		if !rs[i].OK() {
			n++
		}
	}
	return n
}

func rate(k, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(k) / float64(n)
}

func joinGroups(gs []Group) string {
	s := make([]string, len(gs))
	for i, g := range gs {
		s[i] = g.String()
	}
	return strings.Join(s, ", ")
}

// MaxBudget is the largest budget ParseBudget accepts: 1000%.
const MaxBudget = 10.0

// ParseBudget parses an allowed regression written as a percentage ("5%",
// "2.5%") or a fraction ("0.05"). It must be positive and at most
// MaxBudget.
func ParseBudget(s string) (float64, error) {
	t := strings.TrimSpace(s)
	pct := strings.HasSuffix(t, "%")
	t = strings.TrimSpace(strings.TrimSuffix(t, "%"))
	v, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return 0, fmt.Errorf("budget %q: want a percentage such as 5%% or a fraction such as 0.05", s)
	}
	if pct {
		v /= 100
	}
	if !(v > 0) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("budget %q: must be positive", s)
	}
	if v > MaxBudget {
		return 0, fmt.Errorf("budget %q: above %g%% the gate would pass anything", s, MaxBudget*100)
	}
	return v, nil
}
