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
	// BlockHashes identify the prompt for prefix caching: the hashes of
	// its full blocks, BlockHashes(TokenIDs(prompt, vocab)) as the server
	// computes them. Nil means a prompt that shares no prefix with any
	// other (it never hits the cache).
	BlockHashes []uint64
}

// SimResult is one simulated request's timeline, in virtual time since
// the simulator started. Arrival is when the client sent it, FirstToken
// and End when the client received its first and last token: between them
// and the engine core lies the front-end (Config.FrontEnd). The Engine
// times are the core's own, as vLLM's request metrics: queue time is
// FirstScheduled − EngineArrival, the engine's TTFT EngineFirstToken −
// EngineArrival. TTFT, E2E and TPOT are what a client measures.
type SimResult struct {
	Arrival          time.Duration
	EngineArrival    time.Duration
	FirstScheduled   time.Duration
	EngineFirstToken time.Duration
	EngineEnd        time.Duration
	FirstToken       time.Duration
	End              time.Duration
	PromptTokens     int
	OutputTokens     int
	FinishReason     string
	Preemptions      int
	// CachedTokens is the prompt tokens found in the prefix cache when
	// the request was first scheduled (vLLM's num_cached_tokens).
	CachedTokens int
	// TokenTimes holds when the client received each output token, when
	// the Simulator keeps them (KeepTokenTimes); TokenTimes[0] is
	// FirstToken.
	TokenTimes []time.Duration
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
	// CacheQueries and CacheHits are the prefix-cache counters, in tokens,
	// as vllm:prefix_cache_queries and vllm:prefix_cache_hits count them.
	CacheQueries int
	CacheHits    int
}

// Simulate runs reqs through a fresh engine of cfg in virtual time,
// without sleeping or serving HTTP: NewSimulator(cfg) then Run.
func Simulate(cfg Config, reqs []SimRequest, concurrency int) ([]SimResult, SimStats, error) {
	sim, err := NewSimulator(cfg)
	if err != nil {
		return nil, SimStats{}, err
	}
	return sim.Run(reqs, concurrency)
}

// Simulator is one engine in virtual time across several runs: its clock
// and its KV cache (prefix cache included) carry over from one Run to the
// next, as a live server's do from one phase of a run to the next.
// A Simulator is not safe for concurrent use.
type Simulator struct {
	// KeepTokenTimes makes Run fill SimResult.TokenTimes.
	KeepTokenTimes bool
	// ClientTurnaround is, in closed-loop runs, the client's time from
	// receiving a request's last token to sending the next request (0).
	ClientTurnaround time.Duration
	// Kernels, when set, receives every step's GPU kernels as the
	// profiler would record them (see Kernel), in step order.
	Kernels func([]Kernel)
	// OpenCap, when > 0, caps an open-loop run's requests in flight, as the
	// live runner's max_concurrency: a request due while OpenCap are in
	// flight waits for a slot and is sent when one frees (an earlier
	// request's last token reaches the client), so its Arrival is then
	// later than Now + At. Closed-loop runs ignore it.
	OpenCap int

	cfg  Config
	info Info
	core *Core
	fe   feQueue
	now  time.Duration
}

// NewSimulator builds the engine of cfg, idle at virtual time 0.
func NewSimulator(cfg Config) (*Simulator, error) {
	cfg, info, err := cfg.resolve()
	if err != nil {
		return nil, fmt.Errorf("simulating: %w", err)
	}
	return &Simulator{cfg: cfg, info: info, core: newCoreFrom(cfg, info), fe: feQueue{p: info.FrontEnd}}, nil
}

// Info returns the simulated engine's resolved configuration.
func (sim *Simulator) Info() Info { return sim.info }

// Now returns the virtual time: when the last run ended (its last step,
// or its last token's delivery to the client, whichever is later).
func (sim *Simulator) Now() time.Duration { return sim.now }

// Run runs reqs starting at Now. With concurrency > 0 it is a closed loop,
// as the live runner's workers: concurrency requests are sent at once and
// each finished request is replaced by the next one in reqs order, sent
// ClientTurnaround after the client received the last token. With
// concurrency 0 requests are sent at Now + At (open loop; At must not
// decrease). Sent requests pass the front-end (Info().FrontEnd) on their
// way to the engine core, and so do their tokens on the way back. Times in
// the results are virtual times since NewSimulator. Requests must fit
// max_model_len.
func (sim *Simulator) Run(reqs []SimRequest, concurrency int) ([]SimResult, SimStats, error) {
	cfg := sim.cfg
	for i, r := range reqs {
		if r.PromptTokens < 1 || r.MaxTokens < 1 || r.PromptTokens+r.MaxTokens > cfg.MaxModelLen {
			return nil, SimStats{}, fmt.Errorf("simulating: request %d: prompt %d + max_tokens %d does not fit max_model_len %d: %w",
				i, r.PromptTokens, r.MaxTokens, cfg.MaxModelLen, ErrConfig)
		}
		if concurrency <= 0 && i > 0 && r.At < reqs[i-1].At {
			return nil, SimStats{}, fmt.Errorf("simulating: request %d arrives at %v, before request %d (%v): %w",
				i, r.At, i-1, reqs[i-1].At, ErrConfig)
		}
	}
	core := sim.core
	fe := &sim.fe
	out := make([]SimResult, len(reqs))
	var st SimStats
	origin := sim.now
	next, done := 0, 0
	// inbound holds requests through the front-end, by engine arrival.
	type arrival struct {
		at time.Duration
		i  int
	}
	var inbound []arrival
	open, capped := concurrency <= 0, concurrency <= 0 && sim.OpenCap > 0
	inflight := 0 // open loop, for OpenCap
	send := func(at time.Duration) {
		i := next
		next++
		inflight++
		out[i].Arrival = at
		e := fe.request(at, reqs[i].PromptTokens)
		k := len(inbound)
		for k > 0 && inbound[k-1].at > e {
			k--
		}
		inbound = append(inbound, arrival{})
		copy(inbound[k+1:], inbound[k:])
		inbound[k] = arrival{e, i}
	}
	// sendOpen sends the open loop's requests due by t, while a slot is
	// free.
	sendOpen := func(t time.Duration) {
		for open && next < len(reqs) && origin+reqs[next].At <= t && (!capped || inflight < sim.OpenCap) {
			send(origin + reqs[next].At)
		}
	}
	now := sim.now
	defer func() { sim.now = now }()
	if concurrency > 0 {
		for next < len(reqs) && next < concurrency {
			send(now)
		}
	}
	var resend []time.Duration
	for done < len(reqs) {
		sendOpen(now)
		for len(inbound) > 0 && inbound[0].at <= now {
			a := inbound[0]
			inbound = inbound[1:]
			r := reqs[a.i]
			core.add(coreRequest{PromptTokens: r.PromptTokens, MaxTokens: r.MaxTokens, MinTokens: r.MinTokens,
				IgnoreEOS: r.IgnoreEOS, Key: r.Key, Hashes: r.BlockHashes, Tag: a.i}, a.at)
		}
		if !core.busy() {
			t := time.Duration(-1)
			if len(inbound) > 0 {
				t = inbound[0].at
			}
			if concurrency <= 0 && next < len(reqs) && (t < 0 || origin+reqs[next].At < t) {
				t = origin + reqs[next].At
			}
			if t < 0 {
				return out, st, fmt.Errorf("simulating: nothing to run at %v with %d of %d requests done", now, done, len(reqs))
			}
			now = max(now, t)
			continue
		}
		res := core.step(now)
		if len(res.Work) == 0 && res.Preempted == 0 {
			return out, st, fmt.Errorf("simulating: engine stalled at %v with %d waiting", now, res.Waiting)
		}
		if sim.Kernels != nil {
			sim.Kernels(timedKernels(core.cost, res))
		}
		st.Steps++
		st.Preemptions += res.Preempted
		st.PromptTokens += res.PromptTokens
		st.GenTokens += res.GenTokens
		st.CacheQueries += res.CacheQueries
		st.CacheHits += res.CacheHits
		st.BusyTime += res.Dur
		st.MaxRunning = max(st.MaxRunning, res.Running+countFinished(res.Events))
		end := res.End()
		sendOpen(end) // requests sent during the step queue before its tokens
		resend = resend[:0]
		for _, ev := range res.Events {
			i := ev.s.tag.(int)
			got := fe.token(end)
			if sim.KeepTokenTimes {
				out[i].TokenTimes = append(out[i].TokenTimes, got)
			}
			if ev.index == 1 {
				out[i].FirstToken = got
			}
			if !ev.finished {
				continue
			}
			s := ev.s
			out[i] = SimResult{Arrival: out[i].Arrival, EngineArrival: s.arrival, FirstScheduled: s.scheduled,
				FirstToken: out[i].FirstToken, End: got, EngineFirstToken: s.firstToken, EngineEnd: s.lastToken,
				PromptTokens: s.prompt, OutputTokens: s.output, FinishReason: s.reason, Preemptions: s.preemptions,
				CachedTokens: s.cachedTokens, TokenTimes: out[i].TokenTimes}
			done++
			inflight--
			if concurrency > 0 && next+len(resend) < len(reqs) {
				resend = append(resend, got+sim.ClientTurnaround)
			}
			if capped && next+len(resend) < len(reqs) && origin+reqs[next+len(resend)].At <= got {
				resend = append(resend, got) // a waiting request takes the freed slot
			}
		}
		for _, t := range resend {
			send(t)
		}
		now = end
	}
	// The run ends when the client has its last token.
	now = max(now, fe.free)
	st.Duration = now - origin
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
