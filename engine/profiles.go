package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
)

// GPU describes the accelerator the engine pretends to be: what the
// roofline cost model needs and nothing more.
type GPU struct {
	// Name is the profile's short name, e.g. "rtx4090".
	Name string `json:"name"`
	// MemoryGiB is the device memory in GiB (2^30 bytes), as torch reports it.
	MemoryGiB float64 `json:"memory_gib"`
	// BandwidthGBs is the memory bandwidth in GB/s (10^9 bytes per second).
	BandwidthGBs float64 `json:"memory_bandwidth_gb_s"`
	// PeakTFLOPs maps a dtype ("fp16", "bf16", "fp32") to dense tensor
	// throughput in TFLOP/s (10^12 FLOP/s), without sparsity.
	PeakTFLOPs map[string]float64 `json:"peak_tflops"`
	// Eff, when set, replaces DefaultEfficiency for this GPU (a profile
	// calibrated against published vLLM runs; see CALIBRATION.md).
	Eff *Efficiency `json:"efficiency,omitempty"`
}

// Peak returns the dense FLOP/s for dtype, falling back to fp16 when the
// profile has no entry for it.
func (g GPU) Peak(dtype string) float64 {
	if v, ok := g.PeakTFLOPs[dtype]; ok && v > 0 {
		return v * 1e12
	}
	return g.PeakTFLOPs["fp16"] * 1e12
}

// MemoryBytes returns the device memory in bytes.
func (g GPU) MemoryBytes() float64 { return g.MemoryGiB * (1 << 30) }

// Model describes a decoder-only transformer as its Hugging Face config
// does. Parameter counts and KV sizes are derived from these fields.
type Model struct {
	// Name is the profile's short name, e.g. "qwen2.5-7b".
	Name string `json:"name"`
	// HFName is the served model name, e.g. "Qwen/Qwen2.5-7B-Instruct".
	HFName            string `json:"hf_name"`
	Layers            int    `json:"num_hidden_layers"`
	Hidden            int    `json:"hidden_size"`
	Heads             int    `json:"num_attention_heads"`
	KVHeads           int    `json:"num_key_value_heads"`
	HeadDim           int    `json:"head_dim"`
	Intermediate      int    `json:"intermediate_size"`
	Vocab             int    `json:"vocab_size"`
	TieWordEmbeddings bool   `json:"tie_word_embeddings"`
	// DType is "fp16", "bf16" or "fp32".
	DType string `json:"dtype"`
}

// DTypeBytes returns the size of one weight or KV element.
func (m Model) DTypeBytes() float64 {
	if m.DType == "fp32" {
		return 4
	}
	return 2
}

// LayerParams returns the weight count of one decoder layer: q/k/v/o
// projections, the gated MLP (gate, up, down) and two RMSNorm vectors.
func (m Model) LayerParams() float64 {
	h := float64(m.Hidden)
	q := float64(m.Heads * m.HeadDim)
	kv := float64(m.KVHeads * m.HeadDim)
	attn := h*q + 2*h*kv + q*h
	mlp := 3 * h * float64(m.Intermediate)
	return attn + mlp + 2*h
}

// Params returns the total weight count, counting a tied embedding once.
func (m Model) Params() float64 {
	emb := float64(m.Vocab) * float64(m.Hidden)
	p := float64(m.Layers)*m.LayerParams() + emb + float64(m.Hidden)
	if !m.TieWordEmbeddings {
		p += emb
	}
	return p
}

// WeightBytes returns the bytes of all weights.
func (m Model) WeightBytes() float64 { return m.Params() * m.DTypeBytes() }

// KVBytesPerToken returns 2 (K and V) × layers × KV heads × head dim × dtype
// bytes: what one token occupies in the KV cache.
func (m Model) KVBytesPerToken() float64 {
	return 2 * float64(m.Layers*m.KVHeads*m.HeadDim) * m.DTypeBytes()
}

// GPUs are the built-in accelerator profiles. Sources: NVIDIA's datasheets
// and architecture whitepapers; dense tensor-core throughput with FP32
// accumulation (no 2:4 sparsity), the figure vLLM-sized GEMMs can approach.
var GPUs = map[string]GPU{
	// Ada Lovelace whitepaper (RTX 4090): 165.2 TFLOP/s FP16/BF16 tensor with
	// FP32 accumulate, 1008 GB/s GDDR6X, 24 GB. The seed's card.
	"rtx4090": {Name: "rtx4090", MemoryGiB: 23.99, BandwidthGBs: 1008,
		PeakTFLOPs: map[string]float64{"fp16": 165.2, "bf16": 165.2, "fp32": 82.6}},
	// A100 80GB SXM datasheet: 312 TFLOP/s FP16/BF16 dense, 2039 GB/s HBM2e.
	// Efficiencies calibrated against published vLLM 0.10.1.1 runs
	// (CALIBRATION.md).
	"a100-80g": {Name: "a100-80g", MemoryGiB: 79.15, BandwidthGBs: 2039,
		PeakTFLOPs: map[string]float64{"fp16": 312, "bf16": 312, "fp32": 19.5}, Eff: &A100Efficiency},
	// H100 SXM5 datasheet: 989.4 TFLOP/s FP16/BF16 dense, 3.35 TB/s HBM3, 80 GB.
	"h100-sxm": {Name: "h100-sxm", MemoryGiB: 79.18, BandwidthGBs: 3350,
		PeakTFLOPs: map[string]float64{"fp16": 989.4, "bf16": 989.4, "fp32": 67}},
	// H200 SXM datasheet: same compute as H100 SXM, 4.8 TB/s HBM3e, 141 GB.
	"h200": {Name: "h200", MemoryGiB: 139.8, BandwidthGBs: 4800,
		PeakTFLOPs: map[string]float64{"fp16": 989.4, "bf16": 989.4, "fp32": 67}},
}

// Models are the built-in model profiles, copied from each model's
// config.json on the Hugging Face Hub.
var Models = map[string]Model{
	// Qwen/Qwen2.5-7B-Instruct config.json (the seed's model, served as fp16).
	"qwen2.5-7b": {Name: "qwen2.5-7b", HFName: "Qwen/Qwen2.5-7B-Instruct", Layers: 28, Hidden: 3584,
		Heads: 28, KVHeads: 4, HeadDim: 128, Intermediate: 18944, Vocab: 152064, DType: "fp16"},
	// meta-llama/Llama-3.1-8B-Instruct config.json.
	"llama-3.1-8b": {Name: "llama-3.1-8b", HFName: "meta-llama/Llama-3.1-8B-Instruct", Layers: 32,
		Hidden: 4096, Heads: 32, KVHeads: 8, HeadDim: 128, Intermediate: 14336, Vocab: 128256, DType: "bf16"},
	// Qwen/Qwen2.5-0.5B-Instruct config.json (tied embeddings).
	"qwen2.5-0.5b": {Name: "qwen2.5-0.5b", HFName: "Qwen/Qwen2.5-0.5B-Instruct", Layers: 24, Hidden: 896,
		Heads: 14, KVHeads: 2, HeadDim: 64, Intermediate: 4864, Vocab: 151936, TieWordEmbeddings: true, DType: "bf16"},
}

// DefaultSpec is the engine profile used when none is given: the seed's
// RTX 4090 serving Qwen2.5-7B-Instruct.
const DefaultSpec = "rtx4090:qwen2.5-7b"

// ErrUnknownProfile is returned for a spec naming no built-in profile.
var ErrUnknownProfile = errors.New("unknown engine profile")

// ParseSpec resolves "gpu:model" against the built-in profiles.
func ParseSpec(spec string) (GPU, Model, error) {
	if spec == "" {
		spec = DefaultSpec
	}
	g, m, ok := strings.Cut(spec, ":")
	if !ok {
		return GPU{}, Model{}, fmt.Errorf("parsing engine spec %q: want gpu:model: %w", spec, ErrUnknownProfile)
	}
	gpu, ok := GPUs[g]
	if !ok {
		return GPU{}, Model{}, fmt.Errorf("parsing engine spec %q: gpu %q not in %v: %w", spec, g, keys(GPUs), ErrUnknownProfile)
	}
	model, ok := Models[m]
	if !ok {
		return GPU{}, Model{}, fmt.Errorf("parsing engine spec %q: model %q not in %v: %w", spec, m, keys(Models), ErrUnknownProfile)
	}
	return gpu, model, nil
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ConfigError reports a GPU or model file the engine cannot use: its file,
// the position of a syntax error (Line 0 when not positional), the field at
// fault, and why.
type ConfigError struct {
	File  string
	Line  int
	Col   int
	Field string
	Msg   string
}

func (e *ConfigError) Error() string {
	pos := e.File
	if e.Line > 0 {
		pos = fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Col)
	}
	if e.Field != "" {
		return fmt.Sprintf("%s: field %q: %s", pos, e.Field, e.Msg)
	}
	return fmt.Sprintf("%s: %s", pos, e.Msg)
}

// syntaxError converts a json decoding error into a ConfigError with the
// line and column of its offset.
func syntaxError(file string, data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	off := int64(-1)
	field := ""
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
		field = te.Field
	}
	if off < 0 {
		return &ConfigError{File: file, Msg: err.Error()}
	}
	line, col := 1, 1
	for i := int64(0); i < off && i < int64(len(data)); i++ {
		if data[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return &ConfigError{File: file, Line: line, Col: col, Field: field, Msg: err.Error()}
}

// hfConfig is the subset of a Hugging Face config.json the engine reads.
// Pointers tell a missing field from a zero one.
type hfConfig struct {
	NameOrPath        string `json:"_name_or_path"`
	Hidden            *int   `json:"hidden_size"`
	Layers            *int   `json:"num_hidden_layers"`
	Heads             *int   `json:"num_attention_heads"`
	KVHeads           *int   `json:"num_key_value_heads"`
	HeadDim           *int   `json:"head_dim"`
	Intermediate      *int   `json:"intermediate_size"`
	Vocab             *int   `json:"vocab_size"`
	TieWordEmbeddings *bool  `json:"tie_word_embeddings"`
	TorchDType        string `json:"torch_dtype"`
	DType             string `json:"dtype"`
}

// ParseModelConfig reads a Hugging Face config.json. file names the input
// in errors and, without "_name_or_path", becomes the model's name. A
// missing or non-positive required field is a *ConfigError naming it;
// num_key_value_heads defaults to num_attention_heads and head_dim to
// hidden_size / num_attention_heads, as in transformers.
func ParseModelConfig(file string, data []byte) (Model, error) {
	var c hfConfig
	if err := json.Unmarshal(data, &c); err != nil {
		return Model{}, syntaxError(file, data, err)
	}
	req := []struct {
		name string
		v    *int
	}{
		{"hidden_size", c.Hidden}, {"num_hidden_layers", c.Layers}, {"num_attention_heads", c.Heads},
		{"intermediate_size", c.Intermediate}, {"vocab_size", c.Vocab},
	}
	for _, f := range req {
		if f.v == nil {
			return Model{}, &ConfigError{File: file, Field: f.name, Msg: "missing (required by the cost model)"}
		}
		if *f.v <= 0 {
			return Model{}, &ConfigError{File: file, Field: f.name, Msg: fmt.Sprintf("must be positive, got %d", *f.v)}
		}
	}
	m := Model{Hidden: *c.Hidden, Layers: *c.Layers, Heads: *c.Heads, Intermediate: *c.Intermediate, Vocab: *c.Vocab}
	m.KVHeads = m.Heads
	if c.KVHeads != nil {
		if *c.KVHeads <= 0 || m.Heads%*c.KVHeads != 0 {
			return Model{}, &ConfigError{File: file, Field: "num_key_value_heads",
				Msg: fmt.Sprintf("must be positive and divide num_attention_heads %d, got %d", m.Heads, *c.KVHeads)}
		}
		m.KVHeads = *c.KVHeads
	}
	if c.HeadDim != nil {
		if *c.HeadDim <= 0 {
			return Model{}, &ConfigError{File: file, Field: "head_dim", Msg: fmt.Sprintf("must be positive, got %d", *c.HeadDim)}
		}
		m.HeadDim = *c.HeadDim
	} else {
		if m.Hidden%m.Heads != 0 {
			return Model{}, &ConfigError{File: file, Field: "head_dim",
				Msg: fmt.Sprintf("missing and hidden_size %d is not a multiple of num_attention_heads %d", m.Hidden, m.Heads)}
		}
		m.HeadDim = m.Hidden / m.Heads
	}
	if c.TieWordEmbeddings != nil {
		m.TieWordEmbeddings = *c.TieWordEmbeddings
	}
	dt := c.TorchDType
	field := "torch_dtype"
	if dt == "" {
		dt, field = c.DType, "dtype"
	}
	switch dt {
	case "float16", "half":
		m.DType = "fp16"
	case "bfloat16":
		m.DType = "bf16"
	case "float32", "float":
		m.DType = "fp32"
	case "":
		return Model{}, &ConfigError{File: file, Field: "torch_dtype", Msg: "missing (neither torch_dtype nor dtype is set)"}
	default:
		return Model{}, &ConfigError{File: file, Field: field, Msg: fmt.Sprintf("unsupported dtype %q (want float16, bfloat16 or float32)", dt)}
	}
	m.HFName = c.NameOrPath
	if m.HFName == "" {
		m.HFName = file
	}
	m.Name = m.HFName
	return m, nil
}

// ParseGPUFile reads a GPU profile from JSON, e.g.
//
//	{"name": "l40s", "memory_gib": 44.5, "memory_bandwidth_gb_s": 864,
//	 "peak_tflops": {"fp16": 362, "bf16": 362},
//	 "efficiency": {"mfu": 0.5, "mbu": 0.8, "step_overhead": 2500000, "per_seq_overhead": 50000}}
//
// "efficiency" is optional (DefaultEfficiency); its overheads are in
// nanoseconds.
// A missing or non-positive field is a *ConfigError naming it.
func ParseGPUFile(file string, data []byte) (GPU, error) {
	var g GPU
	if err := json.Unmarshal(data, &g); err != nil {
		return GPU{}, syntaxError(file, data, err)
	}
	switch {
	case g.MemoryGiB <= 0:
		return GPU{}, &ConfigError{File: file, Field: "memory_gib", Msg: "missing or not positive"}
	case g.BandwidthGBs <= 0:
		return GPU{}, &ConfigError{File: file, Field: "memory_bandwidth_gb_s", Msg: "missing or not positive"}
	case g.PeakTFLOPs["fp16"] <= 0:
		return GPU{}, &ConfigError{File: file, Field: "peak_tflops", Msg: `needs a positive "fp16" entry`}
	}
	if e := g.Eff; e != nil {
		switch {
		case e.MFU <= 0 || e.MFU > 1:
			return GPU{}, &ConfigError{File: file, Field: "efficiency.mfu", Msg: fmt.Sprintf("must be in (0, 1], got %g", e.MFU)}
		case e.MBU <= 0 || e.MBU > 1:
			return GPU{}, &ConfigError{File: file, Field: "efficiency.mbu", Msg: fmt.Sprintf("must be in (0, 1], got %g", e.MBU)}
		case e.StepOverhead < 0 || e.PerSeqOverhead < 0:
			return GPU{}, &ConfigError{File: file, Field: "efficiency", Msg: "overheads must not be negative"}
		}
	}
	if g.Name == "" {
		g.Name = file
	}
	return g, nil
}

// LoadModelConfig reads and parses a Hugging Face config.json from path.
func LoadModelConfig(path string) (Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Model{}, fmt.Errorf("reading model config: %w", err)
	}
	return ParseModelConfig(path, data)
}

// LoadGPUFile reads and parses a GPU profile from path.
func LoadGPUFile(path string) (GPU, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return GPU{}, fmt.Errorf("reading gpu profile: %w", err)
	}
	return ParseGPUFile(path, data)
}
