package report

import (
	"bytes"
	"cmp"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/stats"
)

// Figure size and raster resolution of every plot.
const (
	plotW   = 18 * vg.Centimeter
	plotH   = 11 * vg.Centimeter
	plotDPI = 110
	// maxScatter bounds the points drawn in a scatter plot; larger samples
	// are thinned by a fixed stride (the fit still uses every point).
	maxScatter = 3000
	// maxTheilSen bounds the points of a Theil–Sen fit (O(n²) pairwise
	// slopes); larger samples are thinned by a fixed stride.
	maxTheilSen = 2000
	// cdfPoints bounds the points of one CDF line.
	cdfPoints = 400
	// logSpan is the max/min ratio above which an axis is drawn in log
	// scale (more than two decades).
	logSpan = 100
)

// Plot is one rendered figure: plots/<Name>.png and plots/<Name>.svg.
type Plot struct {
	Name    string
	Title   string
	Caption string
	PNG     []byte
	SVG     []byte
}

// unit scales seconds for an axis.
type unit struct {
	name  string
	scale float64
}

var (
	unitMS = unit{"ms", 1e3}
	unitS  = unit{"s", 1}
)

// Plots renders every figure the records support: per suite, total
// latency, TTFT and TPOT against concurrency (p50 with p10–p90 error bars,
// one line per profile); TTFT against prompt tokens and E2E against output
// tokens at the lowest concurrency, with a Theil–Sen line; and per
// suite and profile, CDFs of TTFT and E2E with one line per concurrency.
func Plots(s Summary, recs []record.Record) ([]Plot, error) {
	t := tableOf(recs, nil)
	for i := range t.rows {
		t.rows[i].flags |= flagPlottable // the caller chose what to draw
	}
	return plots(s, t.rows, t.names)
}

// plots is Plots over a table's rows, drawing those flagged plottable.
func plots(s Summary, recs []row, names []string) ([]Plot, error) {
	var out []Plot
	unitMS, unitS := unitMS, unitS
	if s.Time.Simulated {
		unitMS.name, unitS.name = "simulated ms", "simulated s"
	}
	add := func(name, title, caption string, p *plot.Plot, err error) error {
		if err != nil {
			return fmt.Errorf("plotting %s: %w", name, err)
		}
		if p == nil {
			return nil
		}
		pngB, svgB, err := render(p)
		if err != nil {
			return fmt.Errorf("rendering %s: %w", name, err)
		}
		out = append(out, Plot{Name: name, Title: title, Caption: caption, PNG: pngB, SVG: svgB})
		return nil
	}
	vsConc := []struct {
		stem, label string
		u           unit
		get         func(*Group) *Dist
	}{
		{"total", "total latency total_s", unitS, func(g *Group) *Dist { return &g.Total }},
		{"ttft", "TTFT ttft_s", unitMS, func(g *Group) *Dist { return &g.TTFT }},
		{"tpot", "TPOT tpot_s", unitMS, func(g *Group) *Dist { return &g.TPOT }},
	}
	// Open-loop records are drawn per target rate, not per the requests
	// in flight each was sent with.
	phaseRate := map[int]float64{}
	for _, g := range s.Groups {
		for _, ph := range g.Phases {
			if g.Rate > 0 {
				phaseRate[ph] = g.shownRate()
			}
		}
	}
	for _, suite := range suites(s) {
		gs := groupsOf(s, suite)
		for _, m := range vsConc {
			title := fmt.Sprintf("%s vs concurrency — suite %s (p50, bars p10–p90)", m.label, suite)
			if len(gs) > 0 && gs[0].Rate > 0 {
				title = fmt.Sprintf("%s vs target rate — suite %s (p50, bars p10–p90)", m.label, suite)
			}
			p, err := vsConcurrency(title, m.label, m.u, gs, m.get)
			caption := fmt.Sprintf("%s (%s): median per profile and concurrency; error bars span p10–p90.", m.label, m.u.name)
			if err := add(m.stem+"_vs_concurrency_"+slug(suite), title, caption, p, err); err != nil {
				return nil, err
			}
		}
	}
	lowest := lowestConcurrency(recs)
	ttftPrompt := func(r *row) (x, y float64, ok bool) {
		if !defined(r.ttft) || !r.has(flagPrompt) {
			return 0, 0, false
		}
		return float64(r.promptTok), r.ttft, true
	}
	title := fmt.Sprintf("TTFT vs prompt tokens at concurrency %d (H1)", lowest)
	p, fit, err := scatterFit(title, "prompt tokens (usage.prompt_tokens)", "TTFT ttft_s", unitMS, "token", recs, names, lowest, ttftPrompt)
	if err := add("ttft_vs_prompt_tokens", title, "Each point is one successful request; the line is the "+fit+".", p, err); err != nil {
		return nil, err
	}
	e2eOut := func(r *row) (x, y float64, ok bool) {
		if !defined(r.e2e) {
			return 0, 0, false
		}
		return float64(r.n()), r.e2e, true
	}
	title = fmt.Sprintf("E2E vs output tokens at concurrency %d (H2)", lowest)
	p, fit, err = scatterFit(title, "output tokens (usage, else counted chunks)", "E2E e2e_s", unitS, "token", recs, names, lowest, e2eOut)
	if err := add("e2e_vs_output_tokens", title, "Each point is one successful request; the line is the "+fit+".", p, err); err != nil {
		return nil, err
	}
	cdfs := []struct {
		stem, label string
		u           unit
		get         func(*row) float64
	}{
		{"ttft", "TTFT ttft_s", unitMS, func(r *row) float64 { return r.ttft }},
		{"e2e", "E2E e2e_s", unitS, func(r *row) float64 { return r.e2e }},
	}
	for _, suite := range suites(s) {
		var profiles []string
		for _, g := range groupsOf(s, suite) {
			if !slices.Contains(profiles, g.Profile) {
				profiles = append(profiles, g.Profile)
			}
		}
		for _, prof := range profiles {
			for _, m := range cdfs {
				title := fmt.Sprintf("CDF of %s — suite %s, profile %s", m.label, suite, prof)
				p, err := cdf(title, m.label, m.u, recs, names, phaseRate, suite, prof, m.get)
				caption := fmt.Sprintf("Empirical CDF of %s (%s) of successful requests, one line per concurrency.", m.label, m.u.name)
				if err := add("cdf_"+m.stem+"_"+slug(suite)+"_"+slug(prof), title, caption, p, err); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// vsConcurrency draws p50 against concurrency with p10–p90 error bars, one
// line per profile. It returns nil when no group has data.
func vsConcurrency(title, label string, u unit, gs []Group, get func(*Group) *Dist) (*plot.Plot, error) {
	var profiles []string
	byProf := map[string][]*Group{}
	var xs, ys []float64
	for i := range gs {
		g := &gs[i]
		d := get(g)
		if d.P50.Value == nil {
			continue
		}
		if _, ok := byProf[g.Profile]; !ok {
			profiles = append(profiles, g.Profile)
		}
		byProf[g.Profile] = append(byProf[g.Profile], g)
		xs = append(xs, g.x())
		ys = append(ys, val(d.P10.Value)*u.scale, val(d.P90.Value)*u.scale)
	}
	if len(xs) == 0 {
		return nil, nil
	}
	xlabel := "concurrency (closed-loop workers)"
	if gs[0].Rate > 0 {
		xlabel = "target rate (requests/s, open loop)"
		if gs[0].RateShown > 0 {
			xlabel = "target rate (requests per simulated second, open loop)"
		}
	}
	p := newPlot(title, xlabel, fmt.Sprintf("%s (%s)", label, u.name))
	logX := setScale(&p.X, xs)
	logY := setScale(&p.Y, ys)
	p.X.Tick.Marker = levelTicks(xs)
	var drawn plotter.XYs
	for i, prof := range profiles {
		var pts plotter.XYs
		var errs plotter.YErrors
		for _, g := range byProf[prof] {
			d := get(g)
			y := val(d.P50.Value) * u.scale
			lo, hi := val(d.P10.Value)*u.scale, val(d.P90.Value)*u.scale
			if (logX && g.x() <= 0) || (logY && lo <= 0) {
				continue
			}
			pts = append(pts, plotter.XY{X: g.x(), Y: y})
			errs = append(errs, struct{ Low, High float64 }{y - lo, hi - y})
		}
		if len(pts) == 0 {
			continue
		}
		line, sc, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, err
		}
		style(line, sc, i)
		eb, err := plotter.NewYErrorBars(errBars{pts, errs})
		if err != nil {
			return nil, err
		}
		eb.LineStyle.Color = plotutil.Color(i)
		p.Add(line, sc, eb)
		p.Legend.Add(prof, line, sc)
		for k, pt := range pts {
			drawn = append(drawn, pt, plotter.XY{X: pt.X, Y: pt.Y - errs[k].Low}, plotter.XY{X: pt.X, Y: pt.Y + errs[k].High})
		}
	}
	placeLegend(p, drawn)
	return p, nil
}

type errBars struct {
	plotter.XYs
	plotter.YErrors
}

// scatterFit draws y against x for successful records at concurrency conc,
// one colour per profile, with a Theil–Sen line (stats.TheilSen). It
// returns nil when fewer than two distinct x values exist, and a phrase
// naming the fit for the caption.
func scatterFit(title, xlabel, ylabel string, u unit, xunit string, recs []row, names []string, conc int,
	get func(*row) (x, y float64, ok bool)) (*plot.Plot, string, error) {
	var profiles []string
	byProf := map[string]plotter.XYs{}
	var xs, ys []float64
	for i := range recs {
		r := &recs[i]
		if !r.has(flagPlottable) || !r.ok() || int(r.conc) != conc {
			continue
		}
		x, y, ok := get(r)
		if !ok {
			continue
		}
		prof := nameOf(names, r.profile)
		if _, seen := byProf[prof]; !seen {
			profiles = append(profiles, prof)
		}
		byProf[prof] = append(byProf[prof], plotter.XY{X: x, Y: y * u.scale})
		xs = append(xs, x)
		ys = append(ys, y*u.scale)
	}
	if len(xs) < 2 || slices.Min(xs) == slices.Max(xs) {
		return nil, "", nil
	}
	fx, fy := xs, ys
	over := "all"
	if len(xs) > maxTheilSen {
		fx, fy = strideSample(xs, maxTheilSen), strideSample(ys, maxTheilSen)
		over = fmt.Sprintf("a fixed-stride sample of %d of the", maxTheilSen)
	}
	beta, alpha, ci := stats.TheilSen(fx, fy, CILevel)
	if math.IsNaN(beta) {
		return nil, "", nil
	}
	ciText := "no CI (too few points)"
	if ci.Valid() {
		ciText = fmt.Sprintf("%.0f%% CI [%.4g, %.4g] (Sen)", 100*ci.Level, ci.Lo, ci.Hi)
	}
	fit := fmt.Sprintf("Theil–Sen fit over %s %d requests: slope %.4g %s/%s, %s, intercept %.4g %s",
		over, len(xs), beta, u.name, xunit, ciText, alpha, u.name)
	p := newPlot(title+fmt.Sprintf(" — slope %.4g %s/%s", beta, u.name, xunit), xlabel, fmt.Sprintf("%s (%s)", ylabel, u.name))
	logX := setScale(&p.X, xs)
	logY := setScale(&p.Y, ys)
	keep := func(pt plotter.XY) bool { return (!logX || pt.X > 0) && (!logY || pt.Y > 0) }
	total := len(xs)
	var drawn plotter.XYs
	for i, prof := range profiles {
		pts := thin(byProf[prof], total)
		pts = slices.DeleteFunc(pts, func(pt plotter.XY) bool { return !keep(pt) })
		if len(pts) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, "", err
		}
		sc.GlyphStyle.Color = plotutil.Color(i)
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		sc.GlyphStyle.Radius = vg.Points(1.8)
		p.Add(sc)
		p.Legend.Add(prof, sc)
		drawn = append(drawn, pts...)
	}
	lo, hi := slices.Min(xs), slices.Max(xs)
	var line plotter.XYs
	for k := range 65 {
		f := float64(k) / 64
		x := lo + f*(hi-lo)
		if logX {
			x = math.Exp(math.Log(lo) + f*(math.Log(hi)-math.Log(lo)))
		}
		if pt := (plotter.XY{X: x, Y: alpha + beta*x}); keep(pt) {
			line = append(line, pt)
		}
	}
	if len(line) > 1 {
		l, err := plotter.NewLine(line)
		if err != nil {
			return nil, "", err
		}
		l.LineStyle.Color = color.Black
		l.LineStyle.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add("Theil–Sen fit", l)
		drawn = append(drawn, line...)
	}
	placeLegend(p, drawn)
	return p, fit, nil
}

// strideSample keeps k values of xs at a fixed stride.
func strideSample(xs []float64, k int) []float64 {
	out := make([]float64, k)
	for i := range out {
		out[i] = xs[i*len(xs)/k]
	}
	return out
}

// thin keeps a fixed-stride share of pts so a plot holds at most about
// maxScatter points out of total.
func thin(pts plotter.XYs, total int) plotter.XYs {
	if total <= maxScatter {
		return slices.Clone(pts)
	}
	keep := max(1, len(pts)*maxScatter/total)
	out := make(plotter.XYs, 0, keep)
	for i := range keep {
		out = append(out, pts[i*len(pts)/keep])
	}
	return out
}

// cdf draws the empirical CDF of a metric for one suite and profile, one
// line per concurrency.
func cdf(title, label string, u unit, recs []row, names []string, phaseRate map[int]float64, suite, profile string, get func(*row) float64) (*plot.Plot, error) {
	sn, ok1 := nameIn(names, suite)
	pn, ok2 := nameIn(names, profile)
	if !ok1 || !ok2 {
		return nil, nil
	}
	by := map[float64][]float64{}
	level := func(r *row) float64 {
		if rate, ok := phaseRate[int(r.phase)]; ok {
			return rate
		}
		return float64(r.conc)
	}
	var all []float64
	for i := range recs {
		r := &recs[i]
		if !r.has(flagPlottable) || !r.ok() || r.suite != sn || r.profile != pn {
			continue
		}
		if v := get(r); defined(v) {
			by[level(r)] = append(by[level(r)], v*u.scale)
			all = append(all, v*u.scale)
		}
	}
	if len(all) == 0 {
		return nil, nil
	}
	concs := make([]float64, 0, len(by))
	for c := range by {
		concs = append(concs, c)
	}
	slices.Sort(concs)
	p := newPlot(title, fmt.Sprintf("%s (%s)", label, u.name), "fraction of requests ≤ x")
	logX := setScale(&p.X, all)
	p.Y.Min, p.Y.Max = 0, 1
	var drawn plotter.XYs
	for i, c := range concs {
		xs := by[c]
		slices.Sort(xs)
		var pts plotter.XYs
		if len(xs) <= cdfPoints {
			// A step function: up by 1/n at each observation.
			for k, x := range xs {
				n := float64(len(xs))
				pts = append(pts, plotter.XY{X: x, Y: float64(k) / n}, plotter.XY{X: x, Y: float64(k+1) / n})
			}
		} else {
			for k := 1; k <= cdfPoints; k++ {
				q := float64(k) / cdfPoints
				pts = append(pts, plotter.XY{X: stats.QuantileSorted(xs, q), Y: q}) // xs: sorted, defined
			}
		}
		if logX {
			pts = slices.DeleteFunc(pts, func(pt plotter.XY) bool { return pt.X <= 0 })
		}
		if len(pts) == 0 {
			continue
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, err
		}
		l.LineStyle.Color = plotutil.Color(i)
		l.LineStyle.Width = vg.Points(1.5)
		l.LineStyle.Dashes = plotutil.Dashes(i)
		p.Add(l)
		name := fmt.Sprintf("concurrency %g (n=%d)", c, len(xs))
		if len(phaseRate) > 0 {
			name = fmt.Sprintf("%.4g req/s (n=%d)", c, len(xs))
		}
		p.Legend.Add(name, l)
		drawn = append(drawn, pts...)
	}
	placeLegend(p, drawn)
	return p, nil
}

func lowestConcurrency(recs []row) int {
	lo := 0
	for i := range recs {
		if c := int(recs[i].conc); recs[i].has(flagPlottable) && recs[i].ok() && (lo == 0 || c < lo) {
			lo = c
		}
	}
	return lo
}

func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.Legend.Top = true
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	return p
}

// setScale switches an axis to log scale when its positive values span more
// than two decades, and reports whether it did.
func setScale(a *plot.Axis, vs []float64) bool {
	lo, hi := math.Inf(1), 0.0
	for _, v := range vs {
		if v > 0 {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	if hi == 0 || hi/lo <= logSpan {
		return false
	}
	a.Scale = plot.LogScale{}
	a.Tick.Marker = plot.LogTicks{Prec: -1}
	return true
}

// placeLegend puts the legend in the corner of the data area that holds
// the fewest of the drawn points (top left first on ties).
func placeLegend(p *plot.Plot, drawn plotter.XYs) {
	best, bestN := 0, -1
	corners := []struct{ top, left bool }{{true, true}, {true, false}, {false, false}, {false, true}}
	for i, c := range corners {
		n := 0
		for _, pt := range drawn {
			x, y := p.X.Norm(pt.X), p.Y.Norm(pt.Y)
			inX := (c.left && x < 0.4) || (!c.left && x > 0.6)
			inY := (c.top && y > 0.6) || (!c.top && y < 0.4)
			if inX && inY {
				n++
			}
		}
		if bestN < 0 || n < bestN {
			best, bestN = i, n
		}
	}
	p.Legend.Top, p.Legend.Left = corners[best].top, corners[best].left
}

// levelTicks labels exactly the concurrency levels present.
func levelTicks(xs []float64) plot.ConstantTicks {
	ls := slices.Clone(xs)
	slices.Sort(ls)
	ls = slices.Compact(ls)
	ticks := make(plot.ConstantTicks, len(ls))
	for i, x := range ls {
		ticks[i] = plot.Tick{Value: x, Label: fmt.Sprintf("%g", x)}
	}
	return ticks
}

func style(l *plotter.Line, s *plotter.Scatter, i int) {
	l.LineStyle.Color = plotutil.Color(i)
	l.LineStyle.Width = vg.Points(1.5)
	l.LineStyle.Dashes = plotutil.Dashes(i)
	s.GlyphStyle.Color = plotutil.Color(i)
	s.GlyphStyle.Shape = plotutil.Shape(i)
	s.GlyphStyle.Radius = vg.Points(3)
}

// render draws p as PNG (plotDPI) and SVG (fonts referenced by name, not
// embedded).
func render(p *plot.Plot) (pngB, svgB []byte, err error) {
	// gonum/plot panics on axis ranges it cannot tick (a span lost in
	// float precision); Plottable keeps such values out, and this turns any
	// other into an error.
	defer func() {
		if r := recover(); r != nil {
			pngB, svgB, err = nil, nil, fmt.Errorf("the plotting library gave up: %v", r)
		}
	}()
	c := vgimg.NewWith(vgimg.UseWH(plotW, plotH), vgimg.UseDPI(plotDPI))
	p.Draw(draw.New(c))
	var pb bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&pb); err != nil {
		return nil, nil, err
	}
	sc := vgsvg.New(plotW, plotH)
	p.Draw(draw.New(sc))
	var sb bytes.Buffer
	if _, err := sc.WriteTo(&sb); err != nil {
		return nil, nil, err
	}
	return pb.Bytes(), sb.Bytes(), nil
}

// slug turns a suite or profile name into a file-name part.
func slug(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		case r >= 'A' && r <= 'Z':
			return r - 'A' + 'a'
		}
		return '_'
	}, s)
	return cmp.Or(s, "_")
}

// MaxPlottable is the largest duration, in seconds, a plot draws (about
// 11.6 days): beyond it a value is a broken record, not a latency, and
// axes spanning it lose their ticks to float precision.
const MaxPlottable = 1e6

// Plottable returns the records whose durations can be drawn — finite,
// non-negative, at most MaxPlottable seconds — and the ids of the others,
// which the report names and leaves out of its plots.
func Plottable(recs []record.Record) (ok []record.Record, left []string) {
	ok = make([]record.Record, 0, len(recs))
	for _, r := range recs {
		if plottable(&r) {
			ok = append(ok, r)
			continue
		}
		left = append(left, r.ID)
	}
	return ok, left
}
