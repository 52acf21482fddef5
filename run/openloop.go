package run

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hypobench/hypobench/internal/lag"
	"github.com/hypobench/hypobench/openai"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/workload"
)

// openPhases runs an open-loop suite's phases (workload.Suite.OpenPlan),
// writing each to phases.jsonl as it ends.
func (r *runner) openPhases(ctx context.Context, phases *record.Writer, res *Result) error {
	plan, err := r.cfg.Suite.OpenPlan()
	if err != nil {
		return fmt.Errorf("planning open-loop suite %s: %w", r.cfg.Suite.Name, err)
	}
	for i, op := range plan {
		if ctx.Err() != nil {
			break
		}
		sched, err := op.Schedule()
		if err != nil {
			return fmt.Errorf("scheduling phase %d of suite %s: %w", i, r.cfg.Suite.Name, err)
		}
		share := r.cfg.Sharding.openShare(sched, op) // all of it unless sharded
		pctx, endSlot := r.cfg.Sharding.slot(ctx, i)
		if ctx.Err() != nil {
			endSlot()
			break
		}
		ph := record.Phase{Index: i, Suite: r.cfg.Suite.Name, Profile: op.Profile.Name, Requests: len(share.seqs),
			TargetRate: share.rate, MaxConcurrency: share.maxConc}
		r.hook(ctx, ph, "start", res)
		start, common := r.cfg.Sharding.slotStart(i)
		if !common {
			start = time.Now()
		}
		done := r.openPhase(pctx, &ph, op, sched, share, start)
		endSlot()
		ph.EndUnixNs = time.Now().UnixNano()
		ph.Status = record.StatusComplete
		if done < len(share.seqs) {
			ph.Status = record.StatusInterrupted
		}
		r.hook(ctx, ph, "end", res)
		if err := phases.Write(ph); err != nil {
			res.Warnings = append(res.Warnings, err)
		}
		res.Phases = append(res.Phases, ph)
		if r.cfg.Continue != nil && !r.cfg.Continue(ph) {
			break
		}
	}
	return nil
}

// openPhase runs one open-loop phase: a single dispatcher walks the
// schedule in due order, sleeps until each request is due and hands it to
// a goroutine of its own, so a slow response never delays the next send.
// With a max_concurrency cap the dispatcher waits for a free slot first;
// that wait is the request's send lag too (queue_s, and the latencies from
// the due instant carry it). Only share's requests are sent (all of them
// unless the run is a shard), each at its planned offset from start. It
// fills ph's open-loop fields and returns how many requests ended.
func (r *runner) openPhase(ctx context.Context, ph *record.Phase, op workload.OpenPhase, sched []workload.Due, share openShare, start time.Time) int {
	var done, errs, inflight atomic.Int64
	prog := newProgress(r.cfg.Progress, *ph, len(share.seqs), &done, &errs, nil, r.cfg.StallAfter)
	defer prog.stop()
	var sem chan struct{}
	if share.maxConc > 0 {
		sem = make(chan struct{}, share.maxConc)
	}
	planRate := op.TargetRate()
	var (
		mu       sync.Mutex
		lags     []float64 // queue_s of every request sent
		lastSend time.Duration
		wg       sync.WaitGroup
	)
	ph.StartUnixNs = start.UnixNano()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	sent := 0
dispatch:
	for _, k := range share.seqs {
		d := sched[k]
		due := start.Add(d.At)
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
				break dispatch
			}
		}
		if sem != nil {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				break dispatch
			}
		}
		if ctx.Err() != nil {
			break
		}
		freed := time.Now() // the slot was free (or there is no cap) from here on
		c := int(inflight.Add(1))
		sent++
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := int(r.seq.Add(1))
			prof := op.ProfileOf(k)
			if op.Trace != nil {
				// A trace request's lengths are in tokens: the prompt is the
				// base text once per prompt token (a repetition of the
				// built-in "hi " is one token on the embedded engine's
				// tokenizer; on a real server it is about one).
				prof = workload.Profile{Name: workload.TraceProfile, PromptRep: d.PromptTokens, MaxTokens: d.OutputTokens}
			}
			req := r.request(prof, n)
			res := r.cfg.Client.Do(r.reqCtx, req)
			inflight.Add(-1)
			if sem != nil {
				<-sem
			}
			rec := record.Record{
				ID: record.RequestID(n), Profile: prof.Name, Concurrency: c, RunID: r.cfg.RunID,
				Suite: r.cfg.Suite.Name, Phase: ph.Index, Seq: k, PromptRep: prof.PromptRep,
				MaxTokens: prof.MaxTokens, Endpoint: req.Endpoint, Model: r.cfg.Model, TargetRate: planRate,
			}
			res.Fill(&rec)
			fillIntended(&rec, res, due)
			r.check.sendLag(ph.Index, res.T0.Sub(maxTime(due, freed)))
			r.check.parsed(res.ParseMean())
			r.check.observe(&rec)
			mu.Lock()
			lags = append(lags, rec.Queue)
			lastSend = max(lastSend, res.T0.Sub(start))
			mu.Unlock()
			r.keep(&rec, &errs)
			done.Add(1)
		}()
	}
	wg.Wait()
	ph.Requests = len(share.seqs)
	ph.MaxConcurrency = share.maxConc
	ph.TargetRate = share.rate
	ph.Arrival = string(op.Process.Arrival)
	if op.Trace != nil {
		ph.Arrival = "trace"
	}
	if share.span > 0 {
		// The plan's span: a shard's share of the plan's offered rate.
		ph.OfferedRate = float64(len(share.seqs)) / share.span.Seconds()
	}
	if share.sharded {
		lastSend = max(lastSend, share.span)
	}
	if lastSend > 0 {
		ph.AchievedRate = float64(sent) / lastSend.Seconds()
	}
	ph.SendLag = LagOf(lags)
	return int(done.Load())
}

// fillIntended sets the record's open-loop fields from the instant the
// request was due: queue_s = t0 − due, and the latencies from due.
func fillIntended(rec *record.Record, res *openai.Result, due time.Time) {
	lag := res.T0.Sub(due).Seconds()
	rec.Queue = lag
	rec.IntendedUnixNs = due.UnixNano()
	if rec.TTFT != nil {
		rec.TTFTIntended = record.F(lag + *rec.TTFT)
	}
	rec.TotalIntended = record.F(lag + rec.Total)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// LagOf summarises delays in seconds — count, mean, type-7 median, p90,
// p99 and maximum; nil when there are none.
func LagOf(xs []float64) *record.Lag { return lag.Of(xs) }

// warmProfile returns the profile of the i-th warm-up request: the suite's
// profiles in turn, or for a trace suite (which has none) the lengths of
// the trace's requests in turn.
func (r *runner) warmProfile(i int) workload.Profile {
	s := r.cfg.Suite
	if len(s.Profiles) > 0 {
		return s.Profiles[i%len(s.Profiles)]
	}
	if plan, err := s.OpenPlan(); err == nil && len(plan) > 0 && len(plan[0].Trace) > 0 {
		d := plan[0].Trace[i%len(plan[0].Trace)]
		return workload.Profile{Name: workload.TraceProfile, PromptRep: d.PromptTokens, MaxTokens: d.OutputTokens}
	}
	return workload.Profile{Name: "warmup", PromptRep: 1, MaxTokens: 1}
}
