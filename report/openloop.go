package report

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/hypobench/hypobench/capacity"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/stats"
)

// openLoopSection tabulates the run's open-loop phases: target, offered
// and achieved rate, send lag, and TTFT and total latency measured from
// each request's due instant (free of coordinated omission) beside the
// same from the actual send. It returns nil for a closed-loop run, and a
// plot of latency against the offered rate when two or more phases have a
// rate.
//
// recs' shown figures are in tb's time, and the rates are shown in it too (×
// tb.RateFactor: per simulated second for an embedded run shown in
// simulated time); the send lag is the client's and stays wall-clock.
func openLoopSection(recs []row, phases []record.Phase, tb record.TimeBase) (*Section, []Plot, error) {
	f := tb.RateFactor()
	var open []record.Phase
	for _, ph := range phases {
		if ph.OpenLoop() {
			open = append(open, ph)
		}
	}
	if len(open) == 0 {
		return nil, nil, nil
	}
	byPhase := map[int][]*row{}
	for i := range recs {
		r := &recs[i]
		byPhase[int(r.phase)] = append(byPhase[int(r.phase)], r)
	}
	q := func(rs []*row, get func(*row) float64, p float64) string {
		var xs []float64
		for _, r := range rs {
			if v := get(r); r.ok() && defined(v) {
				xs = append(xs, v)
			}
		}
		if len(xs) == 0 {
			return "–"
		}
		return fmt.Sprintf("%.1f", 1e3*stats.Quantile(xs, p))
	}
	// Shown figures: in tb's time (simulated for an embedded run).
	ttftDue := func(r *row) float64 { return r.ttftDue }
	ttft := func(r *row) float64 { return r.ttft }
	totDue := func(r *row) float64 { return r.totalDue }
	var b strings.Builder
	fmt.Fprintf(&b, "Rates in %s: target (the process's mean), offered (the drawn schedule's), achieved (sent). Send lag = t0 − due. Latencies in ms; \"from due\" counts the send lag (free of coordinated omission), \"from send\" starts at t0.", tb.RateUnit())
	if f != 1 {
		fmt.Fprintf(&b, " The engine ran compressed ×%g: each rate is the wall-clock rate the client sent at divided by %g, latencies are simulated, send lag is the client's wall-clock delay.", tb.Scale, tb.Scale)
	}
	b.WriteString("\n\n")
	b.WriteString("| phase | profile | arrival | target | offered | achieved | max conc. | n | send lag p50 | p99 | max | TTFT from due p50 | p90 | p99 | TTFT from send p50 | p99 | total from due p50 | p99 |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, ph := range open {
		rs := byPhase[ph.Index]
		lag := [3]string{"–", "–", "–"}
		if l := ph.SendLag; l != nil {
			lag = [3]string{fmt.Sprintf("%.2f", 1e3*l.P50), fmt.Sprintf("%.2f", 1e3*l.P99), fmt.Sprintf("%.2f", 1e3*l.Max)}
		}
		mc := "none"
		if ph.MaxConcurrency > 0 {
			mc = fmt.Sprint(ph.MaxConcurrency)
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %.4g | %.4g | %.4g | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			ph.Index, ph.Profile, ph.Arrival, f*ph.TargetRate, f*ph.OfferedRate, f*ph.AchievedRate, mc, len(rs), lag[0], lag[1], lag[2],
			q(rs, ttftDue, 0.5), q(rs, ttftDue, 0.9), q(rs, ttftDue, 0.99), q(rs, ttft, 0.5), q(rs, ttft, 0.99), q(rs, totDue, 0.5), q(rs, totDue, 0.99))
	}
	sec := &Section{Title: "Open-loop phases", Markdown: b.String()}
	p, err := latencyVsRate(open, byPhase, tb)
	if err != nil || p == nil {
		return sec, nil, err
	}
	return sec, []Plot{*p}, nil
}

// latencyVsRate plots p50 and p90 TTFT from due and from send against the
// phases' target rates.
func latencyVsRate(open []record.Phase, byPhase map[int][]*row, tb record.TimeBase) (*Plot, error) {
	rates := map[float64]bool{}
	for _, ph := range open {
		rates[ph.TargetRate] = true
	}
	if len(rates) < 2 {
		return nil, nil
	}
	pl := newPlot("TTFT against offered rate", "target rate ("+tb.RateUnit()+")", "TTFT (ms)")
	series := []struct {
		name string
		get  func(*row) float64
		p    float64
	}{
		{"from due, p50", func(r *row) float64 { return r.ttftDue }, 0.5},
		{"from due, p90", func(r *row) float64 { return r.ttftDue }, 0.9},
		{"from send, p50", func(r *row) float64 { return r.ttft }, 0.5},
		{"from send, p90", func(r *row) float64 { return r.ttft }, 0.9},
	}
	var drawn plotter.XYs
	for i, s := range series {
		var pts plotter.XYs
		for _, ph := range open {
			var xs []float64
			for _, r := range byPhase[ph.Index] {
				if v := s.get(r); r.ok() && defined(v) {
					xs = append(xs, v)
				}
			}
			if len(xs) > 0 {
				pts = append(pts, plotter.XY{X: tb.RateFactor() * ph.TargetRate, Y: 1e3 * stats.Quantile(xs, s.p)})
			}
		}
		slices.SortFunc(pts, func(a, b plotter.XY) int { return cmp.Compare(a.X, b.X) })
		if len(pts) == 0 {
			continue
		}
		if err := addLine(pl, s.name, pts, i); err != nil {
			return nil, err
		}
		drawn = append(drawn, pts...)
	}
	ys := make([]float64, len(drawn))
	for i, d := range drawn {
		ys[i] = d.Y
	}
	setScale(&pl.Y, ys)
	placeLegend(pl, drawn)
	png, svg, err := render(pl)
	if err != nil {
		return nil, err
	}
	return &Plot{Name: "openloop-ttft-vs-rate", Title: "TTFT against offered rate",
		Caption: "Median and 90th percentile TTFT per open-loop phase against its target rate: from each request's due instant (queueing in the client or at a max_concurrency cap included) and from the actual send.",
		PNG:     png, SVG: svg}, nil
}

// addLine draws pts as the i-th styled line with markers, named in the
// legend.
func addLine(pl *plot.Plot, name string, pts plotter.XYs, i int) error {
	line, sc, err := plotter.NewLinePoints(pts)
	if err != nil {
		return err
	}
	style(line, sc, i)
	pl.Add(line, sc)
	pl.Legend.Add(name, line, sc)
	return nil
}

// lines draws each set as a named line and places the legend.
func lines(pl *plot.Plot, names []string, sets []plotter.XYs) error {
	var drawn plotter.XYs
	for i, pts := range sets {
		if len(pts) == 0 {
			continue
		}
		if err := addLine(pl, names[i], pts, i); err != nil {
			return err
		}
		drawn = append(drawn, pts...)
	}
	placeLegend(pl, drawn)
	return nil
}

// markCapacity draws the capacity's interval as two vertical dashed lines
// and the estimate as a solid one, when they are finite.
func markCapacity(pl *plot.Plot, est capacity.Result) {
	ymin, ymax := pl.Y.Min, pl.Y.Max
	if !(ymax > ymin) {
		return
	}
	for _, x := range []struct {
		v      float64
		dashed bool
	}{{est.CI.Lo, true}, {est.Capacity, false}, {est.CI.Hi, true}} {
		if math.IsNaN(x.v) || math.IsInf(x.v, 0) {
			continue
		}
		l, err := plotter.NewLine(plotter.XYs{{X: x.v, Y: ymin}, {X: x.v, Y: ymax}})
		if err != nil {
			continue
		}
		l.LineStyle.Color = color.Gray{Y: 80}
		if x.dashed {
			l.LineStyle.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		pl.Add(l)
	}
}

// clientCheckSection states the client's check on itself from config.json:
// whether the client limited the run and why, and the figures.
func clientCheckSection(dir string) *Section {
	rc, err := record.ReadConfig(filepath.Join(dir, record.ConfigFile))
	if err != nil || rc.ClientCheck == nil {
		return nil
	}
	c := rc.ClientCheck
	var b strings.Builder
	if len(c.Reasons) == 0 {
		b.WriteString("**Not limited by the client**: no threshold was crossed.\n\n")
	} else {
		b.WriteString("**LIMITED BY THE CLIENT**: the client, not the server, may have limited these measurements; every hypothesis verdict on this run is inconclusive.\n\n")
		for _, r := range c.Reasons {
			fmt.Fprintf(&b, "- %s: %s\n", r.Code, r.Detail)
		}
		b.WriteString("\n")
	}
	lag := func(name string, l *record.Lag) {
		if l != nil {
			fmt.Fprintf(&b, "- %s: p50 %.3g ms, p90 %.3g ms, p99 %.3g ms, max %.3g ms (n %d)\n", name, 1e3*l.P50, 1e3*l.P90, 1e3*l.P99, 1e3*l.Max, l.N)
		}
	}
	if c.CPUShare != nil {
		fmt.Fprintf(&b, "- client CPU: %.0f%% of %d cores\n", 100**c.CPUShare, c.Cores)
	} else {
		b.WriteString("- client CPU: not judged (the server ran in the client's process)\n")
	}
	if c.EngineStallShare != nil {
		fmt.Fprintf(&b, "- in-process engine: %.2f%% of the run's virtual time lost to host stalls\n", 100**c.EngineStallShare)
	}
	lag(fmt.Sprintf("scheduler lag (a %g ms sleep's lateness)", 1e3*c.SchedPeriodS), c.SchedLag)
	lag("client send lag (open loop)", c.SendLag)
	lag("worker turnaround (closed loop)", c.Turnaround)
	lag("read→parse delay (per-request mean)", c.ParseLag)
	for _, pc := range c.Phases {
		lag(fmt.Sprintf("client send lag, phase %d (%.4g req/s, median TTFT %.3g ms)", pc.Index, pc.TargetRate, 1e3*pc.MedianTTFTS), pc.SendLag)
	}
	fmt.Fprintf(&b, "- median TTFT: %.3g ms\n- thresholds: %s\n", 1e3*c.MedianTTFTS, c.Thresholds)
	return &Section{Title: "Client self-check", Markdown: b.String()}
}

// CapacityLine states a capacity estimate in one line.
func CapacityLine(est capacity.Result) string {
	if len(est.Rates) == 0 {
		return "no open-loop phase to estimate a capacity from"
	}
	s := fmt.Sprintf("%.4g requests/s meet the SLO (%.0f%% interval [%.4g, %.4g]; bracketed by tested rates %.4g and %.4g)",
		est.Capacity, 100*est.CI.Level, est.CI.Lo, est.CI.Hi, est.Bracket[0], est.Bracket[1])
	if math.IsInf(est.Bracket[1], 1) {
		s = fmt.Sprintf("at least %.4g requests/s (every tested rate met the SLO)", est.Capacity)
	}
	return s
}

// capacitySection renders dir/capacity.json (written by `hypobench
// capacity`): the estimate, a table per rate, and plots of goodput and of
// the SLO's latency quantile against the offered rate. nil without the
// file.
func capacitySection(dir string) (*Section, []Plot, error) {
	b, err := os.ReadFile(filepath.Join(dir, record.CapacityFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var est capacity.Result
	if err := json.Unmarshal(b, &est); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", record.CapacityFile, err)
	}
	var md strings.Builder
	fmt.Fprintf(&md, "Capacity: %s.\n\n", CapacityLine(est))
	if sim := est.Simulated; sim != nil {
		fmt.Fprintf(&md, "This section is in **wall-clock** time, as the sweep ran and as its flags were given: the embedded engine ran compressed ×%g, so rates are per wall-clock second and latencies wall-clock. Per simulated (modelled GPU) second the capacity is **%.4g requests/s** (interval [%.4g, %.4g]).\n\n",
			est.Scale, sim.Capacity, sim.CI.Lo, sim.CI.Hi)
	}
	fmt.Fprintf(&md, "SLO: TTFT from due ≤ %v, TPOT ≤ %v (0 = none), for %g of requests. Interval: %s.\n\n",
		est.SLO.TTFT, est.SLO.TPOT, est.SLO.Quantile, est.Method)
	for _, r := range est.ClientLimited {
		fmt.Fprintf(&md, "Client limit bearing on the estimate (%s): %s.\n\n", r.Code, r.Detail)
	}
	if s := est.EngineStallShare; s != nil {
		fmt.Fprintf(&md, "The embedded engine lost %.2f%% of the sweep's virtual time to host stalls (its timings are the model's only while this is small; the CLI warns above 3%%).\n\n", 100**s)
	}
	for _, w := range est.Warnings {
		fmt.Fprintf(&md, "Warning: %s.\n\n", w)
	}
	md.WriteString("| target rate | offered | achieved | n | attainment | meets SLO | throughput | goodput | saturated | TTFT from due p50 (ms) | p90 | TPOT p50 (ms) | p90 |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range est.Rates {
		fmt.Fprintf(&md, "| %.4g | %.4g | %.4g | %d | %.3f | %v | %.4g | %.4g | %v | %.1f | %.1f | %.2f | %.2f |\n", r.Target, r.Offered, r.Achieved, r.N, r.Attainment, r.Meets,
			r.Throughput, r.Goodput, r.Saturated, 1e3*r.TTFTQ.P50, 1e3*r.TTFTQ.P90, 1e3*r.TPOTQ.P50, 1e3*r.TPOTQ.P90)
	}
	plots, err := capacityPlots(est)
	return &Section{Title: "Capacity", Markdown: md.String()}, plots, err
}

func capacityPlots(est capacity.Result) ([]Plot, error) {
	if len(est.Rates) == 0 {
		return nil, nil
	}
	var offered, thr, good, ttft50, ttft90, tpot50, tpot90 plotter.XYs
	for _, r := range est.Rates {
		offered = append(offered, plotter.XY{X: r.X(), Y: r.X()})
		thr = append(thr, plotter.XY{X: r.X(), Y: r.Throughput})
		good = append(good, plotter.XY{X: r.X(), Y: r.Goodput})
		if !math.IsNaN(r.TTFTQ.P90) {
			ttft50 = append(ttft50, plotter.XY{X: r.X(), Y: 1e3 * r.TTFTQ.P50})
			ttft90 = append(ttft90, plotter.XY{X: r.X(), Y: 1e3 * r.TTFTQ.P90})
		}
		if !math.IsNaN(r.TPOTQ.P90) {
			tpot50 = append(tpot50, plotter.XY{X: r.X(), Y: 1e3 * r.TPOTQ.P50})
			tpot90 = append(tpot90, plotter.XY{X: r.X(), Y: 1e3 * r.TPOTQ.P90})
		}
	}
	unit := "requests/s"
	if est.Scale > 0 {
		unit = "requests per wall-clock second"
	}
	gp := newPlot("Goodput against offered rate", "offered rate ("+unit+")", unit)
	if err := lines(gp, []string{"offered", "throughput", "goodput (meets SLO)"}, []plotter.XYs{offered, thr, good}); err != nil {
		return nil, err
	}
	markCapacity(gp, est)
	lp := newPlot("Latency against offered rate", "offered rate ("+unit+")", "ms")
	if err := lines(lp, []string{"TTFT from due, p50", "TTFT from due, p90", "TPOT, p50", "TPOT, p90"},
		[]plotter.XYs{ttft50, ttft90, tpot50, tpot90}); err != nil {
		return nil, err
	}
	for _, b := range []time.Duration{est.SLO.TTFT, est.SLO.TPOT} {
		if b > 0 && len(offered) > 0 {
			l, err := plotter.NewLine(plotter.XYs{{X: offered[0].X, Y: 1e3 * b.Seconds()}, {X: offered[len(offered)-1].X, Y: 1e3 * b.Seconds()}})
			if err == nil {
				l.LineStyle.Color = color.Gray{Y: 120}
				l.LineStyle.Dashes = []vg.Length{vg.Points(1), vg.Points(3)}
				lp.Add(l)
			}
		}
	}
	var ys []float64
	for _, set := range []plotter.XYs{ttft50, ttft90, tpot50, tpot90} {
		for _, pt := range set {
			ys = append(ys, pt.Y)
		}
	}
	setScale(&lp.Y, ys)
	markCapacity(lp, est)
	var out []Plot
	for _, x := range []struct {
		p             *plot.Plot
		name, caption string
	}{
		{gp, "capacity-goodput", "Offered rate, throughput and goodput (requests meeting the SLO per second) per tested rate; the solid vertical line is the capacity, the dashed ones its interval."},
		{lp, "capacity-latency", "Median and 90th percentile of TTFT from due and of TPOT per tested rate; dotted horizontal lines are the SLO's bounds; the solid vertical line is the capacity, the dashed ones its interval."},
	} {
		png, svg, err := render(x.p)
		if err != nil {
			return nil, err
		}
		out = append(out, Plot{Name: x.name, Title: x.p.Title.Text, Caption: x.caption, PNG: png, SVG: svg})
	}
	return out, nil
}

// openLoopSections gathers the sections of this file: the client
// self-check, the open-loop phases and the capacity estimate, each when the
// run has it.
func openLoopSections(dir string, recs []row, phases []record.Phase, tb record.TimeBase) (secs []Section, plots []Plot, notes []string) {
	if c := clientCheckSection(dir); c != nil {
		secs = append(secs, *c)
	}
	ol, olp, err := openLoopSection(recs, phases, tb)
	if err != nil {
		notes = append(notes, fmt.Sprintf("open-loop plot left out: %v", err))
	}
	if ol != nil {
		secs = append(secs, *ol)
	}
	plots = append(plots, olp...)
	cs, cp, err := capacitySection(dir)
	if err != nil {
		notes = append(notes, fmt.Sprintf("capacity section left out: %v", err))
	}
	if cs != nil {
		secs = append(secs, *cs)
	}
	plots = append(plots, cp...)
	return secs, plots, notes
}
