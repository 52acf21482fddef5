package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/stats"
)

// CILevel is the confidence level of every interval in the summary.
const CILevel = 0.95

// CIMethod describes how the summary's quantile intervals are formed.
const CIMethod = "distribution-free order-statistic interval (binomial, exact for n ≤ 30, normal approximation with continuity correction above; stats.QuantileCI) at 95%; none where n is too small for the level"

// SLO holds optional latency thresholds for goodput. A zero field sets no
// threshold; a request meets the SLO when it succeeded and meets every
// threshold that is set.
type SLO struct {
	TTFT time.Duration // on ttft_s
	TPOT time.Duration // on tpot_s; a request with TPOT undefined (N < 2) meets it
	E2E  time.Duration // on e2e_s
}

// Set reports whether any threshold is set.
func (s SLO) Set() bool { return s.TTFT > 0 || s.TPOT > 0 || s.E2E > 0 }

// SLOJSON is an SLO in seconds as written to summary.json; null fields set
// no threshold.
type SLOJSON struct {
	TTFT *float64 `json:"ttft_s"`
	TPOT *float64 `json:"tpot_s"`
	E2E  *float64 `json:"e2e_s"`
}

func (s SLO) json() *SLOJSON {
	if !s.Set() {
		return nil
	}
	sec := func(d time.Duration) *float64 {
		if d <= 0 {
			return nil
		}
		return fp(d.Seconds())
	}
	return &SLOJSON{TTFT: sec(s.TTFT), TPOT: sec(s.TPOT), E2E: sec(s.E2E)}
}

// Summary is the per suite × profile × concurrency summary of a run, as
// written to summary.json. Durations are seconds.
type Summary struct {
	// Time says in whose time the figures are (record.TimeBase), and
	// Banner says it in words; reports print it above every figure.
	Time   record.TimeBase `json:"time"`
	Banner string          `json:"banner"`
	// ClientOverhead is, for a run with the engine's stamps, the
	// distribution of ttft_s − sim_ttft_s / speed over successful
	// records: the client's, the HTTP layer's and the host's share of
	// TTFT in wall-clock seconds, which simulated figures carry unscaled.
	ClientOverhead     *Dist    `json:"client_overhead_s,omitempty"`
	QuantileDefinition string   `json:"quantile_definition"`
	CIMethod           string   `json:"ci_method"`
	CILevel            float64  `json:"ci_level"`
	SLO                *SLOJSON `json:"slo"` // null when no threshold was given
	Records            int      `json:"records"`
	Groups             []Group  `json:"groups"`
}

// Group summarizes the records of one suite, profile and concurrency.
type Group struct {
	Suite       string `json:"suite"`
	Profile     string `json:"profile"`
	Concurrency int    `json:"concurrency"`
	// Rate is the target rate (requests/s) of an open-loop group, whose
	// Concurrency is 0: open-loop records are grouped by their phase's
	// target rate, not by the requests in flight they were sent with.
	Rate float64 `json:"rate,omitempty"`
	// RateShown is Rate in the summary's time (Summary.Time): Rate ×
	// record.TimeBase.RateFactor, per simulated second for an embedded run
	// shown in simulated time (a run at speed S offers Rate/S requests per
	// simulated second); 0 when it equals Rate. Rate stays the key that
	// joins the group to its phases and records.
	RateShown float64 `json:"rate_shown,omitempty"`
	Phases    []int   `json:"phases"` // phase indexes holding the group's records

	N      int            `json:"n"`      // records
	OK     int            `json:"ok"`     // records without an error class
	Errors map[string]int `json:"errors"` // error class → records

	Excluded Excluded `json:"excluded"`

	// TokenMismatch counts successful records whose usage disagreed with
	// the counted chunks; UsageMissing those without server usage.
	TokenMismatch int `json:"token_mismatch"`
	UsageMissing  int `json:"usage_missing"`

	TTFT     Dist `json:"ttft_s"`
	TTFTText Dist `json:"ttft_text_s"`
	TPOT     Dist `json:"tpot_s"`
	ITL      Dist `json:"itl_s"` // pooled gaps of every successful record
	E2E      Dist `json:"e2e_s"`
	Total    Dist `json:"total_s"`

	// WindowS is the time the rates divide by: the summed phase windows
	// from phases.jsonl (WindowSource "phases"), else the span from the
	// first record's start to the last one's end ("records").
	WindowS      float64  `json:"window_s"`
	WindowSource string   `json:"window_source"`
	Interrupted  bool     `json:"interrupted"` // a phase ended early
	OutputTokens int      `json:"output_tokens"`
	OutputTokS   *float64 `json:"output_tokens_per_s"`
	RequestsS    *float64 `json:"requests_per_s"` // successful requests
	Goodput      *Goodput `json:"goodput"`        // null without an SLO

	// The open-loop group's send lag (queue_s) and its latencies measured
	// from each request's due instant (ttft_intended_s, total_intended_s);
	// absent in closed-loop groups.
	SendLag      *Dist `json:"queue_s,omitempty"`
	TTFTFromDue  *Dist `json:"ttft_intended_s,omitempty"`
	TotalFromDue *Dist `json:"total_intended_s,omitempty"`
}

// Level names the group's load level: its concurrency, or for an
// open-loop group its target rate.
func (g Group) Level() string {
	if g.Rate > 0 {
		return fmt.Sprintf("%.4g req/s", g.shownRate())
	}
	return fmt.Sprint(g.Concurrency)
}

// shownRate is the group's target rate in the summary's time.
func (g *Group) shownRate() float64 {
	if g.RateShown > 0 {
		return g.RateShown
	}
	return g.Rate
}

// showRates sets each open-loop group's RateShown for tb.
func showRates(s *Summary, tb record.TimeBase) {
	f := tb.RateFactor()
	if f == 1 {
		return
	}
	for i := range s.Groups {
		s.Groups[i].RateShown = s.Groups[i].Rate * f
	}
}

// x is the group's load level as a number: concurrency or target rate.
func (g *Group) x() float64 {
	if g.Rate > 0 {
		return g.shownRate()
	}
	return float64(g.Concurrency)
}

// Excluded counts the records left out of each metric, by reason. Errored
// records are left out of every latency metric; the others count
// successful records whose metric is undefined.
type Excluded struct {
	Errored           int `json:"errored"`
	TTFTUndefined     int `json:"ttft_undefined"`
	TTFTTextUndefined int `json:"ttft_text_undefined"` // no non-empty text arrived
	TPOTUndefined     int `json:"tpot_undefined"`      // N < 2 output tokens
	E2EUndefined      int `json:"e2e_undefined"`
}

// Goodput is how many requests met every SLO threshold that was set.
type Goodput struct {
	Met      int      `json:"met"`
	Fraction *float64 `json:"fraction"` // of all records, errored included
	PerS     *float64 `json:"per_s"`    // met / WindowS
}

// Dist summarizes a sample: its size, mean and quantiles (Hyndman–Fan type
// 7) with distribution-free CIs.
type Dist struct {
	N    int      `json:"n"`
	Mean *float64 `json:"mean"`
	P10  Quantile `json:"p10"`
	P50  Quantile `json:"p50"`
	P90  Quantile `json:"p90"`
	P99  Quantile `json:"p99"`
}

// Quantile is a sample quantile with its CI; null fields are undefined (no
// data, or too few observations for an interval at CILevel).
type Quantile struct {
	Value *float64 `json:"value"`
	Lo    *float64 `json:"ci_lo"`
	Hi    *float64 `json:"ci_hi"`
}

// Summarize groups records by suite, profile and concurrency and summarizes
// each group. phases supplies the time windows for the rates; groups are
// ordered by suite, then profile in the order phases first ran them, then
// concurrency.
func Summarize(recs []record.Record, phases []record.Phase, slo SLO) Summary {
	return summarize(tableOf(recs, phases), phases, slo)
}

// summarize is Summarize over a table's rows and pooled ITL gaps.
func summarize(t *table, phases []record.Phase, slo SLO) Summary {
	s := Summary{
		QuantileDefinition: stats.QuantileDefinition,
		CIMethod:           CIMethod,
		CILevel:            CILevel,
		SLO:                slo.json(),
		Records:            len(t.rows),
	}
	idx := map[groupKey]int{}
	var members [][]int32
	var keys []groupKey
	for i := range t.rows {
		k := t.keyOf(&t.rows[i])
		j, ok := idx[k]
		if !ok {
			j = len(keys)
			idx[k] = j
			keys = append(keys, k)
			members = append(members, nil)
		}
		members[j] = append(members[j], int32(i))
	}
	rank := profileRank(phases)
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		ka, kb := keys[a], keys[b]
		return cmp.Or(cmp.Compare(ka.suite, kb.suite), cmpProfile(rank, ka.profile, kb.profile), cmp.Compare(ka.conc, kb.conc), cmp.Compare(ka.rate, kb.rate))
	})
	for _, j := range order {
		k := keys[j]
		var ph []record.Phase
		for _, p := range phases {
			if p.Suite == k.suite && p.Profile == k.profile && p.Concurrency == k.conc && (!p.OpenLoop() || p.TargetRate == k.rate) {
				ph = append(ph, p)
			}
		}
		rs := members[j]
		members[j] = nil
		g := summarizeGroup(k.suite, k.profile, k.conc, t.rows, t.names, rs, ph, slo)
		g.ITL = t.itlDist(k)
		if k.rate > 0 {
			g.Rate = k.rate
			openLoopDists(&g, t.rows, rs)
		}
		s.Groups = append(s.Groups, g)
	}
	return s
}

// profileRank numbers profiles in the order phases first ran them.
func profileRank(phases []record.Phase) map[string]int {
	ps := slices.Clone(phases)
	slices.SortStableFunc(ps, func(a, b record.Phase) int { return cmp.Compare(a.Index, b.Index) })
	rank := map[string]int{}
	for _, p := range ps {
		if _, ok := rank[p.Profile]; !ok {
			rank[p.Profile] = len(rank)
		}
	}
	return rank
}

func cmpProfile(rank map[string]int, a, b string) int {
	ra, oka := rank[a]
	rb, okb := rank[b]
	switch {
	case oka && okb:
		return cmp.Compare(ra, rb)
	case oka:
		return -1
	case okb:
		return 1
	}
	return cmp.Compare(a, b)
}

// summarizeGroup summarizes the rows at indexes rs of one group, all but
// its pooled ITL gaps (table.itlDist).
func summarizeGroup(suite, profile string, conc int, rows []row, names []string, rs []int32, phases []record.Phase, slo SLO) Group {
	g := Group{Suite: suite, Profile: profile, Concurrency: conc, N: len(rs), Errors: map[string]int{}}
	var ttft, ttftText, tpot, e2e, total []float64
	met := 0
	seen := map[int]bool{}
	for _, i := range rs {
		r := &rows[i]
		if ph := int(r.phase); !seen[ph] {
			seen[ph] = true
			g.Phases = append(g.Phases, ph)
		}
		if !r.ok() {
			g.Errors[nameOf(names, r.errClass)]++
			g.Excluded.Errored++
			continue
		}
		g.OK++
		g.OutputTokens += r.n()
		if r.has(flagMismatch) {
			g.TokenMismatch++
		}
		if !r.has(flagOut) {
			g.UsageMissing++
		}
		ttft = appendDef(ttft, r.ttft, &g.Excluded.TTFTUndefined)
		ttftText = appendDef(ttftText, r.ttftText, &g.Excluded.TTFTTextUndefined)
		tpot = appendDef(tpot, r.tpot, &g.Excluded.TPOTUndefined)
		e2e = appendDef(e2e, r.e2e, &g.Excluded.E2EUndefined)
		total = append(total, r.total)
		if meets(r, slo) {
			met++
		}
	}
	slices.Sort(g.Phases)
	g.TTFT, g.TTFTText, g.TPOT = dist(ttft), dist(ttftText), dist(tpot)
	g.E2E, g.Total = dist(e2e), dist(total)

	g.WindowS, g.WindowSource, g.Interrupted = window(rows, rs, phases)
	if g.WindowS > 0 {
		g.OutputTokS = fp(float64(g.OutputTokens) / g.WindowS)
		g.RequestsS = fp(float64(g.OK) / g.WindowS)
	}
	if slo.Set() {
		gp := &Goodput{Met: met}
		if g.N > 0 {
			gp.Fraction = fp(float64(met) / float64(g.N))
		}
		if g.WindowS > 0 {
			gp.PerS = fp(float64(met) / g.WindowS)
		}
		g.Goodput = gp
	}
	return g
}

func appendDef(xs []float64, v float64, undefined *int) []float64 {
	if !defined(v) {
		*undefined++
		return xs
	}
	return append(xs, v)
}

// meets reports whether a successful record meets every threshold set: an
// undefined TTFT or E2E misses its threshold, an undefined TPOT (N < 2, no
// decode to judge) meets it.
func meets(r *row, slo SLO) bool {
	if !slo.Set() {
		return false
	}
	le := func(v float64, d time.Duration, undefinedOK bool) bool {
		if d <= 0 {
			return true
		}
		if !defined(v) {
			return undefinedOK
		}
		return v <= d.Seconds()
	}
	ttft := r.ttft
	if defined(r.ttftDue) {
		ttft = r.ttftDue // open loop: from due, so queueing counts
	}
	return le(ttft, slo.TTFT, false) && le(r.tpot, slo.TPOT, true) && le(r.e2e, slo.E2E, false)
}

// window returns the seconds the group's rates divide by and where they
// came from.
func window(rows []row, rs []int32, phases []record.Phase) (sec float64, source string, interrupted bool) {
	var ns int64
	for _, p := range phases {
		if p.EndUnixNs > p.StartUnixNs {
			ns += p.EndUnixNs - p.StartUnixNs
		}
		if p.Status == "interrupted" {
			interrupted = true
		}
	}
	if ns > 0 {
		return float64(ns) / 1e9, "phases", interrupted
	}
	var lo, hi int64
	for _, i := range rs {
		r := &rows[i]
		if r.start <= 0 || r.end < r.start {
			continue
		}
		if lo == 0 || r.start < lo {
			lo = r.start
		}
		hi = max(hi, r.end)
	}
	if hi > lo {
		return float64(hi-lo) / 1e9, "records", interrupted
	}
	return 0, "", interrupted
}

// dist summarizes xs, sorting it in place.
func dist(xs []float64) Dist {
	slices.Sort(xs)
	return distSorted(xs)
}

// distSorted is dist for xs already sorted ascending.
func distSorted(xs []float64) Dist {
	d := Dist{N: len(xs)}
	if len(xs) == 0 {
		return d
	}
	d.Mean = fp(stats.Mean(xs))
	d.P10, d.P50, d.P90, d.P99 = quant(xs, 0.10), quant(xs, 0.50), quant(xs, 0.90), quant(xs, 0.99)
	return d
}

// quant is the p-quantile of sorted and its CI, read from the sorted
// sample without copying it (a NaN, which sorts first, makes both
// undefined as stats.Quantile and stats.QuantileCI make them).
func quant(sorted []float64, p float64) Quantile {
	if math.IsNaN(sorted[0]) {
		return Quantile{}
	}
	q := Quantile{Value: fp(stats.QuantileSorted(sorted, p))}
	if ci, ok := stats.QuantileCISorted(sorted, p, CILevel); ok {
		q.Lo, q.Hi = fp(ci.Lo), fp(ci.Hi)
	}
	return q
}

// fp returns a pointer to v, or nil when v is NaN or infinite (JSON has no
// encoding for them).
func fp(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// val returns *p, or NaN for nil.
func val(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// stretch converts a simulated view's rates: each group's window is
// multiplied by the ratio of its records' summed total_s as shown to as
// measured (t.sumV, t.sumW), so the rates divide by the same time the
// latencies are in — the window's server time scaled, the client's gaps
// not magnified. A group without a measured total keeps its window.
// Open-loop records are keyed by their own target rate here.
func stretch(s *Summary, t *table) {
	for i := range s.Groups {
		g := &s.Groups[i]
		k := groupKey{g.Suite, g.Profile, g.Concurrency, g.Rate}
		if t.sumW[k] <= 0 || g.WindowS <= 0 {
			continue
		}
		f := t.sumV[k] / t.sumW[k]
		g.WindowS *= f
		g.OutputTokS = fp(float64(g.OutputTokens) / g.WindowS)
		g.RequestsS = fp(float64(g.OK) / g.WindowS)
		if g.Goodput != nil {
			g.Goodput.PerS = fp(float64(g.Goodput.Met) / g.WindowS)
		}
	}
}

// clientOverhead summarizes record.ClientOverhead over the successful
// stamped records (collected in t.overhead), or returns nil when there
// are none.
func clientOverhead(t *table) *Dist {
	if len(t.overhead) == 0 {
		return nil
	}
	d := dist(t.overhead)
	return &d
}

// openLoopDists fills an open-loop group's send lag and latencies from due
// from its successful records.
func openLoopDists(g *Group, rows []row, rs []int32) {
	var lag, ttft, total []float64
	for _, i := range rs {
		r := &rows[i]
		if !r.ok() {
			continue
		}
		lag = append(lag, r.queue)
		if defined(r.ttftDue) {
			ttft = append(ttft, r.ttftDue)
		}
		if defined(r.totalDue) {
			total = append(total, r.totalDue)
		}
	}
	l, t, tt := dist(lag), dist(ttft), dist(total)
	g.SendLag, g.TTFTFromDue, g.TotalFromDue = &l, &t, &tt
}
