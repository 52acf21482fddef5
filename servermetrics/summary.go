package servermetrics

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/hypobench/hypobench/record"
)

// HistStat summarizes the observations a server histogram gained during a
// phase (end − start scrape). Mean is Δsum/Δcount; P50 and P90 are
// Histogram.Quantile estimates from the Δbuckets, so their resolution is the
// bucket width. Nil fields are not available (no observations, or no
// buckets).
type HistStat struct {
	Count float64  `json:"count"`
	Sum   float64  `json:"sum"`
	Mean  *float64 `json:"mean"`
	P50   *float64 `json:"p50"`
	P90   *float64 `json:"p90"`
}

// GaugeStat summarizes a gauge over the successful scrapes inside a phase
// window (the start and end scrapes and the ticks between them).
type GaugeStat struct {
	N    int     `json:"n"`
	Mean float64 `json:"mean"`
	Max  float64 `json:"max"`
}

// PhaseSummary is the server's view of one phase joined with the client's.
// A nil pointer means not available: the target did not expose the quantity,
// a scrape was missing, or a counter went backwards.
type PhaseSummary struct {
	Phase       int    `json:"phase"`
	Profile     string `json:"profile"`
	Concurrency int    `json:"concurrency"`
	// TargetRate is an open-loop phase's target rate in requests per
	// second (record.Phase.TargetRate; its Concurrency is 0), 0 for a
	// closed-loop phase.
	TargetRate float64 `json:"target_rate,omitempty"`

	Dialect string `json:"dialect,omitempty"` // vllm, sglang, tgi; empty when unknown
	Model   string `json:"model,omitempty"`   // model_name filter used
	// Bracket says which scrapes delimit the deltas: "edges" (the phase's
	// start and end scrapes), "ticks" (nearest ticks outside the phase
	// window; may include neighbouring requests) or "" (none: no deltas).
	Bracket string  `json:"bracket,omitempty"`
	WindowS float64 `json:"window_s"` // end − start scrape time, seconds
	Scrapes int     `json:"scrapes"`  // successful scrapes in the window

	Queue      *HistStat `json:"queue_s"`
	Prefill    *HistStat `json:"prefill_s"`
	Decode     *HistStat `json:"decode_s"`
	TTFT       *HistStat `json:"ttft_s"`
	ITL        *HistStat `json:"itl_s"`
	E2E        *HistStat `json:"e2e_s"`
	StepTokens *HistStat `json:"step_tokens"` // tokens per engine step

	PromptTokens     *float64 `json:"prompt_tokens"`     // Δ counter
	GenerationTokens *float64 `json:"generation_tokens"` // Δ counter
	Preemptions      *float64 `json:"preemptions"`       // Δ counter

	Running     *GaugeStat `json:"running"`
	Waiting     *GaugeStat `json:"waiting"`
	KVUsagePeak *float64   `json:"kv_usage_peak"`

	// PrefillShare is Δprefill_sum / (Δprefill_sum + Δdecode_sum): the share
	// of server request time spent in prefill.
	PrefillShare *float64 `json:"prefill_share"`
	// QueueShareOfTTFT is the server's mean queue time over its mean TTFT.
	QueueShareOfTTFT *float64 `json:"queue_share_of_ttft"`

	// Client side, from the phase's records that started inside the phase
	// window (warm-up requests excluded).
	ClientRequests   int      `json:"client_requests"`
	ClientTTFTN      int      `json:"client_ttft_n"`
	ClientTTFTMean   *float64 `json:"client_ttft_mean_s"`
	ClientTTFTMedian *float64 `json:"client_ttft_median_s"`
	// TTFTGapMean is client mean TTFT − server mean TTFT: network, HTTP and
	// client overhead per request. TTFTGapMedian is client median − server
	// P50 estimate, limited by the server's bucket width.
	TTFTGapMean   *float64 `json:"ttft_gap_mean_s"`
	TTFTGapMedian *float64 `json:"ttft_gap_median_s"`

	// Client usage sums over records that reported usage; *Missing counts
	// records that did not (their tokens are in the server delta only).
	ClientPromptTokens  int      `json:"client_prompt_tokens"`
	ClientOutputTokens  int      `json:"client_output_tokens"`
	ClientUsageMissing  int      `json:"client_usage_missing"`
	PromptTokensDiff    *float64 `json:"prompt_tokens_diff"` // server Δ − client sum
	GenerationTokenDiff *float64 `json:"generation_tokens_diff"`

	Warnings []string `json:"warnings,omitempty"`
}

// Summarize builds one PhaseSummary per phase from the scrape log, the
// phases and the client records (of any phases; each summary takes the
// records whose Phase matches). The model_name filter is the model most of
// the phase's records name. Nothing is estimated that the scrapes do not
// hold: missing quantities stay nil, with a warning where the reason is not
// simply that the server does not expose them.
func Summarize(scrapes []ScrapeLine, phases []record.Phase, recs []record.Record) []PhaseSummary {
	var ok []ScrapeLine
	for _, s := range scrapes {
		if s.OK() {
			ok = append(ok, s)
		}
	}
	sort.SliceStable(ok, func(i, j int) bool { return ok[i].UnixNs < ok[j].UnixNs })
	byPhase := map[int][]record.Record{}
	for _, r := range recs {
		byPhase[r.Phase] = append(byPhase[r.Phase], r)
	}
	// Ticks stand in for phase edges only in a log that has no edges at all
	// (a runner that never called Mark); otherwise a phase without its own
	// edges would borrow its neighbours'.
	ticksOnly := true
	for _, s := range scrapes {
		if s.Edge == EdgeStart || s.Edge == EdgeEnd {
			ticksOnly = false
			break
		}
	}
	out := make([]PhaseSummary, 0, len(phases))
	for _, p := range phases {
		out = append(out, summarizePhase(ok, p, byPhase[p.Index], ticksOnly))
	}
	return out
}

// Load labels the phase's load: "c=4" for a closed loop of 4 workers,
// "20 req/s" for an open-loop phase's target rate.
func (s PhaseSummary) Load() string {
	if s.TargetRate > 0 {
		return fmt.Sprintf("%g req/s", s.TargetRate)
	}
	return fmt.Sprintf("c=%d", s.Concurrency)
}

func summarizePhase(ok []ScrapeLine, p record.Phase, recs []record.Record, ticksOnly bool) PhaseSummary {
	ps := PhaseSummary{Phase: p.Index, Profile: p.Profile, Concurrency: p.Concurrency}
	if p.OpenLoop() {
		ps.TargetRate = p.TargetRate
	}
	recs = inWindow(recs, p)
	ps.Model = majorityModel(recs)
	joinClient(&ps, recs)

	start, end, bracket := bracketOf(ok, p, ticksOnly)
	if bracket == "" {
		ps.Warnings = append(ps.Warnings, "no successful start and end scrapes for this phase: server-side deltas not available")
		return ps
	}
	ps.Bracket = bracket
	if bracket == "ticks" {
		ps.Warnings = append(ps.Warnings, "phase has no start/end scrapes; deltas use the nearest ticks and may include neighbouring requests")
	}
	d, known := Detect(end.Samples)
	if !known {
		ps.Warnings = append(ps.Warnings, "unknown server: metric names not recognised, raw series only")
		return ps
	}
	ps.Dialect = d.Name
	if ps.Model == "" {
		if names := ModelNames(end.Samples); len(names) > 1 {
			ps.Warnings = append(ps.Warnings, fmt.Sprintf("records name no model and the server reports %d models; series summed over all", len(names)))
		}
	} else if names := ModelNames(end.Samples); len(names) > 0 && !contains(names, ps.Model) {
		ps.Warnings = append(ps.Warnings, fmt.Sprintf("server reports no model_name %q (it has %v)", ps.Model, names))
	}
	f := Filter{Model: ps.Model}
	ps.WindowS = float64(end.UnixNs-start.UnixNs) / 1e9

	if restarted(d, start.Samples, end.Samples) {
		ps.Warnings = append(ps.Warnings, "the server restarted between the start and end scrapes (_created changed): server-side deltas not available")
		ps.Bracket = ""
		return ps
	}
	var reset []string
	warnDelta := func(q Quantity, err error) {
		if errors.Is(err, ErrCounterReset) {
			reset = append(reset, string(q))
			return
		}
		ps.Warnings = append(ps.Warnings, fmt.Sprintf("%s: %v", q, err))
	}
	hist := func(q Quantity) *HistStat {
		a, okA := d.Histogram(q, start.Samples, f)
		b, okB := d.Histogram(q, end.Samples, f)
		if !okA || !okB {
			return nil
		}
		delta, err := b.Sub(a)
		if err != nil {
			warnDelta(q, err)
			return nil
		}
		return histStat(delta)
	}
	counter := func(q Quantity) *float64 {
		a, okA := d.Scalar(q, start.Samples, f)
		b, okB := d.Scalar(q, end.Samples, f)
		if !okA || !okB {
			return nil
		}
		if b < a {
			warnDelta(q, ErrCounterReset)
			return nil
		}
		return fp(b - a)
	}
	ps.Queue, ps.Prefill, ps.Decode = hist(QueueTime), hist(PrefillTime), hist(DecodeTime)
	ps.TTFT, ps.ITL, ps.E2E, ps.StepTokens = hist(TTFT), hist(ITL), hist(E2E), hist(StepTokens)
	ps.PromptTokens, ps.GenerationTokens, ps.Preemptions = counter(PromptTokens), counter(GenerationTokens), counter(Preemptions)

	if len(reset) > 0 {
		ps.Warnings = append(ps.Warnings, fmt.Sprintf("%v between the start and end scrapes; not available: %s",
			ErrCounterReset, strings.Join(reset, ", ")))
	}

	window := between(ok, start.UnixNs, end.UnixNs)
	ps.Scrapes = len(window)
	ps.Running = gauge(d, Running, window, f)
	ps.Waiting = gauge(d, Waiting, window, f)
	if kv := gauge(d, KVUsage, window, f); kv != nil {
		ps.KVUsagePeak = fp(kv.Max)
	}

	if ps.Prefill != nil && ps.Decode != nil && ps.Prefill.Sum+ps.Decode.Sum > 0 {
		ps.PrefillShare = fp(ps.Prefill.Sum / (ps.Prefill.Sum + ps.Decode.Sum))
	}
	if ps.Queue != nil && ps.TTFT != nil && ps.Queue.Mean != nil && ps.TTFT.Mean != nil && *ps.TTFT.Mean > 0 {
		ps.QueueShareOfTTFT = fp(*ps.Queue.Mean / *ps.TTFT.Mean)
	}
	if ps.TTFT != nil {
		if ps.TTFT.Mean != nil && ps.ClientTTFTMean != nil {
			ps.TTFTGapMean = fp(*ps.ClientTTFTMean - *ps.TTFT.Mean)
		}
		if ps.TTFT.P50 != nil && ps.ClientTTFTMedian != nil {
			ps.TTFTGapMedian = fp(*ps.ClientTTFTMedian - *ps.TTFT.P50)
		}
	}
	if ps.PromptTokens != nil {
		ps.PromptTokensDiff = fp(*ps.PromptTokens - float64(ps.ClientPromptTokens))
	}
	if ps.GenerationTokens != nil {
		ps.GenerationTokenDiff = fp(*ps.GenerationTokens - float64(ps.ClientOutputTokens))
	}
	return ps
}

func fp(v float64) *float64 { return &v }

// restarted reports whether any of the dialect's _created series (the
// process start time prometheus_client exports beside each counter and
// histogram) differs between two scrapes.
func restarted(d Dialect, a, b []Sample) bool {
	created := func(ss []Sample) map[string]float64 {
		m := map[string]float64{}
		for _, s := range ss {
			if strings.HasPrefix(s.Name, d.Prefix) && strings.HasSuffix(s.Name, "_created") {
				m[s.Name+"{"+labelKey(s.Labels)+"}"] = s.Value
			}
		}
		return m
	}
	ca := created(a)
	for k, v := range created(b) {
		if old, ok := ca[k]; ok && old != v {
			return true
		}
	}
	return false
}

func histStat(h Histogram) *HistStat {
	hs := &HistStat{Count: h.Count, Sum: h.Sum}
	if m, ok := h.Mean(); ok {
		hs.Mean = fp(m)
	}
	if q := h.Quantile(0.5); !math.IsNaN(q) {
		hs.P50 = fp(q)
	}
	if q := h.Quantile(0.9); !math.IsNaN(q) {
		hs.P90 = fp(q)
	}
	return hs
}

func gauge(d Dialect, q Quantity, window []ScrapeLine, f Filter) *GaugeStat {
	var g GaugeStat
	sum := 0.0
	for _, s := range window {
		v, ok := d.Scalar(q, s.Samples, f)
		if !ok || math.IsNaN(v) {
			continue
		}
		if g.N == 0 || v > g.Max {
			g.Max = v
		}
		sum += v
		g.N++
	}
	if g.N == 0 {
		return nil
	}
	g.Mean = sum / float64(g.N)
	return &g
}

// bracketOf picks the scrapes that delimit phase p: its own start and end
// edges when both succeeded, otherwise, in a log of ticks only, the last
// tick before the phase window and the first after it.
func bracketOf(ok []ScrapeLine, p record.Phase, ticksOnly bool) (start, end ScrapeLine, how string) {
	var haveStart, haveEnd bool
	for _, s := range ok {
		if s.Phase != p.Index {
			continue
		}
		switch s.Edge {
		case EdgeStart:
			start, haveStart = s, true // the last start wins
		case EdgeEnd:
			if !haveEnd {
				end, haveEnd = s, true
			}
		}
	}
	if haveStart && haveEnd && end.UnixNs >= start.UnixNs {
		return start, end, "edges"
	}
	if !ticksOnly || p.StartUnixNs == 0 || p.EndUnixNs == 0 {
		return ScrapeLine{}, ScrapeLine{}, ""
	}
	haveStart, haveEnd = false, false
	for _, s := range ok {
		if s.UnixNs+s.TookNs <= p.StartUnixNs {
			start, haveStart = s, true
		}
		if s.UnixNs >= p.EndUnixNs && !haveEnd {
			end, haveEnd = s, true
		}
	}
	if haveStart && haveEnd {
		return start, end, "ticks"
	}
	return ScrapeLine{}, ScrapeLine{}, ""
}

func between(ok []ScrapeLine, from, to int64) []ScrapeLine {
	var out []ScrapeLine
	for _, s := range ok {
		if s.UnixNs >= from && s.UnixNs <= to {
			out = append(out, s)
		}
	}
	return out
}

// inWindow drops records that started before the phase began (warm-up).
func inWindow(recs []record.Record, p record.Phase) []record.Record {
	if p.StartUnixNs == 0 {
		return recs
	}
	var out []record.Record
	for _, r := range recs {
		if r.StartUnixNs == 0 || r.StartUnixNs >= p.StartUnixNs {
			out = append(out, r)
		}
	}
	return out
}

func majorityModel(recs []record.Record) string {
	n := map[string]int{}
	best := ""
	for _, r := range recs {
		if r.Model == "" {
			continue
		}
		n[r.Model]++
		if n[r.Model] > n[best] || (n[r.Model] == n[best] && r.Model < best) {
			best = r.Model
		}
	}
	return best
}

func joinClient(ps *PhaseSummary, recs []record.Record) {
	ps.ClientRequests = len(recs)
	var ttfts []float64
	for _, r := range recs {
		if r.OK() && r.TTFT != nil {
			ttfts = append(ttfts, *r.TTFT)
		}
		if r.PromptTokens == nil || r.OutputTokens == nil {
			ps.ClientUsageMissing++
		}
		if r.PromptTokens != nil {
			ps.ClientPromptTokens += *r.PromptTokens
		}
		if r.OutputTokens != nil {
			ps.ClientOutputTokens += *r.OutputTokens
		}
	}
	ps.ClientTTFTN = len(ttfts)
	if len(ttfts) == 0 {
		return
	}
	sort.Float64s(ttfts)
	sum := 0.0
	for _, v := range ttfts {
		sum += v
	}
	ps.ClientTTFTMean = fp(sum / float64(len(ttfts)))
	ps.ClientTTFTMedian = fp(median(ttfts))
}

// median of sorted xs: the middle value, or the mean of the two middle ones.
func median(xs []float64) float64 {
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// GaugePoint is one scrape's gauges, for plotting running, waiting and KV
// usage over a run. Nil fields were not in that scrape.
type GaugePoint struct {
	UnixNs  int64    `json:"unix_ns"`
	Phase   int      `json:"phase"`
	Running *float64 `json:"running"`
	Waiting *float64 `json:"waiting"`
	KVUsage *float64 `json:"kv_usage"`
}

// Timeline returns the gauges of every successful scrape in time order,
// filtered to model (empty: all models). It returns nil for an unknown
// server or a log without successful scrapes.
func Timeline(scrapes []ScrapeLine, model string) []GaugePoint {
	var out []GaugePoint
	f := Filter{Model: model}
	var d Dialect
	known := false
	for _, s := range scrapes {
		if !s.OK() {
			continue
		}
		if !known {
			if d, known = Detect(s.Samples); !known {
				continue
			}
		}
		pt := GaugePoint{UnixNs: s.UnixNs, Phase: s.Phase}
		if v, ok := d.Scalar(Running, s.Samples, f); ok {
			pt.Running = fp(v)
		}
		if v, ok := d.Scalar(Waiting, s.Samples, f); ok {
			pt.Waiting = fp(v)
		}
		if v, ok := d.Scalar(KVUsage, s.Samples, f); ok {
			pt.KVUsage = fp(v)
		}
		out = append(out, pt)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].UnixNs < out[j].UnixNs })
	return out
}
