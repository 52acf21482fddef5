package engine

import (
	"errors"
	"fmt"
)

// Config configures the engine. Its zero value means DefaultConfig: every
// zero field takes the default documented beside it.
type Config struct {
	// Spec is "gpu:model" naming built-in profiles (DefaultSpec).
	Spec string
	// GPU and Model, when set, replace the spec's GPU or model (see
	// LoadGPUFile and LoadModelConfig).
	GPU   *GPU
	Model *Model
	// ServedModelName is the model name of the API (the model's HFName).
	ServedModelName string
	// Addr is the listen address (127.0.0.1:0, a free loopback port).
	Addr string
	// Speed compresses time uniformly: every step lasts its cost divided
	// by Speed (1).
	Speed float64
	// Seed seeds step jitter and end-of-sequence draws (0 is a valid seed).
	Seed uint64
	// Jitter is the log-normal sigma of a multiplicative noise on each
	// step's time, mean-preserving (0: none).
	Jitter float64
	// EOSRate is the per-token probability of an end-of-sequence token for
	// requests without ignore_eos, after min_tokens (0: every request runs
	// to max_tokens).
	EOSRate float64
	// MaxModelLen is the context length (4096, the seed's).
	MaxModelLen int
	// MaxNumSeqs and MaxNumBatchedTokens are vLLM's scheduler limits
	// (256 and 2048 on GPUs under 70 GiB, 1024 and 8192 from 70 GiB, as
	// vLLM's serve defaults).
	MaxNumSeqs          int
	MaxNumBatchedTokens int
	// GPUMemoryUtilization is the share of GPU memory the engine may use
	// (0.9).
	GPUMemoryUtilization float64
	// NumGPUBlocksOverride, when positive, replaces the computed KV-cache
	// block count (vLLM's --num-gpu-blocks-override).
	NumGPUBlocksOverride int
	// ProfileDir is where /stop_profile writes traces; empty disables the
	// profiler endpoints (as vLLM without VLLM_TORCH_PROFILER_DIR).
	ProfileDir string
	// TraceGzip writes traces as .json.gz.
	TraceGzip bool
	// MaxRequestBytes caps a request body; larger ones get 413 (4 MiB).
	MaxRequestBytes int64
	// NoPrefixCaching turns vLLM V1's automatic prefix caching off (vLLM's
	// --no-enable-prefix-caching); it is on by default, as in vLLM V1.
	NoPrefixCaching bool
	// EnablePromptTokensDetails makes usage carry
	// prompt_tokens_details.cached_tokens when a request hit the prefix
	// cache, as vLLM's --enable-prompt-tokens-details does (off by
	// default, as in vLLM; vLLM omits the object when nothing was cached).
	EnablePromptTokensDetails bool
	// NoSimStamps leaves out the "hb_sim_ns" field of streamed events
	// (see the package doc, Simulated time); stamps are on by default.
	NoSimStamps bool
	// FrontEnd is the API server's cost model in virtual-time
	// simulations (Simulator, Simulate, package predict): nil means
	// DefaultFrontEnd, a zero FrontEnd none. The live server does not add
	// it: its own HTTP layer is real.
	FrontEnd *FrontEnd
	// Knobs break the cost model on purpose for negative controls.
	Knobs
}

// DefaultConfig is the configuration a zero Config stands for.
var DefaultConfig = Config{
	Spec:                 DefaultSpec,
	Addr:                 "127.0.0.1:0",
	Speed:                1,
	MaxModelLen:          4096,
	GPUMemoryUtilization: 0.9,
	MaxRequestBytes:      4 << 20,
}

// ErrConfig is wrapped by errors about an unusable Config.
var ErrConfig = errors.New("invalid engine config")

// Info is the resolved configuration of an engine: what a run writes
// into its config.json.
type Info struct {
	GPU                  GPU      `json:"gpu"`
	Model                Model    `json:"model"`
	ServedModelName      string   `json:"served_model_name"`
	Speed                float64  `json:"speed"`
	Seed                 uint64   `json:"seed"`
	Jitter               float64  `json:"jitter"`
	EOSRate              float64  `json:"eos_rate"`
	MaxModelLen          int      `json:"max_model_len"`
	MaxNumSeqs           int      `json:"max_num_seqs"`
	MaxNumBatchedTokens  int      `json:"max_num_batched_tokens"`
	GPUMemoryUtilization float64  `json:"gpu_memory_utilization"`
	NumGPUBlocks         int      `json:"num_gpu_blocks"`
	BlockSize            int      `json:"block_size"`
	PrefixCaching        bool     `json:"enable_prefix_caching"`
	PromptTokensDetails  bool     `json:"enable_prompt_tokens_details"`
	Knobs                Knobs    `json:"knobs"`
	FrontEnd             FrontEnd `json:"front_end"`
	MFU                  float64  `json:"mfu"`
	MBU                  float64  `json:"mbu"`
	StepOverheadSeconds  float64  `json:"step_overhead_s"`
}

// resolve fills defaults and derives the scheduler limits and block count.
func (cfg Config) resolve() (Config, Info, error) {
	d := DefaultConfig
	if cfg.Spec == "" {
		cfg.Spec = d.Spec
	}
	if cfg.Addr == "" {
		cfg.Addr = d.Addr
	}
	if cfg.Speed == 0 {
		cfg.Speed = d.Speed
	}
	if cfg.MaxModelLen == 0 {
		cfg.MaxModelLen = d.MaxModelLen
	}
	if cfg.GPUMemoryUtilization == 0 {
		cfg.GPUMemoryUtilization = d.GPUMemoryUtilization
	}
	if cfg.MaxRequestBytes == 0 {
		cfg.MaxRequestBytes = d.MaxRequestBytes
	}
	gpu, model, err := ParseSpec(cfg.Spec)
	if err != nil {
		if cfg.GPU == nil || cfg.Model == nil {
			return cfg, Info{}, fmt.Errorf("resolving engine config: %w", err)
		}
	}
	if cfg.GPU != nil {
		gpu = *cfg.GPU
	}
	if cfg.Model != nil {
		model = *cfg.Model
	}
	if cfg.ServedModelName == "" {
		cfg.ServedModelName = model.HFName
	}
	big := gpu.MemoryGiB >= 70
	if cfg.MaxNumSeqs == 0 {
		cfg.MaxNumSeqs = map[bool]int{false: 256, true: 1024}[big]
	}
	if cfg.MaxNumBatchedTokens == 0 {
		cfg.MaxNumBatchedTokens = map[bool]int{false: 2048, true: 8192}[big]
	}
	switch {
	case cfg.Speed < 0, cfg.Jitter < 0, cfg.EOSRate < 0 || cfg.EOSRate > 1:
		return cfg, Info{}, fmt.Errorf("speed %g, jitter %g, eos rate %g: %w", cfg.Speed, cfg.Jitter, cfg.EOSRate, ErrConfig)
	case cfg.MaxModelLen < 1, cfg.MaxNumSeqs < 1, cfg.MaxNumBatchedTokens < 1:
		return cfg, Info{}, fmt.Errorf("max_model_len %d, max_num_seqs %d, max_num_batched_tokens %d must be positive: %w",
			cfg.MaxModelLen, cfg.MaxNumSeqs, cfg.MaxNumBatchedTokens, ErrConfig)
	case cfg.GPUMemoryUtilization > 1:
		return cfg, Info{}, fmt.Errorf("gpu_memory_utilization %g above 1: %w", cfg.GPUMemoryUtilization, ErrConfig)
	}
	blocks := cfg.NumGPUBlocksOverride
	if blocks <= 0 {
		blocks = NumBlocks(gpu, model, cfg.GPUMemoryUtilization, cfg.MaxNumBatchedTokens)
	}
	if blocks*BlockSize < cfg.MaxModelLen {
		return cfg, Info{}, fmt.Errorf("%s on %s: the KV cache holds %d tokens (%d blocks), fewer than max_model_len %d: %w",
			model.Name, gpu.Name, blocks*BlockSize, blocks, cfg.MaxModelLen, ErrConfig)
	}
	if cfg.FrontEnd != nil && *cfg.FrontEnd != (FrontEnd{}) {
		if f := *cfg.FrontEnd; f.PerRequest < 0 || f.PerPromptToken < 0 || f.PerOutputToken < 0 {
			return cfg, Info{}, fmt.Errorf("front-end costs %+v must not be negative: %w", f, ErrConfig)
		}
	}
	info := Info{GPU: gpu, Model: model, ServedModelName: cfg.ServedModelName, Speed: cfg.Speed, Seed: cfg.Seed,
		Jitter: cfg.Jitter, EOSRate: cfg.EOSRate, MaxModelLen: cfg.MaxModelLen, MaxNumSeqs: cfg.MaxNumSeqs,
		MaxNumBatchedTokens: cfg.MaxNumBatchedTokens, GPUMemoryUtilization: cfg.GPUMemoryUtilization,
		NumGPUBlocks: blocks, BlockSize: BlockSize, PrefixCaching: !cfg.NoPrefixCaching,
		PromptTokensDetails: cfg.EnablePromptTokensDetails, FrontEnd: DefaultFrontEnd, Knobs: cfg.Knobs, MFU: gpu.Efficiency().MFU, MBU: gpu.Efficiency().MBU,
		StepOverheadSeconds: gpu.Efficiency().StepOverhead.Seconds()}
	if cfg.FrontEnd != nil {
		info.FrontEnd = *cfg.FrontEnd
	}
	return cfg, info, nil
}

// newCoreFrom builds the virtual-time core of a resolved config.
func newCoreFrom(cfg Config, info Info) *Core {
	return newCore(coreParams{
		cost:   CostModel{GPU: info.GPU, Model: info.Model, Knobs: cfg.Knobs},
		blocks: info.NumGPUBlocks, maxSeqs: cfg.MaxNumSeqs, maxBatched: cfg.MaxNumBatchedTokens,
		maxModelLen: cfg.MaxModelLen, seed: cfg.Seed, eosRate: cfg.EOSRate, jitter: cfg.Jitter,
		caching: info.PrefixCaching,
	})
}
