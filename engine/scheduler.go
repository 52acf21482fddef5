package engine

import (
	"math/rand/v2"
	"time"
)

type seqState int

const (
	stateWaiting seqState = iota
	stateRunning
	stateFinished
)

// seq is one request inside the engine, in vLLM V1's terms: numTokens()
// is prompt plus output so far, computed is how many of them are in the
// KV cache. A decode step computes the last sampled token; after a
// recompute preemption computed drops to 0 and prompt and output are
// prefilled again.
type seq struct {
	id        uint64
	key       uint64
	prompt    int
	maxTokens int
	minTokens int
	ignoreEOS bool
	eos       *rand.Rand

	state       seqState
	computed    int
	output      int
	preemptions int
	reason      string

	// hashes are the prefix-cache hashes of the prompt's full blocks
	// (BlockHashes); nil for a prompt that shares no prefix.
	hashes []uint64
	// blocks are the KV blocks s holds, in token order; the first
	// hashedBlocks of them are registered in the prefix cache.
	blocks       []*kvBlock
	hashedBlocks int
	// cachedTokens is the prefix-cache hit of s's first admission (vLLM's
	// num_cached_tokens); admitted is set by that admission.
	cachedTokens int
	admitted     bool

	arrival    time.Duration // added to the engine
	scheduled  time.Duration // first scheduled, valid when wasSched
	firstToken time.Duration
	lastToken  time.Duration
	wasSched   bool

	// tag belongs to whoever added the request (the server's stream).
	tag any
}

func (s *seq) numTokens() int { return s.prompt + s.output }

// scheduled is one sequence's share of a planned step.
type planned struct {
	s       *seq
	n       int
	prefill bool
}

// scheduler is vLLM V1's scheduling policy without speculative decoding
// or priorities: every step has a budget of
// maxBatched tokens; running sequences are served first in the order they
// were admitted (a decode costs 1 token, an unfinished prefill continues
// with a chunk as large as the budget allows); then waiting sequences
// are admitted FCFS while the budget, maxSeqs and the KV cache allow. When
// a running sequence cannot get KV blocks, the newest running sequence is
// preempted (its blocks freed, its progress discarded, put back at the
// head of the waiting queue) until it can; no new sequence is admitted in
// a step that preempted. A waiting sequence is admitted with whatever
// leading blocks of its prompt the prefix cache holds already computed
// (when caching is on); only the rest is prefilled.
type scheduler struct {
	maxSeqs     int
	maxBatched  int
	maxModelLen int
	kv          *kvCache
	waiting     []*seq
	running     []*seq
	plan        []planned // reused by every step
	// cacheQueries and cacheHits count, since the last step, the tokens
	// of admitted sequences looked up in the prefix cache and those found
	// (vLLM's PrefixCacheStats: queries += num_tokens, hits += cached).
	cacheQueries, cacheHits int
}

// schedule plans one step; it allocates the KV blocks the plan needs.
func (sc *scheduler) schedule() (plan []planned, preempted int) {
	budget := sc.maxBatched
	plan = sc.plan[:0]
	defer func() { sc.plan = plan }()
	for i := 0; i < len(sc.running) && budget > 0; {
		s := sc.running[i]
		n := min(s.numTokens()-s.computed, budget)
		if n <= 0 {
			i++
			continue
		}
		ok := true
		for !sc.kv.allocate(s, s.computed+n) {
			victim := sc.running[len(sc.running)-1]
			sc.running = sc.running[:len(sc.running)-1]
			sc.preempt(victim)
			preempted++
			if victim == s {
				ok = false
				break
			}
		}
		if !ok {
			break
		}
		plan = append(plan, planned{s: s, n: n, prefill: s.computed < s.prompt || n > 1})
		budget -= n
		i++
	}
	if preempted > 0 {
		return plan, preempted
	}
	for len(sc.waiting) > 0 && budget > 0 && len(sc.running) < sc.maxSeqs {
		s := sc.waiting[0]
		hits := sc.kv.lookup(s)
		computed := hits * BlockSize
		n := min(s.numTokens()-computed, budget)
		if !sc.kv.admit(s, hits, computed+n) {
			break
		}
		s.computed = computed
		if sc.kv.caching {
			sc.cacheQueries += s.numTokens()
			sc.cacheHits += computed
		}
		if !s.admitted {
			s.admitted, s.cachedTokens = true, computed
		}
		sc.waiting = sc.waiting[1:]
		s.state = stateRunning
		sc.running = append(sc.running, s)
		plan = append(plan, planned{s: s, n: n, prefill: true})
		budget -= n
	}
	return plan, 0
}

// preempt frees s's blocks and puts it at the head of the waiting queue.
func (sc *scheduler) preempt(s *seq) {
	sc.kv.release(s)
	s.computed = 0
	s.preemptions++
	s.state = stateWaiting
	sc.waiting = append([]*seq{s}, sc.waiting...)
}

// remove takes s out of whichever queue holds it and frees its blocks.
func (sc *scheduler) remove(s *seq) {
	sc.kv.release(s)
	sc.waiting = without(sc.waiting, s)
	sc.running = without(sc.running, s)
}

func without(q []*seq, s *seq) []*seq {
	for i, x := range q {
		if x == s {
			return append(q[:i], q[i+1:]...)
		}
	}
	return q
}
