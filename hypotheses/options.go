package hypotheses

import (
	"errors"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/stats"
	"github.com/hypobench/hypobench/verdict"
)

// Sentinels of the warnings the analyses give beside stats' ErrTooFewData
// (too few levels) and ErrDropped (failed requests excluded); test for them
// with errors.Is on Verdict.Warnings.
var (
	// ErrStandIn: a stand-in replaces a quantity the server did not
	// report (H1's prompt_rep for prompt tokens).
	ErrStandIn = errors.New("a stand-in replaces a missing measurement")
	// ErrPoorFit: a model reported as found describes the data poorly
	// (H2's linear fit with R² < 0.9).
	ErrPoorFit = errors.New("poor fit")
	// ErrTrace: the kernel trace or its cut into phases is less than
	// clean (H4; the message is kerneltrace's warning).
	ErrTrace = errors.New("kernel trace problem")
)

// Options are the statistical settings shared by the built-in hypotheses.
// Zero fields take the values of DefaultOptions.
type Options struct {
	Alpha float64 // one-sided significance level (default 0.05)
	B     int     // bootstrap and permutation resamples (default 2000)
	Seed  uint64  // seeds every resampling
}

// DefaultOptions are the settings used when a field is zero.
var DefaultOptions = Options{Alpha: 0.05, B: 2000, Seed: 1}

func (o Options) withDefaults() Options {
	if o.Alpha == 0 {
		o.Alpha = DefaultOptions.Alpha
	}
	if o.B == 0 {
		o.B = DefaultOptions.B
	}
	return o
}

// level is the two-sided CI level whose one-sided tail is α.
func (o Options) level() float64 { return 1 - 2*o.Alpha }

func (o Options) rng(stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(o.Seed, stream))
}

// ok returns the records without an error class.
func ok(recs []record.Record) []record.Record {
	var out []record.Record
	for _, r := range recs {
		if r.OK() {
			out = append(out, r)
		}
	}
	return out
}

// group collects y values by an integer level key, sorted by key.
type group struct {
	key int
	x   float64
	ys  []float64
}

func groupBy(recs []record.Record, key func(*record.Record) int, x func(*record.Record) float64, y func(*record.Record) (float64, bool)) []group {
	m := map[int]*group{}
	for i := range recs {
		r := &recs[i]
		v, ok := y(r)
		if !ok {
			continue
		}
		k := key(r)
		g := m[k]
		if g == nil {
			g = &group{key: k}
			m[k] = g
		}
		g.x += x(r)
		g.ys = append(g.ys, v)
	}
	out := make([]group, 0, len(m))
	for _, g := range m {
		g.x /= float64(len(g.ys))
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

// evidence turns groups into evidence rows with distribution-free median CIs.
func evidence(gs []group, label func(group) string, unit string, level float64) []verdict.Level {
	var out []verdict.Level
	for _, g := range gs {
		ci, _ := stats.QuantileCI(g.ys, 0.5, level)
		out = append(out, verdict.Level{Label: label(g), X: verdict.Float(g.x), N: len(g.ys), Median: verdict.Float(stats.Median(g.ys)), MedianCI: ci, Unit: unit})
	}
	return out
}

func fptr(p *float64) (float64, bool) {
	if p == nil || math.IsNaN(*p) {
		return 0, false
	}
	return *p, true
}

// promptTokens is the server's prompt token count, or NaN.
func promptTokens(r *record.Record) float64 {
	if r.PromptTokens != nil {
		return float64(*r.PromptTokens)
	}
	return math.NaN()
}

// growthCheck is the materiality check shared by H1 and H2: the Theil–Sen
// slope of y on x, scaled to the relative growth of y over the observed x
// range, (slope × (x_max − x_min)) / median(y at the lowest level). The claim
// holds when the CI of that growth lies above minGrowth; it is contradicted
// when the CI lies below it. The baseline median is treated as fixed (its
// uncertainty is small next to the slope's at these sample sizes).
func growthCheck(name, claim, unit string, xs, ys []float64, base float64, minGrowth float64, o Options) verdict.Check {
	c := verdict.Check{Name: name, Claim: claim, Test: "Theil–Sen slope, Sen's CI", Alpha: o.Alpha, N: len(xs), Unit: unit}
	if len(xs) < 6 {
		c.Outcome = verdict.Inconclusive
		c.Detail = "fewer than 6 observations"
		return c
	}
	slope, _, ci := stats.TheilSen(xs, ys, o.level())
	lo, hi := minMax(xs)
	span := hi - lo
	c.Statistic = verdict.Float(slope)
	if !(base > 0) || span <= 0 {
		c.Outcome = verdict.Inconclusive
		c.Detail = "no spread in x or non-positive baseline"
		return c
	}
	scale := span / base
	c.Effect = verdict.Float(slope * scale)
	c.EffectCI = stats.CI{Lo: ci.Lo * scale, Hi: ci.Hi * scale, Level: ci.Level}
	c.Outcome = verdict.CIOutcome(c.EffectCI, minGrowth, true)
	c.Detail = "effect = relative growth over the x range; claim needs > " + verdict.Num(minGrowth)
	if c.Outcome == verdict.Inconclusive && c.EffectCI.Valid() {
		c.NeededN = neededFor(len(xs), c.EffectCI, float64(c.Effect), minGrowth)
	}
	return c
}

// neededFor estimates the n at which a CI centred on est would exclude bound,
// scaling its half-width by √(n/n').
func neededFor(n int, ci stats.CI, est, bound float64) int {
	half := (ci.Hi - ci.Lo) / 2
	target := math.Abs(est - bound)
	if target == 0 {
		return 0
	}
	return stats.NeededN(n, half, target)
}

func minMax(xs []float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range xs {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	return lo, hi
}

// trendCheck is the one-sided Kendall τ-b test of y on x with a seeded
// permutation p-value (resampling stream stream); the effect is τ with its
// bootstrap CI. It passes when p < α and is otherwise inconclusive: the
// absence of a significant trend does not contradict a claim by itself
// (growthCheck decides that).
func trendCheck(name, claim string, xs, ys []float64, stream uint64, o Options) verdict.Check {
	kt := stats.KendallTestLevel(o.rng(stream), xs, ys, stats.Greater, o.B, o.level())
	c := verdict.Check{Name: name, Claim: claim, Test: "Kendall τ-b, " + kt.Method, Statistic: verdict.Float(kt.Statistic),
		P: verdict.P(kt.P), Alpha: o.Alpha, Effect: verdict.Float(kt.Statistic), EffectCI: kt.EffectCI, Unit: "τ", N: kt.N, Outcome: verdict.Inconclusive}
	if kt.P < o.Alpha {
		c.Outcome = verdict.Pass
	}
	return c
}
