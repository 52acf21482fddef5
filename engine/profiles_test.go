package engine

import (
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/hypobench/hypobench/internal/testutil"
)

func TestParseSpec(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec      string
		gpu, mdl  string
		wantError bool
	}{
		{"", "rtx4090", "qwen2.5-7b", false},
		{"h200:llama-3.1-8b", "h200", "llama-3.1-8b", false},
		{"a100-80g:qwen2.5-0.5b", "a100-80g", "qwen2.5-0.5b", false},
		{"h100-sxm:qwen2.5-7b", "h100-sxm", "qwen2.5-7b", false},
		{"rtx4090", "", "", true},
		{"tpu:qwen2.5-7b", "", "", true},
		{"rtx4090:gpt-5", "", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			g, m, err := ParseSpec(tc.spec)
			if tc.wantError {
				if !errors.Is(err, ErrUnknownProfile) {
					t.Fatalf("ParseSpec(%q) error = %v, want ErrUnknownProfile", tc.spec, err)
				}
				return
			}
			if err != nil || g.Name != tc.gpu || m.Name != tc.mdl {
				t.Fatalf("ParseSpec(%q) = %s, %s, %v", tc.spec, g.Name, m.Name, err)
			}
		})
	}
}

// TestModelArithmetic checks derived sizes against the published ones.
func TestModelArithmetic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		params    float64 // published parameter count
		kvPerTok  float64
		tolerance float64
	}{
		{"qwen2.5-7b", 7.62e9, 2 * 28 * 4 * 128 * 2, 0.01},
		{"llama-3.1-8b", 8.03e9, 2 * 32 * 8 * 128 * 2, 0.01},
		{"qwen2.5-0.5b", 0.494e9, 2 * 24 * 2 * 64 * 2, 0.01},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := Models[tc.name]
			if got := m.Params(); math.Abs(got/tc.params-1) > tc.tolerance {
				t.Errorf("Params() = %.4g, want %.4g ± %.0f%%", got, tc.params, tc.tolerance*100)
			}
			if got := m.KVBytesPerToken(); got != tc.kvPerTok {
				t.Errorf("KVBytesPerToken() = %g, want %g", got, tc.kvPerTok)
			}
		})
	}
}

func TestVLLMDefaultsByGPUClass(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec              string
		seqs, batchTokens int
	}{
		{"rtx4090:qwen2.5-7b", 256, 2048},
		{"a100-80g:qwen2.5-7b", 1024, 8192},
		{"h200:llama-3.1-8b", 1024, 8192},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			_, info, err := Config{Spec: tc.spec}.resolve()
			if err != nil {
				t.Fatal(err)
			}
			if info.MaxNumSeqs != tc.seqs || info.MaxNumBatchedTokens != tc.batchTokens {
				t.Errorf("max_num_seqs %d, max_num_batched_tokens %d; want %d, %d",
					info.MaxNumSeqs, info.MaxNumBatchedTokens, tc.seqs, tc.batchTokens)
			}
			m, g := info.Model, info.GPU
			want := NumBlocks(g, m, 0.9, tc.batchTokens)
			if info.NumGPUBlocks != want || want <= 0 {
				t.Errorf("NumGPUBlocks = %d, want %d > 0", info.NumGPUBlocks, want)
			}
		})
	}
}

func TestNumBlocksFormula(t *testing.T) {
	t.Parallel()
	g, m, _ := ParseSpec(DefaultSpec)
	act := 2048.0 * float64(4*m.Hidden+2*m.Intermediate+(m.Heads+2*m.KVHeads)*m.HeadDim) * 2
	free := 23.99*(1<<30)*0.9 - m.WeightBytes() - (1 << 30) - act
	want := int(free / (2 * 28 * 4 * 128 * 2 * 16))
	if got := NumBlocks(g, m, 0.9, 2048); got != want {
		t.Errorf("NumBlocks = %d, want %d", got, want)
	}
	if got := NumBlocks(GPU{MemoryGiB: 8, BandwidthGBs: 1, PeakTFLOPs: map[string]float64{"fp16": 1}}, m, 0.9, 2048); got != 0 {
		t.Errorf("NumBlocks for weights that do not fit = %d, want 0", got)
	}
}

func TestParseModelConfig(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/qwen2.5-7b-config.json")
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseModelConfig("config.json", data)
	if err != nil {
		t.Fatal(err)
	}
	want := Models["qwen2.5-7b"]
	if m.Params() != want.Params() || m.KVBytesPerToken() != want.KVBytesPerToken() || m.Vocab != want.Vocab {
		t.Errorf("parsed %+v, want the sizes of %+v", m, want)
	}
	if m.DType != "bf16" {
		t.Errorf("DType = %q, want bf16", m.DType)
	}
}

func TestParseModelConfigRejects(t *testing.T) {
	t.Parallel()
	full := `"hidden_size": 896, "num_hidden_layers": 24, "num_attention_heads": 14, "intermediate_size": 4864, "vocab_size": 151936`
	tests := []struct {
		name, json, field string
		line              int
	}{
		{"no hidden_size", `{"num_hidden_layers": 24, "num_attention_heads": 14, "intermediate_size": 4864, "vocab_size": 1, "torch_dtype": "bfloat16"}`, "hidden_size", 0},
		{"no vocab_size", `{"hidden_size": 896, "num_hidden_layers": 24, "num_attention_heads": 14, "intermediate_size": 4864, "torch_dtype": "float16"}`, "vocab_size", 0},
		{"no intermediate_size", `{"hidden_size": 896, "num_hidden_layers": 24, "num_attention_heads": 14, "vocab_size": 1, "torch_dtype": "float16"}`, "intermediate_size", 0},
		{"no dtype", `{` + full + `}`, "torch_dtype", 0},
		{"odd dtype", `{` + full + `, "torch_dtype": "int4"}`, "torch_dtype", 0},
		{"zero layers", `{"hidden_size": 896, "num_hidden_layers": 0, "num_attention_heads": 14, "intermediate_size": 4864, "vocab_size": 1, "torch_dtype": "float16"}`, "num_hidden_layers", 0},
		{"kv heads not dividing", `{` + full + `, "num_key_value_heads": 3, "torch_dtype": "float16"}`, "num_key_value_heads", 0},
		{"head_dim underivable", `{"hidden_size": 900, "num_hidden_layers": 2, "num_attention_heads": 14, "intermediate_size": 1, "vocab_size": 1, "torch_dtype": "float16"}`, "head_dim", 0},
		{"wrong type", "{\n\"hidden_size\": \"big\"}", "hidden_size", 2},
		{"syntax", "{\n\n\"hidden_size\": 1,,}", "", 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseModelConfig("cfg.json", []byte(tc.json))
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error = %v, want *ConfigError", err)
			}
			if ce.Field != tc.field || ce.Line != tc.line || ce.File != "cfg.json" {
				t.Errorf("ConfigError{File %q, Line %d, Field %q}, want cfg.json, line %d, field %q (%v)",
					ce.File, ce.Line, ce.Field, tc.line, tc.field, err)
			}
			if tc.field != "" && !strings.Contains(err.Error(), tc.field) {
				t.Errorf("message %q does not name %s", err, tc.field)
			}
		})
	}
}

func TestParseGPUFile(t *testing.T) {
	t.Parallel()
	g, err := LoadGPUFile("testdata/l40s-gpu.json")
	if err != nil {
		t.Fatal(err)
	}
	if g.Name != "l40s" || g.Peak("bf16") != 362e12 || g.BandwidthGBs != 864 {
		t.Errorf("parsed %+v", g)
	}
	for _, tc := range []struct{ json, field string }{
		{`{"memory_bandwidth_gb_s": 1, "peak_tflops": {"fp16": 1}}`, "memory_gib"},
		{`{"memory_gib": 1, "peak_tflops": {"fp16": 1}}`, "memory_bandwidth_gb_s"},
		{`{"memory_gib": 1, "memory_bandwidth_gb_s": 1, "peak_tflops": {"bf16": 1}}`, "peak_tflops"},
	} {
		t.Run(tc.field, func(t *testing.T) {
			_, err := ParseGPUFile("g.json", []byte(tc.json))
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Field != tc.field {
				t.Fatalf("error = %v, want a ConfigError on %s", err, tc.field)
			}
		})
	}
}

func TestConfigRejectsModelTooBigForKVCache(t *testing.T) {
	t.Parallel()
	_, _, err := Config{NumGPUBlocksOverride: 10}.resolve()
	if !errors.Is(err, ErrConfig) {
		t.Fatalf("resolve with 10 blocks for max_model_len 4096: %v, want ErrConfig", err)
	}
}

func FuzzParseModelConfig(f *testing.F) {
	f.Add(testutil.Fixture(f, "testdata/qwen2.5-7b-config.json"))
	f.Add([]byte(`{"hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 4, "vocab_size": 1, "dtype": "float16"}`))
	f.Add([]byte(`{"hidden_size": -1}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseModelConfig("fuzz.json", data)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not a *ConfigError", err)
			}
			return
		}
		if m.Hidden <= 0 || m.Layers <= 0 || m.HeadDim <= 0 || m.KVHeads <= 0 || m.Heads%m.KVHeads != 0 {
			t.Fatalf("accepted an unusable model %+v", m)
		}
	})
}

func FuzzParseGPUFile(f *testing.F) {
	f.Add([]byte(`{"name": "l40s", "memory_gib": 44.5, "memory_bandwidth_gb_s": 864, "peak_tflops": {"fp16": 362}}`))
	f.Add([]byte(`{"memory_gib": "x"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := ParseGPUFile("fuzz.json", data)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not a *ConfigError", err)
			}
			return
		}
		if g.MemoryGiB <= 0 || g.BandwidthGBs <= 0 || g.Peak("fp16") <= 0 {
			t.Fatalf("accepted an unusable GPU %+v", g)
		}
	})
}
