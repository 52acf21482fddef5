package engine

import (
	"fmt"
	"time"
)

// SimRequest is one request of a virtual-time simulation.
type SimRequest struct {
	// At is the arrival time in open-loop simulations; closed-loop ones
	// ignore it.
	At           time.Duration
	PromptTokens int
	MaxTokens    int
	MinTokens    int
	IgnoreEOS    bool
	// Key seeds the request's end-of-sequence draws (see Config.EOSRate).
	Key uint64
}

// SimResult is one simulated request's timeline, in virtual time from the
// start of the simulation. Like vLLM's request metrics: queue time is
// FirstScheduled − Arrival, TTFT is FirstToken − Arrival, E2E is
// End − Arrival, and TPOT is (End − FirstToken) / (OutputTokens − 1).
type SimResult struct {
	Arrival        time.Duration
	FirstScheduled time.Duration
	FirstToken     time.Duration
	End            time.Duration
	OutputTokens   int
	FinishReason   string
	Preemptions    int
}

// TTFT returns FirstToken − Arrival.
func (r SimResult) TTFT() time.Duration { return r.FirstToken - r.Arrival }

// E2E returns End − Arrival.
func (r SimResult) E2E() time.Duration { return r.End - r.Arrival }

// TPOT returns the mean gap between output tokens, 0 with fewer than two.
func (r SimResult) TPOT() time.Duration {
	if r.OutputTokens < 2 {
		return 0
	}
	return (r.End - r.FirstToken) / time.Duration(r.OutputTokens-1)
}

// SimStats sums up a simulation.
type SimStats struct {
	Steps        int
	Preemptions  int
	PromptTokens int
	GenTokens    int
	MaxRunning   int
	// Duration is the virtual time from 0 to the last token.
	Duration time.Duration
	// BusyTime is the time covered by steps.
	BusyTime time.Duration
}

// Simulate runs reqs through the engine of cfg in virtual time, without
// sleeping or serving HTTP. With concurrency > 0 it is a closed loop:
// concurrency requests start at 0 and each finished request is replaced,
// at the end of the step that finished it, by the next one in reqs order.
// With concurrency 0 requests arrive at their At times (open loop).
// Requests are not validated against max_model_len; callers do that.
func Simulate(cfg Config, reqs []SimRequest, concurrency int) ([]SimResult, SimStats, error) {
	cfg, info, err := cfg.resolve()
	if err != nil {
		return nil, SimStats{}, fmt.Errorf("simulating: %w", err)
	}
	for i, r := range reqs {
		if r.PromptTokens < 1 || r.MaxTokens < 1 || r.PromptTokens+r.MaxTokens > cfg.MaxModelLen {
			return nil, SimStats{}, fmt.Errorf("simulating: request %d: prompt %d + max_tokens %d does not fit max_model_len %d: %w",
				i, r.PromptTokens, r.MaxTokens, cfg.MaxModelLen, ErrConfig)
		}
	}
	core := newCoreFrom(cfg, info)
	out := make([]SimResult, len(reqs))
	var st SimStats
	next, done := 0, 0
	issue := func(at time.Duration) {
		r := reqs[next]
		core.add(coreRequest{PromptTokens: r.PromptTokens, MaxTokens: r.MaxTokens, MinTokens: r.MinTokens,
			IgnoreEOS: r.IgnoreEOS, Key: r.Key, Tag: next}, at)
		out[next].Arrival = at
		next++
	}
	var now time.Duration
	if concurrency > 0 {
		for next < len(reqs) && next < concurrency {
			issue(0)
		}
	}
	for done < len(reqs) {
		if concurrency <= 0 {
			for next < len(reqs) && reqs[next].At <= now {
				issue(reqs[next].At)
			}
			if !core.busy() {
				now = reqs[next].At
				continue
			}
		}
		res := core.step(now)
		if len(res.Work) == 0 && res.Preempted == 0 {
			return out, st, fmt.Errorf("simulating: engine stalled at %v with %d waiting", now, res.Waiting)
		}
		st.Steps++
		st.Preemptions += res.Preempted
		st.PromptTokens += res.PromptTokens
		st.GenTokens += res.GenTokens
		st.BusyTime += res.Dur
		st.MaxRunning = max(st.MaxRunning, res.Running+countFinished(res.Events))
		now = res.End()
		for _, ev := range res.Events {
			if !ev.finished {
				continue
			}
			s := ev.s
			i := s.tag.(int)
			out[i] = SimResult{Arrival: s.arrival, FirstScheduled: s.scheduled, FirstToken: s.firstToken,
				End: s.lastToken, OutputTokens: s.output, FinishReason: s.reason, Preemptions: s.preemptions}
			done++
			if concurrency > 0 && next < len(reqs) {
				issue(now)
			}
		}
	}
	st.Duration = now
	return out, st, nil
}

func countFinished(evs []tokenEvent) int {
	n := 0
	for _, e := range evs {
		if e.finished {
			n++
		}
	}
	return n
}
