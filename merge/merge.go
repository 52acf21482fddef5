package merge

import (
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/stats"
)

// Conditions the merge reports. ErrPlanMismatch, ErrNotShard and
// ErrMissingShard (without Options.Partial) stop the merge; the others
// travel as Warnings on the Result, wrapped in a *Warning naming the shard.
var (
	ErrPlanMismatch    = errors.New("shards disagree on the plan")
	ErrNotShard        = errors.New("not a shard's run directory")
	ErrMissingShard    = errors.New("shard missing")
	ErrShardIncomplete = errors.New("shard did not complete")
	ErrNoClock         = errors.New("no clock estimate")
	ErrClockSkew       = errors.New("clock skew beyond tolerance")
	ErrClockUncertain  = errors.New("clock offset uncertain beyond tolerance")
	ErrClockDrift      = errors.New("clock drift beyond tolerance")
	ErrSkippedLines    = errors.New("undecodable lines skipped")
	ErrOutNotEmpty     = errors.New("output directory is not empty")
)

// Warning is a condition found in one shard; errors.Is matches its Err.
type Warning struct {
	Shard int   // shard index, -1 for the run as a whole
	Err   error // one of the Err values above
	Msg   string
}

func (w *Warning) Error() string {
	if w.Shard < 0 {
		return fmt.Sprintf("%v: %s", w.Err, w.Msg)
	}
	return fmt.Sprintf("shard %d: %v: %s", w.Shard, w.Err, w.Msg)
}

func (w *Warning) Unwrap() error { return w.Err }

// Options tunes Merge. The zero value (with Out set) refuses missing
// shards and takes the skew tolerance from the run's median TTFT.
type Options struct {
	// Out is the merged run directory. It is created; if it exists it
	// must be empty.
	Out string
	// RunID names the merged run (the base name of Out when empty).
	RunID string
	// Partial merges even when some shards of the run were not given
	// (ErrMissingShard becomes a warning).
	Partial bool
	// SkewTolerance, when positive, replaces the default tolerance
	// (ToleranceFraction of the median TTFT, at least MinTolerance).
	SkewTolerance time.Duration
}

// Result is what Merge wrote and found.
type Result struct {
	Dir string
	// Count is how many shards the run had; len(Config.Shards) were
	// merged.
	Count     int
	Config    *record.RunConfig
	Phases    []record.Phase
	Records   int
	Errors    int
	Tolerance time.Duration
	// ToleranceText says how the tolerance was chosen.
	ToleranceText string
	// ServerMetricsFrom is the shard whose server-metrics.jsonl was
	// copied (its times corrected), or −1 when no shard had one.
	ServerMetricsFrom int
	// Warnings are *Warning values (errors.Is them against the Err values).
	Warnings []error
}

// Merge joins the run directories of the shards of one sharded run into
// one run directory at opts.Out. See the package doc for what it writes.
func Merge(ctx context.Context, dirs []string, opts Options) (*Result, error) {
	if len(dirs) == 0 {
		return nil, errors.New("merge: no shard directories given")
	}
	if opts.Out == "" {
		return nil, errors.New("merge: no output directory given")
	}
	var shards []*shard
	for _, d := range dirs {
		s, err := loadShard(d)
		if err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
		shards = append(shards, s)
	}
	if err := checkPlan(shards); err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	sort.Slice(shards, func(i, j int) bool { return shards[i].index < shards[j].index })
	count := shards[0].cfg.Shard.Count
	res := &Result{Dir: opts.Out, Count: count}
	if missing := missingShards(shards, count); len(missing) > 0 {
		w := &Warning{Shard: -1, Err: ErrMissingShard,
			Msg: fmt.Sprintf("%d of %d shards given; shards %v are missing", len(shards), count, missing)}
		if !opts.Partial {
			return nil, fmt.Errorf("merge: %v (--partial merges the rest)", w)
		}
		res.Warnings = append(res.Warnings, w)
	}
	if err := prepareOut(opts.Out); err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}

	// Pass 1, only over the shards that did not complete (a complete shard
	// wrote a line for every phase): what their records say per phase.
	for _, s := range shards {
		if s.cfg.Status == record.StatusComplete {
			continue
		}
		if _, err := forEachRecord(ctx, s, s.span); err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
	}
	phases, conc := mergePhases(shards)
	res.Phases = phases

	runID := opts.RunID
	if runID == "" {
		runID = filepath.Base(filepath.Clean(opts.Out))
	}
	// Pass 2: every record, in order of its corrected end; the counts and
	// the TTFTs for the tolerance on the way.
	var ttfts, totals []float64
	open := newOpenPhases(phases)
	observe := func(s *shard, r *record.Record) {
		s.records++
		if !r.OK() {
			s.errors++
		} else if r.TTFT != nil {
			ttfts = append(ttfts, *r.TTFT)
			totals = append(totals, r.Total)
		}
		s.lastEnd = max(s.lastEnd, r.EndUnixNs)
		open.observe(r)
	}
	n, nerr, err := writeRecords(ctx, shards, filepath.Join(opts.Out, record.RequestsFile), runID, conc, observe)
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	res.Records, res.Errors = n, nerr
	var median, medianTotal float64
	if len(ttfts) > 0 {
		median = stats.Quantile(ttfts, 0.5)
		medianTotal = stats.Quantile(totals, 0.5)
	}
	ttfts, totals = nil, nil
	open.finish(phases, shards, count)
	res.Tolerance, res.ToleranceText = tolerance(opts.SkewTolerance, median, median > 0)
	for _, s := range shards {
		if s.cfg.Status != record.StatusComplete {
			res.Warnings = append(res.Warnings, &Warning{Shard: s.index, Err: ErrShardIncomplete,
				Msg: fmt.Sprintf("status %s%s; its %d finished records are kept", s.cfg.Status, died(s.cfg.Status), s.records)})
		}
		res.Warnings = append(res.Warnings, clockWarnings(s, res.Tolerance, res.ToleranceText)...)
		if s.bad > 0 {
			res.Warnings = append(res.Warnings, &Warning{Shard: s.index, Err: ErrSkippedLines,
				Msg: fmt.Sprintf("%d undecodable lines in %s's JSONL files were skipped", s.bad, s.dir)})
		}
	}
	if err := writePhases(filepath.Join(opts.Out, record.PhasesFile), phases); err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	from, bad, err := copyServerMetrics(shards, opts.Out)
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	res.ServerMetricsFrom = from
	if bad > 0 {
		res.Warnings = append(res.Warnings, &Warning{Shard: from, Err: ErrSkippedLines,
			Msg: fmt.Sprintf("%d undecodable lines of its %s were skipped", bad, record.ServerMetricsFile)})
	}
	res.Config = mergedConfig(shards, runID, res)
	res.Config.ClientCheck = mergeChecks(shards, phases, open, median, medianTotal)
	if err := record.WriteConfig(opts.Out, res.Config); err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	return res, nil
}

func died(s record.Status) string {
	if s == record.StatusRunning {
		return ": its process ended mid-run"
	}
	return ""
}

func missingShards(shards []*shard, count int) []int {
	have := map[int]bool{}
	for _, s := range shards {
		have[s.index] = true
	}
	var miss []int
	for i := range count {
		if !have[i] {
			miss = append(miss, i)
		}
	}
	return miss
}

// prepareOut creates out, or accepts it when it exists and is empty.
func prepareOut(out string) error {
	ents, err := os.ReadDir(out)
	if errors.Is(err, os.ErrNotExist) {
		return os.MkdirAll(out, 0o755)
	}
	if err != nil {
		return err
	}
	if len(ents) > 0 {
		return fmt.Errorf("%s: %w (merge never overwrites a run)", out, ErrOutNotEmpty)
	}
	return nil
}

// forEachRecord decodes a shard's requests.jsonl (none is no records) and
// returns how many lines it skipped.
func forEachRecord(ctx context.Context, s *shard, fn func(*record.Record)) (int, error) {
	var bad int
	var err error
	for r := range records(s, &bad, &err) {
		if cerr := ctx.Err(); cerr != nil {
			return bad, cerr
		}
		fn(&r)
	}
	return bad, err
}

// records yields a shard's records in file order; bad and err receive the
// skipped-line count and a read error when the sequence ends.
func records(s *shard, bad *int, errp *error) iter.Seq[record.Record] {
	path := filepath.Join(s.dir, record.RequestsFile)
	return func(yield func(record.Record) bool) {
		skipped, err := record.ScanRecords(path, func(_ int, r *record.Record) error {
			if !yield(*r) {
				return errStopped
			}
			return nil
		})
		if errors.Is(err, errStopped) || errors.Is(err, os.ErrNotExist) {
			err = nil // the consumer stopped early, or no file: no records
		}
		*bad, *errp = len(skipped), err
	}
}

// errStopped ends a shard's scan when its consumer stops early.
var errStopped = errors.New("stopped")

// mergePhases combines the shards' phases into one window per phase
// index: concurrency and requests summed over the shards that ran it,
// window from the earliest corrected start to the latest corrected end,
// status complete only when every shard of the run completed it. A phase a
// shard died in (no line in its phases.jsonl) is taken from its records.
// It also returns the merged concurrency per phase index.
func mergePhases(shards []*shard) ([]record.Phase, map[int]int) {
	type acc struct {
		p        record.Phase
		started  bool
		complete int
	}
	by := map[int]*acc{}
	get := func(i int) *acc {
		a := by[i]
		if a == nil {
			a = &acc{p: record.Phase{Index: i}}
			by[i] = a
		}
		return a
	}
	widen := func(a *acc, start, end int64) {
		if start != 0 && (!a.started || start < a.p.StartUnixNs) {
			a.p.StartUnixNs, a.started = start, true
		}
		if end > a.p.EndUnixNs {
			a.p.EndUnixNs = end
		}
	}
	arrival := suiteArrival(shards[0].cfg.Suite)
	for _, s := range shards {
		listed := map[int]bool{}
		for _, p := range s.phases {
			listed[p.Index] = true
			a := get(p.Index)
			a.p.Suite, a.p.Profile = p.Suite, p.Profile
			a.p.Concurrency += p.Concurrency
			a.p.Requests += p.Requests
			if p.OpenLoop() {
				// A shard's rates are its share of the plan's (run.Sharding).
				a.p.Arrival = p.Arrival
				a.p.TargetRate += p.TargetRate
				a.p.OfferedRate += p.OfferedRate
				a.p.AchievedRate += p.AchievedRate
				a.p.MaxConcurrency += p.MaxConcurrency
			}
			widen(a, s.clock.correct(p.StartUnixNs), s.clock.correct(p.EndUnixNs))
			if p.Status == record.StatusComplete {
				a.complete++
			}
		}
		for i, sp := range s.byPhase {
			if listed[i] {
				continue
			}
			a := get(i)
			if a.p.Profile == "" {
				a.p.Suite, a.p.Profile = sp.suite, sp.profile
			}
			if sp.rate > 0 {
				// Open loop: the records' concurrency is their shard's
				// requests in flight, not a worker count; the shard's
				// share of the rates died with it.
				if a.p.Arrival == "" {
					a.p.Arrival = arrival
				}
			} else {
				a.p.Concurrency += sp.concurrency
			}
			a.p.Requests += sp.n
			widen(a, sp.startNs, sp.endNs)
		}
	}
	count := shards[0].cfg.Shard.Count
	suite := shards[0].cfg.SuiteName()
	out := make([]record.Phase, 0, len(by))
	conc := map[int]int{}
	for _, a := range by {
		if a.p.Suite == "" {
			a.p.Suite = suite
		}
		a.p.Status = record.StatusInterrupted
		if a.complete == count {
			a.p.Status = record.StatusComplete
		}
		out = append(out, a.p)
		if !a.p.OpenLoop() {
			conc[a.p.Index] = a.p.Concurrency
		}
	}
	slices.SortFunc(out, func(a, b record.Phase) int { return a.Index - b.Index })
	return out, conc
}

// cursor is one shard's position in the k-way merge.
type cursor struct {
	s    *shard
	rec  record.Record
	key  int64
	next func() (record.Record, bool)
}

type cursors []*cursor

func (h cursors) Len() int { return len(h) }
func (h cursors) Less(i, j int) bool {
	if h[i].key != h[j].key {
		return h[i].key < h[j].key
	}
	return h[i].s.index < h[j].s.index
}
func (h cursors) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *cursors) Push(x any)   { *h = append(*h, x.(*cursor)) }
func (h *cursors) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}

// writeRecords streams every shard's records into path in order of their
// corrected end time (each shard's file is already in end order, so a
// k-way merge holds one record per shard), rewriting what the merged run
// means differently: id (prefixed with the shard), run id, shard,
// wall-clock times (corrected), and concurrency (the phase's total across
// shards). Everything measured is kept as it was.
func writeRecords(ctx context.Context, shards []*shard, path, runID string, conc map[int]int, observe func(*shard, *record.Record)) (n, nerr int, err error) {
	w, err := record.OpenAppend(path)
	if err != nil {
		return 0, 0, err
	}
	defer func() {
		if cerr := w.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	var h cursors
	errs := make([]error, len(shards))
	bads := make([]int, len(shards))
	for i, s := range shards {
		next, stop := iter.Pull(records(s, &bads[i], &errs[i]))
		defer stop()
		c := &cursor{s: s, next: next}
		if advance(c) {
			h = append(h, c)
		}
	}
	heap.Init(&h)
	for h.Len() > 0 {
		if err := ctx.Err(); err != nil {
			return n, nerr, err
		}
		c := h[0]
		r := c.rec
		idx := c.s.index
		r.ID = fmt.Sprintf("s%d-%s", idx, r.ID)
		r.RunID = runID
		r.Shard = &idx
		r.StartUnixNs = c.s.clock.correct(r.StartUnixNs)
		r.EndUnixNs = c.s.clock.correct(r.EndUnixNs)
		if r.IntendedUnixNs != 0 {
			r.IntendedUnixNs = c.s.clock.correct(r.IntendedUnixNs)
		}
		if total, ok := conc[r.Phase]; ok {
			r.Concurrency = total
		}
		observe(c.s, &r)
		if err := w.Write(&r); err != nil {
			return n, nerr, err
		}
		n++
		if !r.OK() {
			nerr++
		}
		if advance(c) {
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h)
		}
	}
	for i, s := range shards {
		s.bad += bads[i]
	}
	return n, nerr, errors.Join(errs...)
}

func advance(c *cursor) bool {
	r, ok := c.next()
	if !ok {
		return false
	}
	c.rec = r
	c.key = c.s.clock.correct(r.EndUnixNs)
	return true
}

func writePhases(path string, phases []record.Phase) error {
	os.Remove(path)
	w, err := record.OpenAppend(path)
	if err != nil {
		return err
	}
	for _, p := range phases {
		if err := w.Write(p); err != nil {
			w.Close()
			return err
		}
	}
	return w.Close()
}

// MetaKey is the key of MergeMeta in a merged run's config.json meta.
const MetaKey = "merge"

// MergeMeta is what a merged config.json's meta says about the merge
// itself.
type MergeMeta struct {
	Shards            int     `json:"shards"` // shards merged
	Count             int     `json:"count"`  // shards in the run
	SkewToleranceMs   float64 `json:"skew_tolerance_ms"`
	SkewTolerance     string  `json:"skew_tolerance"`      // how it was chosen
	ServerMetricsFrom int     `json:"server_metrics_from"` // shard index, −1 for none
}

// mergedConfig builds the merged run's config.json: the shards' common
// plan (suite, model, target), the merged counts and status, the
// machines' identities joined, one MergedShard per shard, and every
// warning as a sentence.
func mergedConfig(shards []*shard, runID string, res *Result) *record.RunConfig {
	first := shards[0].cfg
	c := &record.RunConfig{
		RunID: runID, Status: record.StatusComplete, Model: first.Model, Seed: first.Seed,
		Suite: first.Suite, Client: first.Client, Records: res.Records, Errors: res.Errors,
	}
	if len(shards) < first.Shard.Count {
		c.Status = record.StatusInterrupted
	}
	var hosts []string
	c.Client.CPUs = 0
	var ended int64
	for i, s := range shards {
		cfg := s.cfg
		if cfg.Status != record.StatusComplete {
			c.Status = record.StatusInterrupted
		}
		if !slices.Contains(hosts, cfg.Client.Hostname) {
			hosts = append(hosts, cfg.Client.Hostname)
		}
		c.Client.CPUs += cfg.Client.CPUs
		st := time.Unix(0, s.clock.correct(cfg.Started.UnixNano())).UTC()
		if i == 0 || st.Before(c.Started) {
			c.Started = st
		}
		if cfg.Ended != nil {
			ended = max(ended, s.clock.correct(cfg.Ended.UnixNano()))
		}
		ended = max(ended, s.lastEnd)
		c.Shards = append(c.Shards, record.MergedShard{
			Index: s.index, Dir: s.dir, RunID: cfg.RunID, Status: cfg.Status, Hostname: cfg.Client.Hostname,
			Records: s.records, Errors: s.errors, OffsetStartNs: s.clock.off0, OffsetEndNs: s.clock.off1,
			DelayNs: s.clock.delay, Clock: s.clock.ok, SkippedLines: s.bad,
		})
	}
	if ended > 0 {
		e := time.Unix(0, ended).UTC()
		c.Ended = &e
	}
	c.Client.Hostname = strings.Join(hosts, ",")
	c.Meta = maps.Clone(first.Meta)
	if c.Meta == nil {
		c.Meta = map[string]json.RawMessage{}
	}
	c.Meta[MetaKey], _ = json.Marshal(MergeMeta{
		Shards: len(shards), Count: first.Shard.Count, SkewToleranceMs: float64(res.Tolerance) / 1e6,
		SkewTolerance: res.ToleranceText, ServerMetricsFrom: res.ServerMetricsFrom,
	})
	for _, w := range res.Warnings {
		c.Warnings = append(c.Warnings, w.Error())
	}
	return c
}
