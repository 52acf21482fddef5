package report

import (
	"math"
	"slices"

	"github.com/hypobench/hypobench/record"
)

// row is what a report keeps of one record: the fields its summary, plots
// and sections read, 176 bytes instead of a record.Record's 500 plus its
// slices, and no pointers, so the garbage collector never scans a run's
// rows (its strings are numbered in the table's names). Durations are float64 seconds as the record holds them
// (exact); NaN stands for an undefined (null) duration, which JSON cannot
// otherwise produce. The plain fields are as shown (the simulated view of
// an embedded run, see record.TimeBase); the fields ending in W are as
// measured on the wall clock, for the sections that read those.
type row struct {
	suite, profile, model name // the table's names
	errClass              name // "" (0) for a success
	phase, conc           int32
	promptTok, outTok     int32 // valid when flagPrompt, flagOut
	chunks                int32
	flags                 uint8
	rate                  float64 // record's target_rate
	start, end            int64
	queue                 float64
	total, totalW         float64
	ttft, ttftText        float64
	e2e, tpot             float64
	ttftDue, totalDue     float64
	ttftW, ttftDueW       float64
	totalDueW             float64
}

const (
	flagPrompt    uint8 = 1 << iota // prompt_tokens reported
	flagOut                         // output_tokens reported
	flagMismatch                    // token_mismatch
	flagPlottable                   // every shown duration can be drawn (see Plottable)
)

func (r *row) ok() bool { return r.errClass == 0 }

// name numbers a distinct string of a table (table.names); 0 is "".
type name uint32

// nameOf returns the string numbered n in names.
func nameOf(names []string, n name) string { return names[n] }

// nameIn returns the number of s in names, or false when no row has it.
func nameIn(names []string, s string) (name, bool) {
	i := slices.Index(names, s)
	return name(i), i >= 0
}

// n is record.Record.N: usage when reported, counted chunks otherwise.
func (r *row) n() int {
	if r.flags&flagOut != 0 {
		return int(r.outTok)
	}
	return int(r.chunks)
}

func (r *row) has(f uint8) bool { return r.flags&f != 0 }

// nanOr returns *p, or NaN for nil.
func nanOr(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// defined reports whether a row's duration is set (not null).
func defined(v float64) bool { return !math.IsNaN(v) }

// groupKey is a summary group's identity: suite, profile and concurrency,
// or for an open-loop group its target rate with concurrency 0.
type groupKey struct {
	suite, profile string
	conc           int
	rate           float64
}

// table holds a run's rows and what the report computes while reading
// them, so the records themselves are never held: the pooled ITL gaps of
// each group's successful records (exact, as shown), the client overhead
// of each stamped record, the summed total_s per group as measured and as
// shown (for stretch), and the ids of records that cannot be plotted.
type table struct {
	rows   []row
	rateOf map[int]float64 // open-loop phase → target rate
	// itl holds each group's pooled gaps exactly until the run's gaps
	// pass itlBudget; then every group's are held as float32 in itl32
	// (spilled), and itlSum keeps each group's exact (compensated) sum
	// for the mean.
	itl       map[groupKey][]float64
	itl32     map[groupKey]*chunks32
	itlSum    map[groupKey]*sum
	itlBudget int
	gaps      int
	spilled   bool
	overhead  []float64
	sumW      map[groupKey]float64
	sumV      map[groupKey]float64
	left      []string
	unstamped int
	// names holds each distinct string of the rows once, numbered by
	// its index (ids maps it back); names[0] is "".
	names []string
	ids   map[string]name
}

func newTable(phases []record.Phase) *table {
	t := &table{rateOf: map[int]float64{}, itl: map[groupKey][]float64{}, itlBudget: ExactITLGaps,
		itl32: map[groupKey]*chunks32{}, itlSum: map[groupKey]*sum{},
		sumW: map[groupKey]float64{}, sumV: map[groupKey]float64{}, names: []string{""}, ids: map[string]name{"": 0}}
	for _, p := range phases {
		if p.OpenLoop() {
			t.rateOf[p.Index] = p.TargetRate
		}
	}
	return t
}

// tableOf builds the table of records already in memory, shown as they
// are (no time-base conversion).
func tableOf(recs []record.Record, phases []record.Phase) *table {
	t := newTable(phases)
	for i := range recs {
		t.add(&recs[i], &recs[i], 0)
	}
	return t
}

// id returns the number of s in t.names, adding it when new.
func (t *table) id(s string) name {
	if n, ok := t.ids[s]; ok {
		return n
	}
	n := name(len(t.names))
	t.names = append(t.names, s)
	t.ids[s] = n
	return n
}

func (t *table) name(n name) string { return t.names[n] }

// keyOf is the summary group of a record: open-loop records group by their
// phase's target rate (from phases.jsonl, else the record's own).
func (t *table) keyOf(r *row) groupKey {
	k := groupKey{t.name(r.suite), t.name(r.profile), int(r.conc), 0}
	if rate, ok := t.rateOf[int(r.phase)]; ok {
		k.conc, k.rate = 0, rate
	} else if r.rate > 0 {
		k.conc, k.rate = 0, r.rate
	}
	return k
}

// add appends the row of record w (as measured) shown as v (its view; v ==
// w when the run is shown as measured). scale > 0 also collects the
// client overhead (record.ClientOverhead) of a successful stamped record.
func (t *table) add(w, v *record.Record, scale float64) {
	r := row{
		suite: t.id(v.Suite), profile: t.id(v.Profile), model: t.id(w.Model),
		errClass: t.id(string(v.ErrorClass)),
		phase:    int32(v.Phase), conc: int32(v.Concurrency), chunks: int32(v.OutputChunks),
		rate: v.TargetRate, start: v.StartUnixNs, end: v.EndUnixNs, queue: v.Queue,
		total: v.Total, totalW: w.Total,
		ttft: nanOr(v.TTFT), ttftText: nanOr(v.TTFTText), e2e: nanOr(v.E2E), tpot: nanOr(v.TPOT),
		ttftDue: nanOr(v.TTFTIntended), totalDue: nanOr(v.TotalIntended),
		ttftW: nanOr(w.TTFT), ttftDueW: nanOr(w.TTFTIntended), totalDueW: nanOr(w.TotalIntended),
	}
	if v.PromptTokens != nil {
		r.flags |= flagPrompt
		r.promptTok = int32(*v.PromptTokens)
	}
	if v.OutputTokens != nil {
		r.flags |= flagOut
		r.outTok = int32(*v.OutputTokens)
	}
	if v.TokenMismatch {
		r.flags |= flagMismatch
	}
	if plottable(v) {
		r.flags |= flagPlottable
	} else {
		t.left = append(t.left, v.ID)
	}
	if r.ok() {
		t.addITL(t.keyOf(&r), v.ITL)
		if scale > 0 {
			if o, ok := record.ClientOverhead(w, scale); ok {
				t.overhead = append(t.overhead, o)
			}
		}
	}
	sk := groupKey{v.Suite, v.Profile, int(r.conc), 0} // stretch's key: the record's own rate
	if v.TargetRate > 0 {
		sk = groupKey{v.Suite, v.Profile, 0, v.TargetRate}
	}
	t.sumW[sk] += w.Total
	t.sumV[sk] += v.Total
	t.rows = append(t.rows, r)
}

// ExactITLGaps is how many pooled ITL gaps (over all groups) a report
// holds as float64, 128 MiB of them. A run with more holds every gap as
// float32 instead: each ITL quantile is then the float32 nearest the
// exact one (relative error at most 2⁻²⁴ ≈ 6·10⁻⁸, 60 ns on a 1 s gap, far
// below the client's clock resolution), the mean comes from a compensated
// float64 sum of the exact gaps (within an ulp or two of the exact mean;
// the in-memory path's plain sum may differ in its last digits), and the
// report says so in a note.
const ExactITLGaps = 1 << 24

// addITL pools gaps into group k, spilling every group to float32 when
// the run's gaps pass the budget.
func (t *table) addITL(k groupKey, gaps []float64) {
	if len(gaps) == 0 {
		return
	}
	s := t.itlSum[k]
	if s == nil {
		s = &sum{}
		t.itlSum[k] = s
	}
	for _, g := range gaps {
		s.add(g)
	}
	t.gaps += len(gaps)
	if !t.spilled && t.gaps > t.itlBudget {
		t.spilled = true
		for k2, xs := range t.itl {
			c := &chunks32{}
			c.add(xs)
			t.itl32[k2] = c
			delete(t.itl, k2)
		}
	}
	if t.spilled {
		c := t.itl32[k]
		if c == nil {
			c = &chunks32{}
			t.itl32[k] = c
		}
		c.add(gaps)
		return
	}
	t.itl[k] = append(t.itl[k], gaps...)
}

// chunks32 holds float32 values in fixed-size chunks, so a pool of
// hundreds of millions grows without append's doubling (at most one
// chunk's worth of spare room).
type chunks32 struct {
	cs [][]float32
	n  int
}

const chunk32 = 1 << 20

func (c *chunks32) add(xs []float64) {
	for _, x := range xs {
		if len(c.cs) == 0 || len(c.cs[len(c.cs)-1]) == chunk32 {
			c.cs = append(c.cs, make([]float32, 0, chunk32))
		}
		last := &c.cs[len(c.cs)-1]
		*last = append(*last, float32(x))
	}
	c.n += len(xs)
}

// itlDist summarizes group k's pooled gaps and lets them go: exactly
// when they were held as float64; from their float32 copies (sorted by
// radix on their bits one group at a time, only the order statistics read
// widened) with the exact mean when spilled.
func (t *table) itlDist(k groupKey) Dist {
	if !t.spilled {
		d := dist(t.itl[k])
		delete(t.itl, k)
		return d
	}
	var keys []uint32
	if c := t.itl32[k]; c != nil {
		delete(t.itl32, k)
		keys = make([]uint32, 0, c.n)
		for i, ch := range c.cs {
			for _, x := range ch {
				keys = append(keys, orderedBits(x))
			}
			c.cs[i] = nil // let each chunk go as it is copied
		}
		keys = radixSort(keys)
	}
	d := distKeys(keys)
	if s := t.itlSum[k]; s != nil && len(keys) > 0 {
		d.Mean = fp(s.value() / float64(len(keys)))
	}
	return d
}

// sum is a Neumaier-compensated running sum.
type sum struct{ s, c float64 }

func (s *sum) add(x float64) {
	t := s.s + x
	if math.Abs(s.s) >= math.Abs(x) {
		s.c += (s.s - t) + x
	} else {
		s.c += (x - t) + s.s
	}
	s.s = t
}

func (s *sum) value() float64 { return s.s + s.c }

// plottable reports whether every duration of r can be drawn: finite,
// non-negative, at most MaxPlottable seconds.
func plottable(r *record.Record) bool {
	good := func(v float64) bool { return !math.IsNaN(v) && v >= 0 && v <= MaxPlottable }
	goodP := func(p *float64) bool { return p == nil || good(*p) }
	return good(r.Total) && goodP(r.TTFT) && goodP(r.E2E) && goodP(r.TPOT) && goodP(r.TTFTText) && good(r.Queue)
}

// wallRecords rebuilds, for servermetrics.Summarize, the records as
// measured with the fields it reads (phase, error class, model, token
// counts, start and end, TTFT).
func (t *table) wallRecords() []record.Record {
	out := make([]record.Record, len(t.rows))
	for i := range t.rows {
		r := &t.rows[i]
		w := record.Record{Suite: t.name(r.suite), Profile: t.name(r.profile), Model: t.name(r.model), ErrorClass: record.ErrorClass(t.name(r.errClass)),
			Phase: int(r.phase), Concurrency: int(r.conc), OutputChunks: int(r.chunks),
			StartUnixNs: r.start, EndUnixNs: r.end, Total: r.totalW, Queue: r.queue, TargetRate: r.rate}
		if defined(r.ttftW) {
			w.TTFT = record.F(r.ttftW)
		}
		if r.has(flagPrompt) {
			w.PromptTokens = record.I(int(r.promptTok))
		}
		if r.has(flagOut) {
			w.OutputTokens = record.I(int(r.outTok))
		}
		out[i] = w
	}
	return out
}
