package predict

import (
	"fmt"

	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/workload"
)

// runOpen predicts an open-loop suite's phases (workload.Suite.OpenPlan)
// on sim: each phase's requests arrive at exactly the offsets the live
// runner would send them at (the same schedule, drawn from the same
// seed), so a prediction and a live run of one suite see the same
// arrivals. A prediction has no client, so an uncapped phase sends every
// request when due: queue_s is 0, the latencies from due equal those from
// send, and the phase's achieved rate is its offered rate. A phase with
// max_concurrency holds a due request until one of its slots frees (an
// earlier request's last token reached the client, engine.Simulator
// OpenCap), as the live runner does: queue_s is that wait, the latencies
// from due include it, and the achieved rate is the requests over the
// last send's offset.
func (p *predictor) runOpen(sim *engine.Simulator, res *Result) error {
	s := p.opts.Suite
	plan, err := s.OpenPlan()
	if err != nil {
		return fmt.Errorf("predicting: %w", err)
	}
	seq := 0
	for i, op := range plan {
		sched, err := op.Schedule()
		if err != nil {
			return fmt.Errorf("predicting phase %d: %w", i, err)
		}
		if len(sched) == 0 {
			continue
		}
		profs := make([]workload.Profile, len(sched))
		reqs := make([]engine.SimRequest, len(sched))
		for k, d := range sched {
			profs[k] = op.ProfileOf(k)
			if op.Trace != nil {
				profs[k] = workload.Profile{Name: workload.TraceProfile, PromptRep: d.PromptTokens, MaxTokens: d.OutputTokens}
			}
			if reqs[k], err = p.request(profs[k], seq+k+1); err != nil {
				return fmt.Errorf("predicting phase %d, request %d: %w", i, k, err)
			}
			reqs[k].At = d.At
		}
		ph := record.Phase{Index: i, Suite: s.Name, Profile: op.Profile.Name, Requests: len(sched), Status: record.StatusComplete,
			Arrival: string(op.Process.Arrival), TargetRate: op.TargetRate(), MaxConcurrency: op.MaxConcurrency}
		if op.Trace != nil {
			ph.Arrival = "trace"
		}
		if last := sched[len(sched)-1].At; last > 0 {
			ph.OfferedRate = float64(len(sched)) / last.Seconds()
			ph.AchievedRate = ph.OfferedRate
		}
		start := sim.Now()
		sim.OpenCap = op.MaxConcurrency
		out, st, err := sim.Run(reqs, 0)
		sim.OpenCap = 0
		if err != nil {
			return fmt.Errorf("predicting phase %d: %w", i, err)
		}
		if lastSend := out[len(out)-1].Arrival - start; lastSend > 0 && op.MaxConcurrency > 0 {
			ph.AchievedRate = float64(len(out)) / lastSend.Seconds()
		}
		addStats(&res.Stats, st)
		ph.StartUnixNs = p.unixNs(start)
		ph.EndUnixNs = p.unixNs(sim.Now())
		for k, r := range out {
			seq++
			rec := p.record(r, profs[k], ph, k, seq)
			rec.Concurrency = 0
			rec.IntendedUnixNs = p.unixNs(start + sched[k].At)
			rec.Queue = max(r.Arrival-(start+sched[k].At), 0).Seconds() // the wait for a max_concurrency slot
			rec.TTFTIntended, rec.TotalIntended = record.F(rec.Queue+*rec.TTFT), record.F(rec.Queue+rec.Total)
			rec.TargetRate = ph.TargetRate
			res.Records = append(res.Records, rec)
		}
		res.Phases = append(res.Phases, ph)
	}
	res.Duration = sim.Now()
	return nil
}
