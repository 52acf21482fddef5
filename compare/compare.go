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
// undefined for it.
func (m Metric) value(r *record.Record) (float64, bool) {
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
	// B is the number of bootstrap replicates (DefaultB; at least 2000 is
	// what the gate is documented for).
	B int `json:"b"`
	// Level is the two-sided level of the bootstrap CI of new/base
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

// Group is one profile at one concurrency level.
type Group struct {
	Profile     string `json:"profile"`
	Concurrency int    `json:"concurrency"`
}

// String formats the group as benchmarks name it: short_long/c=8.
func (g Group) String() string { return g.Profile + "/c=" + strconv.Itoa(g.Concurrency) }

func (g Group) compare(h Group) int {
	return cmp.Or(strings.Compare(g.Profile, h.Profile), cmp.Compare(g.Concurrency, h.Concurrency))
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
	// each side; with more than one, the bootstrap resamples rounds too.
	RoundsBase int `json:"rounds_base"`
	RoundsNew  int `json:"rounds_new"`
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
		for _, m := range AllMetrics {
			bx, cx := values(b, m), values(c, m)
			for _, q := range o.Quantiles {
				rep.Checks = append(rep.Checks, check(g, m, q, bx, cx, o))
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

// check runs one non-inferiority test.
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
		c.Detail = fmt.Sprintf("too few requests (%d base, %d new; at least %d per side)", base.n(), cand.n(), o.MinN)
		return c
	}
	rng := rand.New(rand.NewPCG(o.Seed, streamOf(c.Name())))
	ratio, ci := bootstrapRatio(rng, base, cand, q, o.B, o.Level)
	c.Ratio, c.CI = verdict.Float(ratio), ci
	switch {
	case !ci.Valid():
		c.Detail = "bootstrap interval undefined (a zero baseline?)"
	case ci.Hi <= margin:
		c.Outcome = verdict.Pass
	case ci.Lo > margin:
		c.Outcome = verdict.Fail
	default:
		// The interval straddles the margin: estimate the n at which the
		// interval's arm facing the margin (percentile intervals are not
		// symmetric) would shrink to the estimate's distance from it.
		arm := ci.Hi - ratio
		if ratio > margin {
			arm = ratio - ci.Lo
		}
		if k := min(c.RoundsBase, c.RoundsNew); max(c.RoundsBase, c.RoundsNew) > 1 {
			if need := stats.NeededN(k, arm, math.Abs(margin-ratio)); need > 0 {
				c.NeededRounds = need
			}
		} else if need := stats.NeededN(min(base.n(), cand.n()), arm, math.Abs(margin-ratio)); need > 0 {
			c.NeededN = need
		}
		c.Detail = fmt.Sprintf("the CI straddles the margin %.3g", margin)
	}
	return c
}

// streamOf derives a PCG stream from a check's name.
func streamOf(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}

func byGroup(rs []record.Record) map[Group][]record.Record {
	m := map[Group][]record.Record{}
	for _, r := range rs {
		g := Group{Profile: r.Profile, Concurrency: r.Concurrency}
		m[g] = append(m[g], r)
	}
	return m
}

func failed(rs []record.Record) int {
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
