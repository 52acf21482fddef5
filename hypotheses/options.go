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
	out := make([]record.Record, 0, len(recs))
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

// trendCheck is the one-sided Kendall τ-b test of y on x with a seeded
// permutation p-value (resampling stream stream); the effect is τ with its
// bootstrap CI at 1 − 2α. It passes when p < α, fails when the whole CI of
// τ lies at or below 0 (the data contradict a rising trend), and is
// otherwise inconclusive: a trend that is merely not significant does not
// contradict a claim by itself (the deciding checks do that).
func trendCheck(name, claim string, xs, ys []float64, stream uint64, o Options) verdict.Check {
	kt := stats.KendallTestLevel(o.rng(stream), xs, ys, stats.Greater, o.B, o.level())
	c := verdict.Check{Name: name, Claim: claim, Test: "Kendall τ-b, " + kt.Method, Statistic: verdict.Float(kt.Statistic),
		P: verdict.P(kt.P), Alpha: o.Alpha, Effect: verdict.Float(kt.Statistic), EffectCI: kt.EffectCI, Unit: "τ", N: kt.N, Outcome: verdict.Inconclusive}
	switch {
	case kt.P < o.Alpha:
		c.Outcome = verdict.Pass
	case verdict.CIOutcome(kt.EffectCI, 0, true) == verdict.Fail:
		c.Outcome = verdict.Fail
	}
	return c
}
