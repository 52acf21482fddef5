package engine

import (
	"math"
	"math/rand/v2"
	"time"
)

// Core is the engine in virtual time: a scheduler, a KV cache and a cost
// model, with no clock of its own. Callers add requests at a time they
// choose and ask for one step at a time, giving its start; the step's
// tokens are due at its end (start + duration). The real-time loop and
// Simulate drive the same Core, so tests run it exactly and fast.
//
// Core is not safe for concurrent use.
type Core struct {
	cost    CostModel
	sched   *scheduler
	seed    uint64
	eosRate float64
	jitter  float64
	jrng    *rand.Rand
	nextID  uint64
	// Buffers reused by every step: a stepResult's slices are valid until
	// the next step.
	work   []SeqWork
	events []tokenEvent
	done   []*seq
}

// coreParams are a Core's resolved settings.
type coreParams struct {
	cost        CostModel
	blocks      int
	maxSeqs     int
	maxBatched  int
	maxModelLen int
	seed        uint64
	eosRate     float64
	jitter      float64
	caching     bool
}

func newCore(p coreParams) *Core {
	return &Core{
		cost: p.cost,
		sched: &scheduler{maxSeqs: p.maxSeqs, maxBatched: p.maxBatched, maxModelLen: p.maxModelLen,
			kv: newKVCache(p.blocks, p.caching)},
		seed:    p.seed,
		eosRate: p.eosRate,
		jitter:  p.jitter,
		jrng:    rand.New(rand.NewPCG(p.seed, 0x6a17)),
	}
}

// coreRequest is what the engine needs to know about a request.
type coreRequest struct {
	PromptTokens int
	MaxTokens    int
	MinTokens    int
	IgnoreEOS    bool
	// Key seeds the request's end-of-sequence draws (with the engine
	// seed), so whether and when it stops early does not depend on what
	// else runs.
	Key uint64
	// Hashes are the prefix-cache hashes of the prompt's full blocks
	// (BlockHashes of its token ids).
	Hashes []uint64
	Tag    any
}

// add queues a request that arrived at time at.
func (c *Core) add(r coreRequest, at time.Duration) *seq {
	c.nextID++
	s := &seq{id: c.nextID, key: r.Key, prompt: r.PromptTokens, maxTokens: r.MaxTokens,
		minTokens: r.MinTokens, ignoreEOS: r.IgnoreEOS, arrival: at, tag: r.Tag, hashes: r.Hashes,
		eos: rand.New(rand.NewPCG(c.seed, r.Key))}
	c.sched.waiting = append(c.sched.waiting, s)
	return s
}

// abort drops a request wherever it is and frees its blocks.
func (c *Core) abort(s *seq) {
	if s.state == stateFinished {
		return
	}
	c.sched.remove(s)
	s.state = stateFinished
	s.reason = "abort"
}

// busy reports whether any request waits or runs.
func (c *Core) busy() bool { return len(c.sched.waiting)+len(c.sched.running) > 0 }

// tokenEvent is one sampled token, due at its step's end.
type tokenEvent struct {
	s        *seq
	index    int           // 1-based output token index
	finished bool          // the request ends with this token
	reason   string        // "length" or "stop" when finished
	gap      time.Duration // since the previous token (index > 1)
}

// stepResult is what one step did.
type stepResult struct {
	Start     time.Duration
	Dur       time.Duration
	Cost      StepCost
	Work      []SeqWork
	Events    []tokenEvent
	Preempted int
	// PromptTokens and GenTokens are vLLM's iteration stats: prompt
	// lengths of requests that got their first token, and tokens sampled.
	PromptTokens int
	GenTokens    int
	// CacheQueries and CacheHits are the prompt tokens looked up in the
	// prefix cache by requests admitted in this step, and those found.
	CacheQueries int
	CacheHits    int
	Running      int
	Waiting      int
	KVUsage      float64
}

// End returns when the step's tokens are due.
func (r stepResult) End() time.Duration { return r.Start + r.Dur }

// step plans and executes one step starting at start. With nothing
// scheduled (idle, or every request blocked) it returns a zero-length
// result.
func (c *Core) step(start time.Duration) stepResult {
	plan, preempted := c.sched.schedule()
	res := stepResult{Start: start, Preempted: preempted, CacheQueries: c.sched.cacheQueries, CacheHits: c.sched.cacheHits}
	c.sched.cacheQueries, c.sched.cacheHits = 0, 0
	if len(plan) == 0 {
		res.Running, res.Waiting, res.KVUsage = len(c.sched.running), len(c.sched.waiting), c.sched.kv.usage()
		return res
	}
	res.Work = c.work[:0]
	for _, p := range plan {
		res.Work = append(res.Work, SeqWork{NewTokens: p.n, Context: p.s.computed, Prefill: p.prefill,
			Samples: p.s.computed+p.n >= p.s.numTokens()})
	}
	c.work = res.Work
	res.Events = c.events[:0]
	res.Cost = c.cost.Step(res.Work)
	res.Dur = res.Cost.Time
	if c.jitter > 0 && res.Dur > 0 {
		f := math.Exp(c.jitter*c.jrng.NormFloat64() - c.jitter*c.jitter/2)
		res.Dur = time.Duration(float64(res.Dur) * f)
	}
	end := start + res.Dur
	done := c.done[:0]
	for _, p := range plan {
		s := p.s
		if !s.wasSched {
			s.wasSched, s.scheduled = true, start
		}
		s.computed += p.n
		if s.computed < s.numTokens() {
			continue // a prefill chunk that does not finish the prompt
		}
		s.output++
		res.GenTokens++
		if s.output == 1 {
			s.firstToken = end
			res.PromptTokens += s.prompt
		}
		ev := tokenEvent{s: s, index: s.output}
		if s.output > 1 {
			ev.gap = end - s.lastToken
		}
		s.lastToken = end
		stop := false
		if c.eosRate > 0 {
			stop = s.eos.Float64() < c.eosRate
		}
		switch {
		case s.output >= s.maxTokens || s.numTokens() >= c.sched.maxModelLen:
			ev.finished, ev.reason = true, "length"
		case stop && !s.ignoreEOS && s.output >= s.minTokens:
			ev.finished, ev.reason = true, "stop"
		}
		if ev.finished {
			s.state, s.reason = stateFinished, ev.reason
			done = append(done, s)
		}
		res.Events = append(res.Events, ev)
	}
	for _, s := range done {
		c.sched.remove(s)
	}
	c.events, c.done = res.Events, done
	res.Running, res.Waiting, res.KVUsage = len(c.sched.running), len(c.sched.waiting), c.sched.kv.usage()
	return res
}
