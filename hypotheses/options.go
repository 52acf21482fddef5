package hypotheses

import (
	"errors"
	"math"
	"sort"

	"github.com/hypobench/hypobench/experiment"
	"github.com/hypobench/hypobench/record"
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

// Options are the statistical settings shared by the built-in hypotheses:
// experiment's, which their checks are (α, resamples, seed). Zero fields
// take the values of DefaultOptions.
type Options = experiment.Options

// DefaultOptions are the settings used when a field is zero: a copy of
// experiment.DefaultOptions, which Options.WithDefaults reads.
var DefaultOptions = experiment.DefaultOptions

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
		out = append(out, experiment.EvidenceRow(label(g), g.x, g.ys, 0.5, level, unit))
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
