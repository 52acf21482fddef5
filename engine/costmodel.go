package engine

import "time"

// The efficiencies of the roofline cost model, in one place. They are
// the defaults for a GPU whose profile carries no Efficiency of its own:
// stated guesses typical of vLLM with CUDA graphs. A profile calibrated
// against published runs (see CALIBRATION.md) states its own.
const (
	// MFU is the fraction of peak dense FLOP/s that a step's GEMMs and
	// attention reach when compute-bound.
	MFU = 0.5
	// MBU is the fraction of peak memory bandwidth a step reaches when
	// memory-bound (weights and KV streamed once per step).
	MBU = 0.8
	// StepOverhead is the fixed host-side cost of one engine step
	// (scheduling, input preparation, sampling, detokenisation), during
	// which the GPU is idle.
	StepOverhead = 1500 * time.Microsecond
	// ActivationReserveBytes is the memory kept aside, beyond weights, for
	// the CUDA context, cuBLAS workspaces and CUDA graphs; per-token
	// activations of a full step are added to it (see NumBlocks).
	ActivationReserveBytes = 1 << 30
)

// DefaultFrontEnd is vLLM's API server as the virtual-time core models it
// (see FrontEnd), from published measurements:
//
//   - PerOutputToken 15 µs: building and serialising one completion SSE
//     chunk costs 7.5 µs (vLLM PR #52875, "Per-frame render cost drops
//     from 7.50 to 0.82 us", Python 3.12, pydantic 2.13); the other half
//     — incremental detokenisation, the asyncio hand-off and the socket
//     write — is our estimate of the same order, not a measurement.
//   - PerRequest 1.1 ms: 131-token chat prompts cost 1.3–1.4 ms each to
//     template and encode once warm (tenstorrent/tt-inference-server
//     issue #2173's log), less their encoding.
//   - PerPromptToken 18 µs: fixed with the A100 efficiencies on the
//     calibration runs (CALIBRATION.md): bursts of prompts already in the
//     prefix cache, whose TTFT is almost all front-end queue, need 18 µs
//     per token of benchmark_serving.py's random-token prompts. Ordinary
//     text encodes faster (137 ms for ~100k tokens of code,
//     awslabs/agentcore-rl-toolkit PR #143: 1.4 µs per token), so this
//     is the slow end for natural prompts.
//
// vLLM keeps the tokenizer on one thread (issue #25301) and the API server
// in one process unless --api-server-count says otherwise (PR #17546), so
// a single server is the default shape.
var DefaultFrontEnd = FrontEnd{
	PerRequest:     1100 * time.Microsecond,
	PerPromptToken: 18 * time.Microsecond,
	PerOutputToken: 15 * time.Microsecond,
}

// SeqWork is one sequence's share of a step: NewTokens are computed on top
// of Context tokens already in the KV cache. Prefill marks prompt (or
// recompute) chunks; Samples marks a chunk that ends in a sampled token.
type SeqWork struct {
	NewTokens int
	Context   int
	Prefill   bool
	Samples   bool
}

// Knobs break the cost model on purpose, so that each hypothesis has a
// negative control. The zero value is the faithful model.
type Knobs struct {
	// FlatPrefill makes a prefill chunk cost what a single token costs, so
	// TTFT is flat in prompt length (as long as the prompt fits in one
	// chunk of MaxNumBatchedTokens). Breaks H1.
	FlatPrefill bool `json:"flat_prefill"`
	// ComputeBoundDecode makes every decoding sequence cost a full read of
	// the weights on its own, so a decode step's time is proportional to
	// its batch size: TPOT grows linearly with concurrency and output
	// throughput does not grow. Breaks H2's sub-linearity and H3.
	ComputeBoundDecode bool `json:"compute_bound_decode"`
	// FreeDecode makes decode work cost nothing: a step with only decodes
	// takes zero time, so every output token follows the prefill at once
	// and E2E does not grow with max_tokens. Breaks H2.
	FreeDecode bool `json:"free_decode"`
	// UniformKernels gives every kernel of a step the same duration in the
	// profiler trace, so long and short kernels cannot be told apart.
	// Breaks H4; step times are unchanged.
	UniformKernels bool `json:"uniform_kernels"`
	// DecodeKernelMix makes every step, prefill or decode, launch the
	// kernel mix of a one-sequence decode step: the step's GPU time is
	// filled with repetitions of that step's kernels at their own
	// roofline lengths (short element-wise kernels between weight-bound
	// GEMVs), so a prefill step looks like a run of decode steps. Kernel
	// lengths stay mixed, as on a real GPU, but no longer depend on the
	// phase. Breaks H4; step times are unchanged.
	DecodeKernelMix bool `json:"decode_kernel_mix"`
}

// CostModel prices an engine step with a roofline: the step takes
// max(FLOPs / (peak × MFU), bytes / (bandwidth × MBU)) plus StepOverhead.
type CostModel struct {
	GPU   GPU
	Model Model
	Knobs Knobs
}

// StepCost is the price of one step and its parts; the trace splits a
// step's kernels along them.
type StepCost struct {
	Time         time.Duration // total, overhead included
	Overhead     time.Duration // host-side part, GPU idle
	LinearFLOPs  float64       // GEMMs: 2 × layer params × tokens + lm_head
	AttnFLOPs    float64       // QKᵀ and PV over the context
	WeightBytes  float64       // weights streamed once per step
	KVReadBytes  float64       // past KV read by attention
	KVWriteBytes float64       // new KV written
	Tokens       int           // tokens computed in the step
	Sampled      int           // sequences sampling a token
}

// FLOPs returns the step's total floating point operations.
func (c StepCost) FLOPs() float64 { return c.LinearFLOPs + c.AttnFLOPs }

// Bytes returns the step's total memory traffic.
func (c StepCost) Bytes() float64 { return c.WeightBytes + c.KVReadBytes + c.KVWriteBytes }

// Which parts of a step work sums.
const (
	partAll = iota
	partPrefill
	partDecode
)

// work returns FLOPs and bytes of the step's sequences of one part,
// applying FlatPrefill to prefill chunks.
func (m CostModel) work(seqs []SeqWork, part int) StepCost {
	md := m.Model
	var c StepCost
	perTokenLinear := 2 * float64(md.Layers) * md.LayerParams()
	lmHead := 2 * float64(md.Hidden) * float64(md.Vocab)
	kvTok := md.KVBytesPerToken()
	attnPerPair := 4 * float64(md.Layers*md.Heads*md.HeadDim) // QKᵀ and PV, 2 FLOPs per MAC
	n := 0
	for _, s := range seqs {
		if part == partPrefill && !s.Prefill || part == partDecode && s.Prefill {
			continue
		}
		n++
		if s.Prefill && m.Knobs.FlatPrefill {
			s.NewTokens, s.Context = 1, 0
		}
		q := float64(s.NewTokens)
		c.Tokens += s.NewTokens
		c.LinearFLOPs += perTokenLinear * q
		if s.Samples {
			c.Sampled++
			c.LinearFLOPs += lmHead
		}
		// Causal attention: each new token attends to the context and to
		// the new tokens before it (and itself).
		c.AttnFLOPs += attnPerPair * q * (float64(s.Context) + (q+1)/2)
		c.KVReadBytes += kvTok * float64(s.Context)
		c.KVWriteBytes += kvTok * q
	}
	if n > 0 {
		c.WeightBytes = md.WeightBytes()
	}
	return c
}

// Efficiency is what fraction of a GPU's peaks vLLM reaches and what a
// step costs the host: the roofline's three parameters.
type Efficiency struct {
	// MFU is the fraction of peak dense FLOP/s a compute-bound step
	// reaches.
	MFU float64 `json:"mfu"`
	// MBU is the fraction of peak memory bandwidth a memory-bound step
	// reaches.
	MBU float64 `json:"mbu"`
	// StepOverhead is the fixed host-side cost of one engine step
	// (scheduling, input preparation, sampling), the GPU idle.
	StepOverhead time.Duration `json:"step_overhead"`
	// PerSeqOverhead is the host-side cost each sequence in a step adds
	// to it (its scheduling, input and output bookkeeping).
	PerSeqOverhead time.Duration `json:"per_seq_overhead"`
}

// DefaultEfficiency is MFU, MBU and StepOverhead together, with no
// per-sequence overhead.
var DefaultEfficiency = Efficiency{MFU: MFU, MBU: MBU, StepOverhead: StepOverhead}

// A100Efficiency is the A100 80GB's roofline parameters, fixed on the
// fitting runs of CALIBRATION.md (vLLM 0.10.1.1, V1): MFU and MBU as the
// engine-wide guesses, and the host's costs that vLLM V1 pays in its
// engine-core process, 2.5 ms per step plus 50 µs per sequence in it.
var A100Efficiency = Efficiency{MFU: 0.5, MBU: 0.8, StepOverhead: 2500 * time.Microsecond,
	PerSeqOverhead: 50 * time.Microsecond}

// Efficiency returns the GPU profile's own efficiencies, or
// DefaultEfficiency.
func (g GPU) Efficiency() Efficiency {
	if g.Eff != nil {
		return *g.Eff
	}
	return DefaultEfficiency
}

// overhead returns the host-side cost of a step of n sequences.
func (m CostModel) overhead(n int) time.Duration {
	e := m.GPU.Efficiency()
	return e.StepOverhead + time.Duration(n)*e.PerSeqOverhead
}

// roofline returns the time of a step's work on the GPU.
func (m CostModel) roofline(c StepCost) time.Duration {
	e := m.GPU.Efficiency()
	compute := c.FLOPs() / (m.GPU.Peak(m.Model.DType) * e.MFU)
	memory := c.Bytes() / (m.GPU.BandwidthGBs * 1e9 * e.MBU)
	return seconds(max(compute, memory))
}

// WeightReadTime returns weights / (bandwidth × MBU): the floor of any
// step, and the whole GPU time of a small decode step.
func (m CostModel) WeightReadTime() time.Duration {
	return seconds(m.Model.WeightBytes() / (m.GPU.BandwidthGBs * 1e9 * m.GPU.Efficiency().MBU))
}

// Step prices a step made of seqs, applying the knobs. An empty step
// costs nothing.
func (m CostModel) Step(seqs []SeqWork) StepCost {
	if len(seqs) == 0 {
		return StepCost{}
	}
	if !m.Knobs.FreeDecode && !m.Knobs.ComputeBoundDecode {
		c := m.work(seqs, partAll)
		c.Overhead = m.overhead(len(seqs))
		c.Time = m.roofline(c) + c.Overhead
		return c
	}
	c := m.work(seqs, partPrefill)
	d := m.work(seqs, partDecode)
	hasPrefill := c.Tokens > 0
	var gpu time.Duration
	if hasPrefill {
		gpu = m.roofline(c)
	}
	if m.Knobs.FreeDecode {
		if !hasPrefill {
			d.Time = 0
			return d
		}
		c.Tokens += d.Tokens
		c.Sampled += d.Sampled
		c.Overhead = m.overhead(len(seqs))
		c.Time = gpu + c.Overhead
		return c
	}
	// ComputeBoundDecode: every decoding sequence reads all weights alone.
	decoders := d.Sampled
	gpu += time.Duration(decoders) * m.WeightReadTime()
	c.LinearFLOPs += d.LinearFLOPs
	c.AttnFLOPs += d.AttnFLOPs
	c.KVReadBytes += d.KVReadBytes
	c.KVWriteBytes += d.KVWriteBytes
	c.WeightBytes = m.Model.WeightBytes() * float64(max(1, decoders))
	c.Tokens += d.Tokens
	c.Sampled += d.Sampled
	c.Overhead = m.overhead(len(seqs))
	c.Time = gpu + c.Overhead
	return c
}

// PrefillTime returns the cost model's own prediction of the time from
// scheduling a lone prompt of n tokens to its first token, when nothing
// else runs: the sum of its chunk steps of at most chunk tokens each.
func (m CostModel) PrefillTime(n, chunk int) time.Duration {
	var t time.Duration
	for done := 0; done < n; {
		k := min(chunk, n-done)
		t += m.Step([]SeqWork{{NewTokens: k, Context: done, Prefill: true, Samples: done+k == n}}).Time
		done += k
	}
	return t
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
