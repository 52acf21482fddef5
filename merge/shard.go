package merge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/hypobench/hypobench/record"
)

// shard is one shard's run directory as loaded for the merge.
type shard struct {
	dir    string
	cfg    *record.RunConfig
	index  int
	phases []record.Phase
	clock  clockMap
	bad    int // undecodable lines in its JSONL files

	// Filled by the pass that writes the records.
	records, errors int
	lastEnd         int64 // the latest corrected end of a record
	// Filled, for a shard that did not complete, by a first pass.
	byPhase map[int]*phaseSpan
}

// span adds what one record says about its phase to s.byPhase.
func (s *shard) span(r *record.Record) {
	sp := s.byPhase[r.Phase]
	if sp == nil {
		sp = &phaseSpan{}
		s.byPhase[r.Phase] = sp
	}
	sp.n++
	sp.suite, sp.profile = r.Suite, r.Profile
	sp.concurrency = max(sp.concurrency, r.Concurrency)
	sp.rate = max(sp.rate, r.TargetRate)
	if r.StartUnixNs != 0 {
		if st := s.clock.correct(r.StartUnixNs); !sp.haveStart || st < sp.startNs {
			sp.startNs, sp.haveStart = st, true
		}
	}
	if r.EndUnixNs != 0 {
		if en := s.clock.correct(r.EndUnixNs); !sp.haveEnd || en > sp.endNs {
			sp.endNs, sp.haveEnd = en, true
		}
	}
}

// phaseSpan is what one shard's records say about one phase.
type phaseSpan struct {
	suite, profile     string
	n                  int
	concurrency        int
	rate               float64 // an open-loop phase's target rate (the plan's), 0 for closed loop
	startNs, endNs     int64   // corrected, 0 when unknown
	haveStart, haveEnd bool
}

func loadShard(dir string) (*shard, error) {
	cfg, err := record.ReadConfig(filepath.Join(dir, record.ConfigFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: no %s: not a run directory", dir, record.ConfigFile)
	}
	if err != nil {
		return nil, err
	}
	if cfg.Shard == nil {
		return nil, fmt.Errorf("%s: %w: its %s has no \"shard\" field (merge joins the shards of one run made with --shard i/N)", dir, ErrNotShard, record.ConfigFile)
	}
	if cfg.Shard.Count < 1 || cfg.Shard.Index < 0 || cfg.Shard.Index >= cfg.Shard.Count {
		return nil, fmt.Errorf("%s: %s: shard %d of %d is out of range", dir, record.ConfigFile, cfg.Shard.Index, cfg.Shard.Count)
	}
	s := &shard{dir: dir, cfg: cfg, index: cfg.Shard.Index, byPhase: map[int]*phaseSpan{}}
	phases, bad, err := record.ReadPhases(filepath.Join(dir, record.PhasesFile))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	s.phases, s.bad = phases, len(bad)
	s.clock = newClockMap(cfg.Shard.Clock)
	return s, nil
}

// checkPlan fails with ErrPlanMismatch, naming the shards and the field,
// when the shards were not given the same plan: the same shard count, no
// index twice, the same suite (compared as JSON values), model and target,
// and phase lists that agree on every phase they share, with every
// completed shard holding the same phases.
func checkPlan(shards []*shard) error {
	first := shards[0]
	suite0, err := canonical(first.cfg.Suite)
	if err != nil {
		return fmt.Errorf("%s: %s: suite: %w", first.dir, record.ConfigFile, err)
	}
	seen := map[int]string{}
	for _, s := range shards {
		if prev, dup := seen[s.index]; dup {
			return fmt.Errorf("%w: %s and %s are both shard %d", ErrPlanMismatch, prev, s.dir, s.index)
		}
		seen[s.index] = s.dir
		if s.cfg.Shard.Count != first.cfg.Shard.Count {
			return fmt.Errorf("%w: %s is shard %d of %d, %s shard %d of %d", ErrPlanMismatch,
				first.dir, first.index, first.cfg.Shard.Count, s.dir, s.index, s.cfg.Shard.Count)
		}
		suite, err := canonical(s.cfg.Suite)
		if err != nil {
			return fmt.Errorf("%s: %s: suite: %w", s.dir, record.ConfigFile, err)
		}
		if !bytes.Equal(suite, suite0) {
			return fmt.Errorf("%w: the suite in %s differs from the one in %s:\n  %s\n  %s", ErrPlanMismatch,
				s.dir, first.dir, suite, suite0)
		}
		if a, b := first.cfg.Shard, s.cfg.Shard; !sameInstant(a.StartAt, b.StartAt) || a.PhaseDurationNs != b.PhaseDurationNs {
			return fmt.Errorf("%w: %s timed its phases from %s in %v slots, %s from %s in %v slots (give every shard the same --start-at and --phase-duration)",
				ErrPlanMismatch, first.dir, instant(a.StartAt), time.Duration(a.PhaseDurationNs), s.dir, instant(b.StartAt), time.Duration(b.PhaseDurationNs))
		}
		if s.cfg.Model != first.cfg.Model {
			return fmt.Errorf("%w: %s ran model %q, %s model %q", ErrPlanMismatch, s.dir, s.cfg.Model, first.dir, first.cfg.Model)
		}
		t0, _ := canonical(first.cfg.Meta["target"])
		t, _ := canonical(s.cfg.Meta["target"])
		if !bytes.Equal(t, t0) {
			return fmt.Errorf("%w: %s ran against target %s, %s against %s", ErrPlanMismatch, s.dir, t, first.dir, t0)
		}
	}
	// Phases: one (suite, profile) per index across shards.
	type who struct {
		suite, profile, arrival, dir string
	}
	byIndex := map[int]who{}
	for _, s := range shards {
		for _, p := range s.phases {
			w, ok := byIndex[p.Index]
			if !ok {
				byIndex[p.Index] = who{p.Suite, p.Profile, p.Arrival, s.dir}
				continue
			}
			if w.suite != p.Suite || w.profile != p.Profile {
				return fmt.Errorf("%w: phase %d is %s/%s in %s but %s/%s in %s", ErrPlanMismatch,
					p.Index, w.suite, w.profile, w.dir, p.Suite, p.Profile, s.dir)
			}
			if w.arrival != p.Arrival {
				return fmt.Errorf("%w: phase %d's arrival is %s in %s but %s in %s", ErrPlanMismatch,
					p.Index, arrivalName(w.arrival), w.dir, arrivalName(p.Arrival), s.dir)
			}
		}
	}
	var complete []*shard
	for _, s := range shards {
		if s.cfg.Status == record.StatusComplete {
			complete = append(complete, s)
		}
	}
	for _, s := range complete[min(1, len(complete)):] {
		a, b := phaseIndices(complete[0]), phaseIndices(s)
		if fmt.Sprint(a) != fmt.Sprint(b) {
			return fmt.Errorf("%w: completed shards ran different phases: %s ran %v, %s ran %v", ErrPlanMismatch,
				complete[0].dir, a, s.dir, b)
		}
	}
	return nil
}

func phaseIndices(s *shard) []int {
	var is []int
	for _, p := range s.phases {
		is = append(is, p.Index)
	}
	sort.Ints(is)
	return is
}

// canonical re-encodes a JSON value with sorted object keys, so that two
// encodings of one value compare equal.
func canonical(raw json.RawMessage) ([]byte, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

func arrivalName(a string) string {
	if a == "" {
		return "closed loop"
	}
	return a
}

// suiteArrival returns the arrival a phase of the suite (as config.json
// holds it) states in phases.jsonl: "trace" for a trace, the suite's
// arrival (Poisson by default) for another open-loop suite.
func suiteArrival(raw json.RawMessage) string {
	var s struct {
		Arrival string          `json:"arrival"`
		Trace   json.RawMessage `json:"trace"`
	}
	_ = json.Unmarshal(raw, &s)
	switch {
	case len(s.Trace) > 0 && string(s.Trace) != "null":
		return "trace"
	case s.Arrival != "":
		return s.Arrival
	}
	return "poisson"
}

func sameInstant(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func instant(t *time.Time) string {
	if t == nil {
		return "no common start"
	}
	return t.Format(time.RFC3339Nano)
}
