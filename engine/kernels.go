package engine

import "time"

// kernel is one GPU kernel a step would launch.
type kernel struct {
	name string
	dur  time.Duration
}

// Kernel is one GPU kernel of a simulated step on the virtual clock (the
// modelled GPU's time, no speed factor): what the profiler would write
// for it, before the trace's wall-clock base is added.
type Kernel struct {
	Name  string
	Start time.Duration
	Dur   time.Duration
}

// timedKernels lays a step's kernels back to back so that the last one
// ends at the step's end, as the profiler lays them (the step's host
// overhead comes first, with the GPU idle).
func timedKernels(m CostModel, res stepResult) []Kernel {
	ks := stepKernels(m, res, m.Knobs.UniformKernels)
	var total time.Duration
	for _, k := range ks {
		total += k.dur
	}
	t := res.End() - total
	out := make([]Kernel, len(ks))
	for i, k := range ks {
		out[i] = Kernel{Name: k.name, Start: t, Dur: k.dur}
		t += k.dur
	}
	return out
}

// UniformKernelDur is the duration of every kernel under the
// UniformKernels knob (modelled time, before the speed factor).
const UniformKernelDur = 50 * time.Microsecond

// minKernel is the shortest kernel: launch and tail latency of a tiny
// element-wise kernel.
const minKernel = 2 * time.Microsecond

// stepKernels returns the kernels a step would launch, in order, the way
// vLLM's Llama/Qwen2 forward pass does: per layer an RMSNorm, the fused
// QKV GEMM, rotary embedding, KV-cache write, attention, the output
// projection, a fused residual-add RMSNorm, the fused gate/up GEMM,
// SiLU-and-mul and the down GEMM; then the final norm, the lm_head GEMM
// and sampling. Each kernel first gets its own roofline time (FLOPs and
// bytes of its operands); the durations are then scaled so that they sum
// to the step's GPU time (step time less the host overhead, stretched
// like the step by jitter). Prefill chunks thus show long
// compute-bound GEMMs, decode steps a dense run of short kernels. With
// uniform set every kernel of every step lasts UniformKernelDur; with the
// DecodeKernelMix knob every step is filled with a one-sequence decode
// step's kernels (decodeMix).
func stepKernels(m CostModel, res stepResult, uniform bool) []kernel {
	gpuTime := res.Dur
	if res.Cost.Time > 0 {
		gpuTime = time.Duration(float64(res.Dur) * float64(res.Cost.Time-res.Cost.Overhead) / float64(res.Cost.Time))
	}
	if gpuTime <= 0 || len(res.Work) == 0 {
		return nil
	}
	if m.Knobs.DecodeKernelMix {
		return fillKernels(decodeMix(m), gpuTime)
	}
	out := forwardKernels(m, res.Cost.Tokens, res.Cost.Sampled, res.Cost.AttnFLOPs, res.Cost.KVReadBytes+res.Cost.KVWriteBytes, hasPrefill(res.Work))
	if uniform {
		return uniformKernels(out, gpuTime)
	}
	var sum time.Duration
	for _, k := range out {
		sum += k.dur
	}
	scale := float64(gpuTime) / float64(sum)
	for i := range out {
		out[i].dur = time.Duration(float64(out[i].dur) * scale)
	}
	return out
}

// forwardKernels returns one forward pass's kernels at their roofline
// lengths, for a step computing tokens new tokens, sampling sampled
// sequences, with the step's attention FLOPs and KV traffic (all layers).
func forwardKernels(m CostModel, tokens, sampled int, attnFLOPs, kvBytes float64, prefill bool) []kernel {
	md := m.Model
	eff := m.GPU.Efficiency()
	peak := m.GPU.Peak(md.DType) * eff.MFU
	bw := m.GPU.BandwidthGBs * 1e9 * eff.MBU
	dt := md.DTypeBytes()
	T := float64(tokens)
	S := float64(max(sampled, 1))
	h, I := float64(md.Hidden), float64(md.Intermediate)
	q, kv := float64(md.Heads*md.HeadDim), float64(md.KVHeads*md.HeadDim)
	L := float64(md.Layers)
	roof := func(flops, bytes float64) time.Duration {
		return max(minKernel, seconds(max(flops/peak, bytes/bw)))
	}
	gemm := func(n, k float64) time.Duration { // T×k by k×n
		return roof(2*T*n*k, (n*k+T*(n+k))*dt)
	}
	elem := func(width float64) time.Duration { return roof(T*width, 2*T*width*dt) }
	small := T <= 16
	gemmName := func(what string) string {
		if small {
			return "gemv_splitk_f16_tn_" + what
		}
		return "sm80_xmma_gemm_f16f16_f16f32_tn_128x128_" + what
	}
	attnName := "flash_fwd_kernel"
	if !prefill {
		attnName = "flash_fwd_splitkv_kernel"
	}
	attn := roof(attnFLOPs/L, kvBytes/L+2*T*q*dt)
	layer := []kernel{
		{"vllm::rms_norm_kernel", elem(h)},
		{gemmName("qkv_proj"), gemm(q+2*kv, h)},
		{"vllm::rotary_embedding_kernel", elem(q + kv)},
		{"vllm::reshape_and_cache_flash_kernel", elem(2 * kv)},
		{attnName, attn},
		{gemmName("o_proj"), gemm(h, q)},
		{"vllm::fused_add_rms_norm_kernel", elem(2 * h)},
		{gemmName("gate_up_proj"), gemm(2*I, h)},
		{"vllm::act_and_mul_kernel<silu>", elem(3 * I)},
		{gemmName("down_proj"), gemm(h, I)},
	}
	out := make([]kernel, 0, len(layer)*md.Layers+4)
	for range md.Layers {
		out = append(out, layer...)
	}
	return append(out,
		kernel{"vllm::fused_add_rms_norm_kernel", elem(2 * h)},
		kernel{gemmName("lm_head"), roof(2*S*h*float64(md.Vocab), (h*float64(md.Vocab)+S*h)*dt)},
		kernel{"softmax_warp_forward", roof(S*float64(md.Vocab), S*float64(md.Vocab)*4)},
		kernel{"argmax_kernel", minKernel},
	)
}

// decodeMixContext is the context length of the one-sequence decode step
// whose kernels DecodeKernelMix repeats.
const decodeMixContext = 512

// decodeMix is the kernels of a one-sequence decode step at
// decodeMixContext tokens of context, at their roofline lengths.
func decodeMix(m CostModel) []kernel {
	md := m.Model
	attn := 4 * float64(md.Layers*md.Heads*md.HeadDim) * (decodeMixContext + 1) // as CostModel.Step prices it
	return forwardKernels(m, 1, 1, attn, md.KVBytesPerToken()*(decodeMixContext+1), false)
}

// fillKernels fills gpuTime with repetitions of set, at their lengths, the
// last kernel cut to what remains.
func fillKernels(set []kernel, gpuTime time.Duration) []kernel {
	var out []kernel
	for left := gpuTime; left > 0; {
		for _, k := range set {
			if left <= 0 {
				break
			}
			k.dur = min(k.dur, left)
			out = append(out, k)
			left -= k.dur
		}
	}
	return out
}

// uniformKernels fills a step's GPU time with kernels that all last
// UniformKernelDur (the last one takes the remainder, so a step still sums
// to its GPU time), named after the step's own kernels in turn. Kernel
// durations then say nothing about the work: a prefill step is just more
// of the same kernels.
func uniformKernels(names []kernel, gpuTime time.Duration) []kernel {
	n := int(gpuTime / UniformKernelDur)
	rest := gpuTime - time.Duration(n)*UniformKernelDur
	if n == 0 {
		return []kernel{{names[0].name, gpuTime}}
	}
	out := make([]kernel, n)
	for i := range out {
		out[i] = kernel{names[i%len(names)].name, UniformKernelDur}
	}
	out[n-1].dur += rest
	return out
}

func hasPrefill(w []SeqWork) bool {
	for _, s := range w {
		if s.Prefill {
			return true
		}
	}
	return false
}
