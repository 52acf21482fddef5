package experiment

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/stats"
	"github.com/hypobench/hypobench/verdict"
)

// Group is one level of a ladder or one arm of an A/B, with its records.
type Group struct {
	Label string
	X     float64
	// Records are in the run's time (see Run.Records), failed ones
	// included; each carries its round.
	Records []record.Record
}

// Result is an executed design: its records by group, the runs they came
// from, and the statistical options its checks use.
type Result struct {
	Name        string
	Description string
	Groups      []Group
	Runs        []*Run
	// Dir is the design's directory (absolute); SessionDir the session's
	// run directory that holds it and the verdicts.
	Dir, SessionDir string
	// Options are the checks' α, resamples and seed (HYPOBENCH_SEED when
	// set).
	Options Options
	// WallClock says the groups hold wall-clock records although some
	// runs have a simulated time base: the design mixes an embedded
	// engine with a server, and is compared as measured.
	WallClock bool
}

// Execute runs design d (once per session: a second call with a design of
// the same name returns the first result) and groups its records.
func (s *Session) Execute(ctx context.Context, d Design) (*Result, error) {
	p, err := d.Plan()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.results[p.Name]; ok {
		return r, nil
	}
	sessDir, err := s.Dir()
	if err != nil {
		return nil, err
	}
	o := openTargets{s: s}
	defer o.close()
	res := &Result{Name: p.Name, Description: p.Description, Dir: filepath.Join(sessDir, p.Name), SessionDir: sessDir, Options: s.Options()}
	for _, g := range p.Groups {
		res.Groups = append(res.Groups, Group{Label: g.Label, X: g.X})
	}
	for _, st := range p.Steps {
		name := p.Name
		if st.Name != "" {
			name += "/" + st.Name
		}
		r, err := s.runSuite(ctx, &o, name, st.Suite, st.Target)
		if err != nil {
			return nil, err
		}
		res.Runs = append(res.Runs, r)
	}
	// One time base for every group: the modelled GPU's simulated time
	// when every run has one, else the wall clock as measured (a design
	// comparing an embedded engine with a server is compared as measured).
	wall := false
	for _, r := range res.Runs {
		wall = wall || r.Time == ""
	}
	if wall && slices.ContainsFunc(res.Runs, func(r *Run) bool { return r.Time != "" }) {
		res.WallClock = true
	}
	for i, st := range p.Steps {
		recs := res.Runs[i].Records
		if res.WallClock {
			recs = res.Runs[i].Wall
		}
		for _, rec := range recs {
			g := st.Group(&rec)
			if g < 0 || g >= len(res.Groups) {
				continue
			}
			if st.Round > 0 {
				rec.Round = st.Round
			}
			res.Groups[g].Records = append(res.Groups[g].Records, rec)
		}
	}
	if s.results == nil {
		s.results = map[string]*Result{}
	}
	s.results[p.Name] = res
	return res, nil
}

// Run is Execute for a test: it stops t (Fatalf) when the design cannot
// run.
func (s *Session) Run(t TB, d Design) *Result {
	t.Helper()
	r, err := s.Execute(context.Background(), d)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return r
}

// Options are the checks' statistical options for this session:
// DefaultOptions with HYPOBENCH_SEED as the seed when set.
func (s *Session) Options() Options {
	o := DefaultOptions
	if s.Env.SeedSet {
		o.Seed = s.Env.Seed
	}
	return o
}

// Group returns the group labelled label.
func (r *Result) Group(label string) (*Group, bool) {
	for i := range r.Groups {
		if r.Groups[i].Label == label {
			return &r.Groups[i], true
		}
	}
	return nil, false
}

// rounds returns the rounds present in the result, in order.
func (r *Result) rounds() []int {
	var ks []int
	for _, g := range r.Groups {
		for _, rec := range g.Records {
			if !slices.Contains(ks, rec.Round) {
				ks = append(ks, rec.Round)
			}
		}
	}
	slices.Sort(ks)
	return ks
}

// perRound is m's statistic over g's successful records of each round
// (NaN for a round without a value), and the most values a round had.
func (g *Group) perRound(m Measure, rounds []int) (vals []float64, perRound int) {
	by := map[int][]float64{}
	for i := range g.Records {
		rec := &g.Records[i]
		if !rec.OK() {
			continue
		}
		if v, ok := m.Metric.Value(rec); ok {
			by[rec.Round] = append(by[rec.Round], v)
		}
	}
	for _, k := range rounds {
		ys := by[k]
		perRound = max(perRound, len(ys))
		if len(ys) == 0 {
			vals = append(vals, nan)
			continue
		}
		vals = append(vals, stats.Quantile(ys, m.Q))
	}
	return vals, perRound
}

// values is m's metric over g's successful records.
func (g *Group) values(m Metric) []float64 {
	var ys []float64
	for i := range g.Records {
		if g.Records[i].OK() {
			if v, ok := m.Value(&g.Records[i]); ok {
				ys = append(ys, v)
			}
		}
	}
	return ys
}

// Verdict decides claim from checks on r: each check's outcome, combined
// (any fail fails, any inconclusive is inconclusive, all pass pass); the
// evidence table is each group's statistic of the first check's measure
// with its distribution-free interval; the verdict names the design, the
// target, the time base and the data's directory. A run whose client
// limited its own measurements makes the verdict inconclusive
// (verdict.ForRun). Write it with verdict.Append, or in a test with
// verdicttest.Report(t, r.SessionDir, v).
func (r *Result) Verdict(id, claim string, checks ...Check) verdict.Verdict {
	o := r.Options.WithDefaults()
	v := verdict.Verdict{ID: id, Claim: claim, Seed: o.Seed, Alpha: o.Alpha, Design: r.Description}
	failed := 0
	for _, g := range r.Groups {
		for _, rec := range g.Records {
			if !rec.OK() {
				failed++
			}
		}
	}
	if failed > 0 {
		v.Warnings = append(v.Warnings, stats.Warnf(stats.ErrDropped, "%d failed requests excluded", failed))
	}
	for _, c := range checks {
		v.Checks = append(v.Checks, c.Decide(r, o)...)
	}
	if len(checks) > 0 {
		m := checks[0].Measure()
		for _, g := range r.Groups {
			v.Evidence = append(v.Evidence, EvidenceRow(g.Label, g.X, g.values(m.Metric), m.Q, o.Level(), m.Metric.Unit+" ("+m.String()+")"))
		}
	}
	v.Combine()
	v = finish(v, r.Description, r.SessionDir, r.Dir, r.Runs)
	if r.WallClock {
		v.Time = "wall clock, as measured (the design mixes a simulated-time embedded engine with a server: compared as measured)"
	}
	return v
}

// Finish stamps a verdict made by an analysis of one's own (H1–H4's) on
// runs of this session with where its data came from, as Result.Verdict
// does: design in words, the runs' target and time base, the data's
// directory relative to the session's (the first run's), what a Sizer or
// a re-measurement said (Info), and inconclusive when a run's client
// limited its measurement.
func (s *Session) Finish(v verdict.Verdict, design string, runs ...*Run) verdict.Verdict {
	sessDir, _ := s.Dir()
	dir := ""
	if len(runs) > 0 {
		dir = runs[0].Dir
	}
	return finish(v, design, sessDir, dir, runs)
}

func finish(v verdict.Verdict, design, sessDir, dir string, runs []*Run) verdict.Verdict {
	v.Design = design
	if len(runs) > 0 {
		v.Target, v.Time = runs[0].Target, runs[0].Time
		for _, run := range runs[1:] {
			if run.Target != v.Target {
				v.Target += "; " + run.Target
				break
			}
		}
	}
	if dir != "" {
		if rel, err := filepath.Rel(sessDir, dir); err == nil && sessDir != "" {
			v.RunDir = rel
		} else {
			v.RunDir = dir
		}
	}
	for _, run := range runs {
		v.Info = append(v.Info, run.Notes...)
	}
	for _, run := range runs {
		v = verdict.ForRun(v, run.Config)
	}
	return v
}

// EvidenceRow is one row of a verdict's evidence table: ys' q-quantile
// (stats.Quantile; NaN when ys is empty) as the row's Median, with its
// distribution-free interval at level (stats.QuantileCI), their count,
// and the group's label, level x and unit. Result.Verdict writes one per
// group, H1–H3 one per level.
func EvidenceRow(label string, x float64, ys []float64, q, level float64, unit string) verdict.Level {
	ci, _ := stats.QuantileCI(ys, q, level)
	return verdict.Level{Label: label, X: verdict.Float(x), N: len(ys), Median: verdict.Float(stats.Quantile(ys, q)), MedianCI: ci, Unit: unit}
}

// String names the measure: "median TTFT", "p90 TTFT".
func (m Measure) String() string {
	if m.Q == 0.5 {
		return "median " + m.Metric.Name
	}
	return fmt.Sprintf("p%g %s", m.Q*100, m.Metric.Name)
}
