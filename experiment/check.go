package experiment

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/stats"
	"github.com/hypobench/hypobench/verdict"
)

var nan = math.NaN()

// MinRounds is the fewest rounds a round-based check decides on: with
// fewer, its t interval has no useful width and the check is
// inconclusive.
const MinRounds = 3

// Options are the statistical settings of the checks, H1–H4's included
// (hypotheses.Options is this type). Zero fields take DefaultOptions'
// values.
type Options struct {
	Alpha float64 // one-sided significance level (0.05; see package verdict)
	B     int     // permutation and bootstrap resamples (2000)
	Seed  uint64  // seeds every resampling
}

// DefaultOptions are the settings used where a field is zero.
var DefaultOptions = Options{Alpha: 0.05, B: 2000, Seed: 1}

// WithDefaults returns o with its zero Alpha and B taken from
// DefaultOptions (a zero Seed is a seed like any other and stays).
func (o Options) WithDefaults() Options {
	if o.Alpha == 0 {
		o.Alpha = DefaultOptions.Alpha
	}
	if o.B == 0 {
		o.B = DefaultOptions.B
	}
	return o
}

// Level is the two-sided interval level 1 − 2α whose each tail is α: the
// level of every interval a check decides by.
func (o Options) Level() float64 { return 1 - 2*o.Alpha }

// RNG returns the resampling generator of stream stream, seeded by Seed:
// checks that draw from streams of their own draw the same resamples
// whatever other checks ran before them.
func (o Options) RNG(stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(o.Seed, stream))
}

// Metric is a per-request quantity: Value returns it for a record, false
// where it is undefined (TPOT with fewer than two tokens).
type Metric struct {
	Name, Unit string
	Value      func(r *record.Record) (float64, bool)
}

func ptr(p *float64) (float64, bool) {
	if p == nil || math.IsNaN(*p) {
		return 0, false
	}
	return *p, true
}

// The metrics of a record (see record/doc.go for where each clock starts
// and stops). In an embedded engine's run they are in the modelled GPU's
// simulated time (record.TimeBase), as every report shows them.
var (
	TTFT     = Metric{Name: "TTFT", Unit: "s", Value: func(r *record.Record) (float64, bool) { return ptr(r.TTFT) }}
	TTFTText = Metric{Name: "TTFT to text", Unit: "s", Value: func(r *record.Record) (float64, bool) { return ptr(r.TTFTText) }}
	E2E      = Metric{Name: "E2E", Unit: "s", Value: func(r *record.Record) (float64, bool) { return ptr(r.E2E) }}
	TPOT     = Metric{Name: "TPOT", Unit: "s", Value: func(r *record.Record) (float64, bool) { return ptr(r.TPOT) }}
	// TTFTFromDue is TTFT counted from the instant an open-loop schedule
	// made the request due (send lag included; free of coordinated
	// omission); undefined in closed-loop runs.
	TTFTFromDue = Metric{Name: "TTFT from due", Unit: "s", Value: func(r *record.Record) (float64, bool) { return ptr(r.TTFTIntended) }}
)

// Measure is a metric's statistic over a round's requests: its Q-quantile
// (Hyndman–Fan type 7, stats.Quantile).
type Measure struct {
	Metric Metric
	Q      float64
}

// Median is m's median.
func Median(m Metric) Measure { return Measure{Metric: m, Q: 0.5} }

// Quantile is m's q-quantile (0.9 for p90).
func Quantile(m Metric, q float64) Measure { return Measure{Metric: m, Q: q} }

// Check is one falsifiable part of a claim: Decide returns its verdict
// checks on a result (one per group an SLO covers, else one), Measure the
// measure its evidence table shows. The checks of this package are built
// by Ratio, Difference, SLO, Trend and Elasticity; write one's own by
// implementing the interface.
type Check interface {
	Decide(r *Result, o Options) []verdict.Check
	Measure() Measure
}

// Comparison is a measure compared between two groups, A over B (Ratio)
// or A − B (Difference), per round. Its methods state the claim.
type Comparison struct {
	m     Measure
	a, b  string
	ratio bool
}

// Ratio compares m between groups a and b as the ratio a/b of their
// per-round statistics: the check's per-round estimate is log(a/b), and
// the rounds are its independent units (t interval of their mean, level
// 1 − 2α, shown back on the ratio scale).
func Ratio(m Measure, a, b string) Comparison { return Comparison{m: m, a: a, b: b, ratio: true} }

// Difference compares m between groups a and b as the difference a − b of
// their per-round statistics, in m's unit, the rounds its units.
func Difference(m Measure, a, b string) Comparison { return Comparison{m: m, a: a, b: b} }

// Below claims the ratio (difference) lies below bound: pass when the
// whole interval lies below it, fail when the whole interval lies at or
// above it, inconclusive otherwise.
func (c Comparison) Below(bound float64) Check {
	return compareCheck{Comparison: c, bound: bound, kind: "below"}
}

// Above claims the ratio (difference) lies above bound.
func (c Comparison) Above(bound float64) Check {
	return compareCheck{Comparison: c, bound: bound, kind: "above"}
}

// Within claims equivalence: the ratio lies within [1/(1+margin),
// 1+margin] (a difference within [−margin, margin]). Two one-sided tests
// (TOST) at α: pass when the whole 1 − 2α interval lies inside, fail when
// it lies wholly outside, inconclusive otherwise.
func (c Comparison) Within(margin float64) Check {
	return compareCheck{Comparison: c, bound: margin, kind: "within"}
}

// NonInferior claims a (the candidate) is no more than margin worse —
// slower — than b (the baseline): a ratio below 1 + margin (a difference
// below margin). Pass when the interval's upper end lies below the
// bound, fail when its lower end lies at or above it.
func (c Comparison) NonInferior(margin float64) Check {
	return compareCheck{Comparison: c, bound: margin, kind: "noninferior"}
}

type compareCheck struct {
	Comparison
	bound float64
	kind  string
}

func (c compareCheck) Measure() Measure { return c.m }

func (c compareCheck) Decide(r *Result, o Options) []verdict.Check {
	what := fmt.Sprintf("%s of %s, %s over %s", map[bool]string{true: "ratio", false: "difference"}[c.ratio], c.m, c.a, c.b)
	if !c.ratio {
		what = fmt.Sprintf("difference of %s, %s − %s", c.m, c.a, c.b)
	}
	sp := RoundSpec{Name: c.kind, Test: "per-round " + what, Unit: c.m.Metric.Unit}
	if c.ratio {
		sp.Unit = "×"
		sp.Show = math.Exp
	}
	scale := func(x float64) float64 {
		if c.ratio {
			return math.Log(x)
		}
		return x
	}
	switch c.kind {
	case "below":
		sp.Bound, sp.Claim = scale(c.bound), fmt.Sprintf("%s below %s", what, verdict.Num(c.bound))
	case "above":
		sp.Bound, sp.Greater, sp.Claim = scale(c.bound), true, fmt.Sprintf("%s above %s", what, verdict.Num(c.bound))
	case "within":
		if c.ratio {
			sp.Band = math.Log1p(c.bound)
			sp.Claim = fmt.Sprintf("%s within [%s, %s] (equivalent within %g%%)", what, verdict.Num(1/(1+c.bound)), verdict.Num(1+c.bound), c.bound*100)
		} else {
			sp.Band = c.bound
			sp.Claim = fmt.Sprintf("%s within ±%s %s (equivalent)", what, verdict.Num(c.bound), c.m.Metric.Unit)
		}
		sp.Test = "TOST: " + sp.Test
	case "noninferior":
		if c.ratio {
			sp.Bound = math.Log1p(c.bound)
			sp.Claim = fmt.Sprintf("%s not worse than %s by more than %g%%: %s below %s", c.a, c.b, c.bound*100, what, verdict.Num(1+c.bound))
		} else {
			sp.Bound = c.bound
			sp.Claim = fmt.Sprintf("%s not worse than %s by more than %s %s", c.a, c.b, verdict.Num(c.bound), c.m.Metric.Unit)
		}
		sp.Test = "non-inferiority: " + sp.Test
	}
	ga, okA := r.Group(c.a)
	gb, okB := r.Group(c.b)
	if !okA || !okB {
		ch := RoundCheck(sp, nil, o)
		ch.Detail = fmt.Sprintf("the result has no group %q or %q (groups: %s)", c.a, c.b, labels(r))
		return []verdict.Check{ch}
	}
	rounds := r.rounds()
	va, na := ga.perRound(c.m, rounds)
	vb, nb := gb.perRound(c.m, rounds)
	ests := make([]float64, len(rounds))
	for i := range rounds {
		if c.ratio {
			ests[i] = LogRatio(va[i], vb[i])
		} else {
			ests[i] = va[i] - vb[i]
		}
	}
	sp.PerRound = max(na, nb)
	ch := RoundCheck(sp, ests, o)
	if ch.EffectCI.Valid() {
		unit := " " + sp.Unit
		if c.ratio {
			unit = "×"
		}
		ch.Sentence = fmt.Sprintf("%s: %s%s, %g%% CI %s–%s%s over %d rounds (claim: %s)", what, verdict.Num(ch.Effect), unit,
			ch.EffectCI.Level*100, verdict.Num(ch.EffectCI.Lo), verdict.Num(ch.EffectCI.Hi), unit, ch.N, claimTail(c))
	}
	return []verdict.Check{ch}
}

func claimTail(c compareCheck) string {
	switch c.kind {
	case "below", "above":
		return c.kind + " " + verdict.Num(c.bound)
	case "within":
		if c.ratio {
			return fmt.Sprintf("within %s–%s", verdict.Num(1/(1+c.bound)), verdict.Num(1+c.bound))
		}
		return "within ±" + verdict.Num(c.bound)
	}
	if c.ratio {
		return "below " + verdict.Num(1+c.bound)
	}
	return "below " + verdict.Num(c.bound)
}

func labels(r *Result) string {
	s := ""
	for i, g := range r.Groups {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%q", g.Label)
	}
	return s
}

// SLOCheck is an SLO on a measure: SLO builds it, UpTo limits the groups
// it covers.
type SLOCheck struct {
	m     Measure
	bound float64
	upTo  float64
}

// SLO claims that m stays below bound (in m's unit) in every group: per
// group, the per-round statistic's t interval over rounds on the log
// scale (level 1 − 2α) must lie below log(bound). One verdict check per
// group, the highest level first; the verdict passes only when every
// group does.
func SLO(m Measure, bound float64) SLOCheck { return SLOCheck{m: m, bound: bound} }

// UpTo limits the SLO to the groups whose level X is at most x (a
// concurrency or a rate).
func (c SLOCheck) UpTo(x float64) SLOCheck { c.upTo = x; return c }

// Measure implements Check.
func (c SLOCheck) Measure() Measure { return c.m }

// Decide implements Check.
func (c SLOCheck) Decide(r *Result, o Options) []verdict.Check {
	rounds := r.rounds()
	var out []verdict.Check
	// The highest level first: it is the one nearest the bound, so a
	// passing verdict's headline shows it.
	for i := len(r.Groups) - 1; i >= 0; i-- {
		g := &r.Groups[i]
		if c.upTo > 0 && g.X > c.upTo {
			continue
		}
		vals, per := g.perRound(c.m, rounds)
		ests := make([]float64, len(vals))
		for k, v := range vals {
			ests[k] = LogRatio(v, 1)
		}
		ch := RoundCheck(RoundSpec{Name: "slo " + g.Label, Claim: fmt.Sprintf("%s at %s below %s %s", c.m, g.Label, verdict.Num(c.bound), c.m.Metric.Unit),
			Test: "per-round " + c.m.String() + " (log scale)", Unit: c.m.Metric.Unit, Bound: math.Log(c.bound), Show: math.Exp, PerRound: per}, ests, o)
		if ch.EffectCI.Valid() {
			ch.Sentence = fmt.Sprintf("%s at %s: %s %s, %g%% CI %s–%s over %d rounds (SLO %s %s)", c.m, g.Label, verdict.Num(ch.Effect), c.m.Metric.Unit,
				ch.EffectCI.Level*100, verdict.Num(ch.EffectCI.Lo), verdict.Num(ch.EffectCI.Hi), ch.N, verdict.Num(c.bound), c.m.Metric.Unit)
		}
		out = append(out, ch)
	}
	if len(out) == 0 {
		ch := RoundCheck(RoundSpec{Name: "slo", Claim: fmt.Sprintf("%s below %s", c.m, verdict.Num(c.bound))}, nil, o)
		ch.Detail = fmt.Sprintf("no group has a level at or below %g (groups: %s)", c.upTo, labels(r))
		out = append(out, ch)
	}
	return out
}

// Direction is a trend's claimed direction.
type Direction bool

// Directions of a trend.
const (
	Rising  Direction = true
	Falling Direction = false
)

type trendCheck struct {
	m   Metric
	dir Direction
}

// KendallTrend is the one-sided Kendall τ-b test that ys rise (fall)
// with xs — the check behind Trend and H1's and H2's trend checks — with
// a permutation p-value drawn from resampling stream stream (o.RNG) and
// τ's bootstrap interval at 1 − 2α as the effect. It passes when p < α,
// fails when the whole interval of τ lies at or beyond 0 on the other
// side (the data contradict the direction), and is otherwise
// inconclusive: a trend that is merely not significant does not
// contradict a claim by itself.
func KendallTrend(name, claim string, xs, ys []float64, dir Direction, stream uint64, o Options) verdict.Check {
	alt := stats.Greater
	if dir == Falling {
		alt = stats.Less
	}
	kt := stats.KendallTestLevel(o.RNG(stream), xs, ys, alt, o.B, o.Level())
	c := verdict.Check{Name: name, Claim: claim, Test: "Kendall τ-b, " + kt.Method, Statistic: verdict.Float(kt.Statistic),
		P: verdict.P(kt.P), Alpha: o.Alpha, Effect: verdict.Float(kt.Statistic), EffectCI: kt.EffectCI, Unit: "τ", N: kt.N, Outcome: verdict.Inconclusive}
	switch {
	case kt.P < o.Alpha:
		c.Outcome = verdict.Pass
	case verdict.CIOutcome(kt.EffectCI, 0, dir == Rising) == verdict.Fail:
		c.Outcome = verdict.Fail
	}
	return c
}

// Trend claims m rises (falls) with the groups' level X: the one-sided
// Kendall τ-b of m on X over requests, with a seeded permutation p-value
// and a bootstrap interval of τ (as H1's and H2's trend checks). The
// unit is the request, which is sound at concurrency 1 where requests
// share no batch (use Elasticity, whose unit is the round, otherwise).
// Pass when p < α; fail when the whole interval of τ lies at or beyond
// 0 on the other side; inconclusive otherwise, and with fewer than 3
// levels (KendallTrend).
func Trend(m Metric, dir Direction) Check { return trendCheck{m: m, dir: dir} }

func (c trendCheck) Measure() Measure { return Median(c.m) }

func (c trendCheck) Decide(r *Result, o Options) []verdict.Check {
	var xs, ys []float64
	for _, g := range r.Groups {
		for _, y := range g.values(c.m) {
			xs = append(xs, g.X)
			ys = append(ys, y)
		}
	}
	word := "rises"
	if c.dir == Falling {
		word = "falls"
	}
	ch := KendallTrend("trend", fmt.Sprintf("%s %s with the level", c.m.Name, word), xs, ys, c.dir, 1, o)
	ch.Sample = fmt.Sprintf("%d requests", len(xs))
	if len(r.Groups) < 3 {
		ch.Outcome = verdict.Inconclusive
		ch.Detail = fmt.Sprintf("%d levels; a trend needs at least 3", len(r.Groups))
	}
	return []verdict.Check{ch}
}

type elasticityCheck struct {
	m       Measure
	bound   float64
	greater bool
}

// Elasticity is the growth exponent of m with the level: per round, the
// Theil–Sen slope of log(per-level statistic) on log(level), the rounds
// its units. Its methods state the claim.
func Elasticity(m Measure) ElasticityOf { return ElasticityOf{m: m} }

// ElasticityOf is an elasticity awaiting its claim.
type ElasticityOf struct{ m Measure }

// Above claims the exponent lies above bound (0: m rises with the level).
func (e ElasticityOf) Above(bound float64) Check {
	return elasticityCheck{m: e.m, bound: bound, greater: true}
}

// Below claims the exponent lies below bound (1: m grows sub-linearly).
func (e ElasticityOf) Below(bound float64) Check { return elasticityCheck{m: e.m, bound: bound} }

func (c elasticityCheck) Measure() Measure { return c.m }

func (c elasticityCheck) Decide(r *Result, o Options) []verdict.Check {
	rounds := r.rounds()
	vals := make([][]float64, len(r.Groups))
	per := 0
	for i := range r.Groups {
		var n int
		vals[i], n = r.Groups[i].perRound(c.m, rounds)
		per = max(per, n)
	}
	xs := make([]float64, len(r.Groups))
	for i, g := range r.Groups {
		xs[i] = g.X
	}
	ests := make([]float64, len(rounds))
	ys := make([]float64, len(r.Groups))
	for k := range rounds {
		for i := range r.Groups {
			ys[i] = vals[i][k]
		}
		ests[k] = LogLogSlope(xs, ys)
	}
	side := "below"
	if c.greater {
		side = "above"
	}
	ch := RoundCheck(RoundSpec{Name: "elasticity", Claim: fmt.Sprintf("growth exponent of %s with the level %s %s", c.m, side, verdict.Num(c.bound)),
		Test: "per-round Theil–Sen slope of log " + c.m.String() + " on log level", Unit: "exponent", Bound: c.bound, Greater: c.greater, PerRound: per}, ests, o)
	return []verdict.Check{ch}
}

// RoundSpec describes a round-based check (RoundCheck): its per-round
// estimate lives on an analysis scale (a log ratio, an exponent) where it
// is close to normal, and Show maps that scale to the effect a person
// reads (exp: a log ratio shown as a ratio).
type RoundSpec struct {
	// Name, Claim, Test and Unit are the verdict check's; Test gains ",
	// t interval over rounds", and Unit is the shown effect's.
	Name, Claim, Test, Unit string
	// Bound is on the analysis scale; Greater: the claim is "estimate >
	// Bound", else "estimate < Bound". Band > 0 makes the claim an
	// equivalence, |estimate| < Band (Bound and Greater unused).
	Bound   float64
	Greater bool
	Band    float64
	// Show maps the analysis scale to the effect's (nil: identity).
	Show func(float64) float64
	// PerRound is the requests per group (level) of one round, to turn
	// needed rounds into needed requests per group.
	PerRound int
	// SkewCorrected takes the interval from stats.SkewTInterval (Hall's
	// skewness-corrected t) instead of stats.TInterval, for per-round
	// estimates whose distribution is skewed (H3's admission check: a
	// plain t interval over 6 rounds passed 10.4% of sessions at its
	// bound). The interval is then asymmetric.
	SkewCorrected bool
}

// RoundCheck decides a claim from one estimate per round — the rounds are
// the independent units: each ran every group once, in its own random
// order — by the t interval (stats.TInterval) of their mean at level
// 1 − 2α: pass when the interval lies wholly on the claimed side of the
// bound (inside the band), fail when wholly on the other side (outside;
// at the bound counts as outside), inconclusive otherwise or with fewer
// than MinRounds finite estimates (NaN and ±Inf are left out), saying
// then about how many rounds would likely decide it (NeededN, in
// requests per group). It is the check behind Ratio, Difference, SLO
// and Elasticity, and behind H1–H3's round checks.
func RoundCheck(sp RoundSpec, ests []float64, o Options) verdict.Check {
	show := sp.Show
	if show == nil {
		show = func(x float64) float64 { return x }
	}
	interval, test := stats.TInterval, ", t interval over rounds"
	if sp.SkewCorrected {
		interval, test = stats.SkewTInterval, ", skewness-corrected t interval over rounds (Hall)"
	}
	c := verdict.Check{Name: sp.Name, Claim: sp.Claim, Test: sp.Test + test, Alpha: o.Alpha, Unit: sp.Unit,
		Outcome: verdict.Inconclusive}
	var fin []float64
	for _, e := range ests {
		if !math.IsNaN(e) && !math.IsInf(e, 0) {
			fin = append(fin, e)
		}
	}
	c.N = len(fin)
	c.Sample = fmt.Sprintf("%d rounds", len(fin))
	if len(fin) < MinRounds {
		c.Statistic, c.Effect, c.EffectCI = verdict.Float(nan), verdict.Float(nan), stats.CI{Lo: nan, Hi: nan, Level: o.Level()}
		c.Detail = fmt.Sprintf("%d rounds with an estimate; at least %d are needed (the design's rounds)", len(fin), MinRounds)
		return c
	}
	m, ci := interval(fin, o.Level())
	c.Statistic = verdict.Float(m)
	c.Effect = verdict.Float(show(m))
	c.EffectCI = stats.CI{Lo: show(ci.Lo), Hi: show(ci.Hi), Level: ci.Level}
	lo, hi := sp.Bound, sp.Bound
	if sp.Band > 0 {
		lo, hi = -sp.Band, sp.Band
		switch {
		case !ci.Valid():
		case ci.Lo > lo && ci.Hi < hi:
			c.Outcome = verdict.Pass
		case ci.Hi < lo || ci.Lo > hi:
			c.Outcome = verdict.Fail
		}
		c.Detail = fmt.Sprintf("statistic = mean per-round estimate on the analysis scale; claim: inside [%s, %s] (effect scale [%s, %s])",
			verdict.Num(lo), verdict.Num(hi), verdict.Num(show(lo)), verdict.Num(show(hi)))
	} else {
		c.Outcome = verdict.CIOutcome(ci, sp.Bound, sp.Greater)
		side := "<"
		if sp.Greater {
			side = ">"
		}
		c.Detail = fmt.Sprintf("statistic = mean per-round estimate on the analysis scale; claim: %s %s (effect scale %s)",
			side, verdict.Num(sp.Bound), verdict.Num(show(sp.Bound)))
	}
	if c.Outcome == verdict.Inconclusive && ci.Valid() {
		target := math.Min(math.Abs(m-lo), math.Abs(m-hi))
		half := (ci.Hi - ci.Lo) / 2
		if sp.SkewCorrected {
			// Asymmetric: the side of the interval that reaches towards
			// the nearer bound.
			near := lo
			if math.Abs(m-hi) < math.Abs(m-lo) {
				near = hi
			}
			if near > m {
				half = ci.Hi - m
			} else {
				half = m - ci.Lo
			}
		}
		if need := stats.NeededN(len(fin), half, target); need > 0 {
			c.NeededN = need * max(sp.PerRound, 1)
			c.Detail += fmt.Sprintf("; about %d rounds would likely decide it", need)
		}
	}
	return c
}

// LogRatio is log(a/b), a ratio's per-round estimate on its analysis
// scale; NaN unless both are positive (RoundCheck leaves it out).
func LogRatio(a, b float64) float64 {
	if !(a > 0 && b > 0) {
		return nan
	}
	return math.Log(a / b)
}

// LogLogSlope is the Theil–Sen slope of log y on log x over the pairs
// where both are positive — the exponent of y's growth with x, an
// elasticity's per-round estimate over one round's level statistics;
// NaN with fewer than 3 such pairs.
func LogLogSlope(xs, ys []float64) float64 {
	var lx, ly []float64
	for i := range xs {
		if xs[i] > 0 && ys[i] > 0 {
			lx = append(lx, math.Log(xs[i]))
			ly = append(ly, math.Log(ys[i]))
		}
	}
	if len(lx) < 3 {
		return nan
	}
	s, _, _ := stats.TheilSen(lx, ly, 0.9)
	return s
}
