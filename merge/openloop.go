package merge

import (
	"fmt"
	"math"

	"github.com/hypobench/hypobench/internal/lag"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/stats"
)

// openPhases gathers, while the records are merged, what the merged
// open-loop phases need from every shard's records: each record's send lag
// (queue_s, t0 − due) for the phase's exact pooled SendLag, the successful
// requests' TTFTs for the phase's median, and the plan's target rate the
// records carry.
type openPhases map[int]*openObs

type openObs struct {
	queue []float64
	ttft  []float64
	rate  float64 // the plan's target rate, as the records carry it
}

func newOpenPhases(phases []record.Phase) openPhases {
	o := openPhases{}
	for _, p := range phases {
		if p.OpenLoop() {
			o[p.Index] = &openObs{}
		}
	}
	return o
}

func (o openPhases) observe(r *record.Record) {
	ob := o[r.Phase]
	if ob == nil {
		return
	}
	ob.queue = append(ob.queue, r.Queue)
	if r.OK() && r.TTFT != nil {
		ob.ttft = append(ob.ttft, *r.TTFT)
	}
	ob.rate = max(ob.rate, r.TargetRate)
}

// finish sets the merged open-loop phases' SendLag from the pooled send
// lags of their records (exact: the single process's figure is the same
// summary of the same per-request values) and, when every one of the
// run's count shards wrote the phase's line, its TargetRate to the plan's
// rate the records carry, which the summed shares equal up to rounding
// (a shard's share is the plan's rate times a fraction). Without every
// shard's line, the sum of the shares that ran is kept: the merged run
// offered less than the plan.
func (o openPhases) finish(phases []record.Phase, shards []*shard, count int) {
	lines := map[int]int{}
	for _, s := range shards {
		for _, p := range s.phases {
			lines[p.Index]++
		}
	}
	for i := range phases {
		p := &phases[i]
		ob := o[p.Index]
		if ob == nil {
			continue
		}
		p.SendLag = lag.Of(ob.queue)
		if ob.rate > 0 && lines[p.Index] == count && math.Abs(p.TargetRate-ob.rate) <= 1e-9*ob.rate {
			p.TargetRate = ob.rate
		}
	}
}

// boundLags pools per-shard lag summaries whose values are gone: N is the
// total, Mean the N-weighted mean (exact), Max the largest (exact), and
// each quantile the largest of the shards' — an upper bound of the pooled
// quantile (at that value every shard's share below it, hence the
// pooled one, is at least the quantile's level), which is what a
// threshold on it needs. Nil when no shard had one.
func boundLags(ls []*record.Lag) *record.Lag {
	var out *record.Lag
	var sum float64
	for _, l := range ls {
		if l == nil || l.N == 0 {
			continue
		}
		if out == nil {
			out = &record.Lag{}
		}
		out.N += l.N
		sum += l.Mean * float64(l.N)
		out.P50, out.P90, out.P99 = max(out.P50, l.P50), max(out.P90, l.P90), max(out.P99, l.P99)
		out.Max = max(out.Max, l.Max)
	}
	if out != nil {
		out.Mean = sum / float64(out.N)
	}
	return out
}

// mergeChecks joins the shards' client self-checks (record.ClientCheck)
// into the merged run's, so that a shard found limited by its client
// leaves the merged run limited (every verdict on it inconclusive) and
// says which shard and phase:
//
//   - Reasons: every shard's, in shard order, each Detail prefixed with
//     "shard i: " and its Phase kept;
//   - the lags each shard summarised (scheduler, send, turnaround,
//     read→parse, and per open-loop phase the client send lag): pooled by
//     boundLags, quantiles an upper bound;
//   - CPUShare and Cores: the busiest shard's (a client machine's CPU is
//     its own; summing shares of different machines means nothing);
//   - MedianTTFTS and MedianTotalS, run-wide and per phase: exact, from
//     the merged records; a phase's TargetRate is the merged phase's.
//
// Nil when no shard carried a check.
func mergeChecks(shards []*shard, phases []record.Phase, open openPhases, medianTTFT, medianTotal float64) *record.ClientCheck {
	var c *record.ClientCheck
	var sched, send, turn, parse []*record.Lag
	phaseLags := map[int][]*record.Lag{}
	for _, s := range shards {
		sc := s.cfg.ClientCheck
		if sc == nil {
			continue
		}
		if c == nil {
			c = &record.ClientCheck{SchedPeriodS: sc.SchedPeriodS, Cores: sc.Cores,
				Thresholds: sc.Thresholds + "; merged from the shards' checks: each reason is its shard's, lag quantiles are the largest shard's (an upper bound of the pooled quantile), CPU is the busiest shard's"}
		}
		for _, r := range sc.Reasons {
			r.Detail = fmt.Sprintf("shard %d: %s", s.index, r.Detail)
			if r.Phase != nil {
				p := *r.Phase
				r.Phase = &p
			}
			c.Reasons = append(c.Reasons, r)
		}
		if sc.CPUShare != nil && (c.CPUShare == nil || *sc.CPUShare > *c.CPUShare) {
			v := *sc.CPUShare
			c.CPUShare, c.Cores = &v, sc.Cores
		}
		sched, send = append(sched, sc.SchedLag), append(send, sc.SendLag)
		turn, parse = append(turn, sc.Turnaround), append(parse, sc.ParseLag)
		for _, pc := range sc.Phases {
			phaseLags[pc.Index] = append(phaseLags[pc.Index], pc.SendLag)
		}
	}
	if c == nil {
		return nil
	}
	c.SchedLag, c.SendLag, c.Turnaround, c.ParseLag = boundLags(sched), boundLags(send), boundLags(turn), boundLags(parse)
	c.MedianTTFTS, c.MedianTotalS = medianTTFT, medianTotal
	for _, p := range phases {
		ls, ok := phaseLags[p.Index]
		if !ok {
			continue
		}
		pc := record.PhaseCheck{Index: p.Index, TargetRate: p.TargetRate, SendLag: boundLags(ls)}
		if ob := open[p.Index]; ob != nil && len(ob.ttft) > 0 {
			pc.MedianTTFTS = stats.Quantile(ob.ttft, 0.5)
		}
		c.Phases = append(c.Phases, pc)
	}
	return c
}
