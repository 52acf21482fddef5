package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/hypobench/hypobench/kerneltrace"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/servermetrics"
)

// traceGlobs are the kernel-trace file names Build looks for in a run
// directory when Options.Trace is empty, in this order.
var traceGlobs = []string{
	"*.pt.trace.json", "*.pt.trace.json.gz", "trace.json", "trace.json.gz",
	"*.sqlite", "*cuda_gpu_trace*.csv", "*gputrace*.csv",
}

// serverMetricsSection summarizes server-metrics.jsonl per phase with
// package servermetrics. It returns nil without the file.
func serverMetricsSection(dir string, t *table, phases []record.Phase) (*Section, []error, error) {
	scrapes, bad, err := servermetrics.ReadFile(filepath.Join(dir, record.ServerMetricsFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, bad, err
	}
	var b bytes.Buffer
	if err := servermetrics.FormatMarkdown(&b, servermetrics.Summarize(scrapes, phases, t.wallRecords())); err != nil {
		return nil, bad, fmt.Errorf("formatting server metrics: %w", err)
	}
	return &Section{Title: "Server metrics (" + record.ServerMetricsFile + ")", Markdown: b.String()}, bad, nil
}

// findTrace returns the kernel trace to analyse: path when set, else the
// first file in dir matching traceGlobs, else "".
func findTrace(dir, path string) string {
	if path != "" {
		return path
	}
	for _, g := range traceGlobs {
		m, _ := filepath.Glob(filepath.Join(dir, g))
		sort.Strings(m)
		if len(m) > 0 {
			return m[0]
		}
	}
	return ""
}

// kernelSection loads and analyses a kernel trace against the run's
// phases: a per-phase table and a histogram of kernel durations per
// profile.
func kernelSection(ctx context.Context, path string, phases []record.Phase) (*Section, []Plot, error) {
	tr, err := kerneltrace.Load(ctx, path, kerneltrace.FormatAuto)
	if err != nil {
		return nil, nil, err
	}
	a, err := kerneltrace.Analyze(tr, phases, kerneltrace.DefaultOptions)
	if err != nil {
		return nil, nil, fmt.Errorf("analysing kernel trace %s: %w", filepath.Base(path), err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Trace `%s` (%s), phases placed by %s; long kernels: %s (threshold %v). %d kernels, %d outside every phase, %d memory operations left out. Durations in µs, quantiles Hyndman–Fan type 7.\n\n",
		filepath.Base(path), a.Format, a.Alignment, a.Threshold.Method, a.Threshold.Value, a.Kernels, a.Outside, a.Skipped)
	b.WriteString("| phase | profile | concurrency | kernels | busy | long share | short kernels/ms | p50 | p90 | p99 |\n")
	b.WriteString("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, p := range a.Phases {
		fmt.Fprintf(&b, "| %d | %s | %d | %d | %.1f%% | %.1f%% | %.4g | %s | %s | %s |\n", p.Index, mdEsc(p.Profile), p.Concurrency,
			p.Kernels, 100*p.Utilization, 100*p.LongShare, p.ShortDensity, us(p.P50), us(p.P90), us(p.P99))
	}
	for _, w := range a.Warnings {
		fmt.Fprintf(&b, "\n- warning: %s", w)
	}
	sec := &Section{Title: "Kernel trace", Markdown: b.String()}
	pl, err := kernelHistogram(a)
	if err != nil || pl == nil {
		return sec, nil, err
	}
	return sec, []Plot{*pl}, nil
}

func us(d time.Duration) string { return fmt.Sprintf("%.4g", float64(d)/1e3) }

// kernelHistogram draws, per profile (its phases pooled), the share of
// kernels in each log10-spaced duration bin, with the long/short threshold
// marked.
func kernelHistogram(a kerneltrace.Analysis) (*Plot, error) {
	byProf := map[string][]float64{}
	var profiles []string
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range a.Phases {
		for _, e := range p.Events {
			if e.Dur <= 0 {
				continue
			}
			if _, ok := byProf[p.Profile]; !ok {
				profiles = append(profiles, p.Profile)
			}
			v := math.Log10(float64(e.Dur) / 1e3)
			byProf[p.Profile] = append(byProf[p.Profile], v)
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	if len(profiles) == 0 {
		return nil, nil
	}
	const bins = 40
	lo, hi = math.Floor(lo*4)/4, math.Ceil(hi*4)/4
	if hi <= lo {
		hi = lo + 0.25
	}
	width := (hi - lo) / bins
	p := newPlot("Kernel durations per profile (kernel trace, H4)", "kernel duration (µs, log10 bins)", "fraction of the profile's kernels")
	p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	for i, prof := range profiles {
		counts := make([]float64, bins)
		for _, v := range byProf[prof] {
			k := min(bins-1, int((v-lo)/width))
			counts[k]++
		}
		var pts plotter.XYs
		for k, c := range counts {
			x0, x1 := math.Pow(10, lo+float64(k)*width), math.Pow(10, lo+float64(k+1)*width)
			y := c / float64(len(byProf[prof]))
			pts = append(pts, plotter.XY{X: x0, Y: y}, plotter.XY{X: x1, Y: y})
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, err
		}
		l.LineStyle.Color = plotutil.Color(i)
		l.LineStyle.Width = vg.Points(1.5)
		l.LineStyle.Dashes = plotutil.Dashes(i)
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%s (%d kernels)", prof, len(byProf[prof])), l)
	}
	if thr := float64(a.Threshold.Value) / 1e3; thr > 0 {
		l, err := plotter.NewLine(plotter.XYs{{X: thr, Y: 0}, {X: thr, Y: maxY(p.Y.Max)}})
		if err != nil {
			return nil, err
		}
		l.LineStyle.Width = vg.Points(1)
		l.LineStyle.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("long/short threshold %v", a.Threshold.Value), l)
	}
	p.Legend.Top, p.Legend.Left = true, false
	pngB, svgB, err := render(p)
	if err != nil {
		return nil, err
	}
	return &Plot{Name: "kernel_durations", Title: "Kernel durations per profile",
		Caption: fmt.Sprintf("Share of each profile's kernels per log10 duration bin (µs); dashed: the long/short threshold (%s).", a.Threshold.Method),
		PNG:     pngB, SVG: svgB}, nil
}

func maxY(y float64) float64 {
	if y <= 0 || math.IsInf(y, 0) {
		return 1
	}
	return y
}

// sections builds the optional parts of the report: the server metrics
// and the kernel trace. Each missing input gives a note saying so.
// The open-loop sections read the rows' shown figures (tb's time).
func sections(ctx context.Context, dir, trace string, t *table, phases []record.Phase, tb record.TimeBase) (secs []Section, plots []Plot, bad []error, notes []string) {
	secs, plots, notes = openLoopSections(dir, t.rows, phases, tb)
	sm, smBad, err := serverMetricsSection(dir, t, phases)
	bad = append(bad, smBad...)
	switch {
	case err != nil:
		notes = append(notes, fmt.Sprintf("server metrics left out: %v", err))
	case sm == nil:
		notes = append(notes, "server metrics: not available (no "+record.ServerMetricsFile+")")
	default:
		secs = append(secs, *sm)
	}
	path := findTrace(dir, trace)
	if path == "" {
		notes = append(notes, "kernel trace: not available (no trace file in the run directory)")
		return secs, plots, bad, notes
	}
	ks, kp, err := kernelSection(ctx, path, phases)
	if err != nil {
		notes = append(notes, fmt.Sprintf("kernel trace %s left out: %v", filepath.Base(path), err))
	}
	if ks != nil {
		secs = append(secs, *ks)
	}
	return secs, slices.Clip(kp), bad, notes
}
