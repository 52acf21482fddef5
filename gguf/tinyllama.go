package gguf

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
)

// TinyLlamaOptions sizes the model built by TinyLlama. Zero fields get the
// defaults of DefaultTinyLlama.
type TinyLlamaOptions struct {
	Layers  int    // transformer blocks
	Hidden  int    // embedding length (residual width)
	FFN     int    // feed-forward length
	Vocab   int    // vocabulary size, at least MinVocab
	Heads   int    // attention heads; Hidden/64 when zero (at least 1)
	KVHeads int    // key/value heads (grouped-query attention); Heads when zero
	CtxLen  int    // llama.context_length
	Seed    uint64 // seeds the PCG that draws every weight
	Name    string // general.name
}

// DefaultTinyLlama is the model the e2e suite serves: 8 layers, hidden 512,
// FFN 1536, vocab 8192, about 36M parameters (72 MB in F16).
var DefaultTinyLlama = TinyLlamaOptions{Layers: 8, Hidden: 512, FFN: 1536, Vocab: 8192, CtxLen: 4096, Seed: 1, Name: "hypobench-tiny"}

// Vocabulary layout of TinyLlama.
const (
	TokenIDUnk   = 0   // <unk>
	TokenIDBOS   = 1   // <s>
	TokenIDEOS   = 2   // </s>
	firstByteID  = 3   // <0x00> .. <0xFF>
	spaceTokenID = 259 // ▁, SentencePiece's word-boundary space
	// MinVocab is <unk> <s> </s>, 256 byte tokens, ▁ and the 94 printable
	// ASCII characters other than space.
	MinVocab = 3 + 256 + 1 + 94
)

// Weight scales of TinyLlama. The anchor dimension holds anchorScale *
// sqrt(Hidden) in every token embedding; the other embedding entries are
// standard normal, so after any RMSNorm the anchor keeps about
// 16/17 of the squared norm; the output matrix weighs it ±outAnchor.
const (
	anchorScale = 4
	embedStd    = 1
	weightStd   = 0.02
	outAnchor   = 1
	rmsEps      = 1e-5
	ropeBase    = 10000
)

// Printable reports whether token id of a TinyLlama vocabulary is one the
// model favours: ▁ or a printable ASCII character.
func Printable(id int) bool { return id >= spaceTokenID && id < MinVocab }

// AnchorDim returns the residual dimension TinyLlama reserves for the
// anchor constant: the last one.
func AnchorDim(hidden int) int { return hidden - 1 }

func (o TinyLlamaOptions) withDefaults() TinyLlamaOptions {
	d := DefaultTinyLlama
	if o.Layers == 0 {
		o.Layers = d.Layers
	}
	if o.Hidden == 0 {
		o.Hidden = d.Hidden
	}
	if o.FFN == 0 {
		o.FFN = d.FFN
	}
	if o.Vocab == 0 {
		o.Vocab = d.Vocab
	}
	if o.Heads == 0 {
		o.Heads = max(1, o.Hidden/64)
	}
	if o.KVHeads == 0 {
		o.KVHeads = o.Heads
	}
	if o.CtxLen == 0 {
		o.CtxLen = d.CtxLen
	}
	if o.Name == "" {
		o.Name = d.Name
	}
	return o
}

func (o TinyLlamaOptions) validate() error {
	switch {
	case o.Layers < 1 || o.FFN < 1 || o.CtxLen < 1:
		return fmt.Errorf("gguf: tiny llama needs layers, ffn and ctx len >= 1, got %d, %d, %d", o.Layers, o.FFN, o.CtxLen)
	case o.Hidden < 4:
		return fmt.Errorf("gguf: tiny llama hidden %d < 4", o.Hidden)
	case o.Vocab < MinVocab:
		return fmt.Errorf("gguf: tiny llama vocab %d < %d", o.Vocab, MinVocab)
	case o.Heads < 1 || o.Hidden%o.Heads != 0 || (o.Hidden/o.Heads)%2 != 0:
		return fmt.Errorf("gguf: hidden %d must split into %d heads of even size", o.Hidden, o.Heads)
	case o.KVHeads < 1 || o.Heads%o.KVHeads != 0:
		return fmt.Errorf("gguf: %d heads must be a multiple of %d kv heads", o.Heads, o.KVHeads)
	}
	return nil
}

// Vocabulary returns the tokens, SentencePiece scores and token types of
// a TinyLlama vocabulary of size n (n >= MinVocab).
func Vocabulary(n int) (tokens []string, scores []float32, types []int32) {
	add := func(s string, score float32, typ int32) {
		tokens = append(tokens, s)
		scores = append(scores, score)
		types = append(types, typ)
	}
	add("<unk>", 0, TokenUnknown)
	add("<s>", 0, TokenControl)
	add("</s>", 0, TokenControl)
	for b := range 256 {
		add(fmt.Sprintf("<0x%02X>", b), 0, TokenByte)
	}
	add("▁", -1, TokenNormal)
	for c := byte('!'); c <= '~'; c++ {
		add(string(c), -float32(len(tokens)), TokenNormal)
	}
	// Padding no text tokenizes to: unused tokens are never matched as
	// special tokens, and no two-character piece exists for the
	// SentencePiece merges to build them from.
	for i := 0; len(tokens) < n; i++ {
		add(fmt.Sprintf("<unused%d>", i), -1e9, TokenUnused)
	}
	return tokens, scores, types
}

// matrix draws a rows×cols F16 matrix (Dims {cols, rows}: row r is the
// weights of output r) with entries N(0, std²), then lets fix adjust each
// row before encoding.
func matrix(r *rand.Rand, name string, rows, cols int, std float64, fix func(row int, w []float32)) Tensor {
	data := make([]byte, 2*rows*cols)
	w := make([]float32, cols)
	for i := range rows {
		for j := range w {
			w[j] = float32(r.NormFloat64() * std)
		}
		if fix != nil {
			fix(i, w)
		}
		for j, v := range w {
			binary.LittleEndian.PutUint16(data[2*(i*cols+j):], F16Bits(v))
		}
	}
	return Tensor{Name: name, Dims: []uint64{uint64(cols), uint64(rows)}, Type: GGMLTypeF16, Data: data}
}

// vector builds a 1-D F32 tensor (norm weights are F32 in llama.cpp files).
func vector(name string, v []float32) Tensor {
	data := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(x))
	}
	return Tensor{Name: name, Dims: []uint64{uint64(len(v))}, Type: GGMLTypeF32, Data: data}
}

// TinyLlama builds a llama-architecture GGUF model with random F16 weights
// drawn from o.Seed, which llama.cpp and Ollama load as they would any
// llama model, and which can never emit EOS (see the package comment).
func TinyLlama(o TinyLlamaOptions) (*File, error) {
	o = o.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(o.Seed, 0x9e3779b97f4a7c15))
	n, anchor := o.Hidden, AnchorDim(o.Hidden)
	headDim := n / o.Heads
	kvDim := headDim * o.KVHeads
	tokens, scores, types := Vocabulary(o.Vocab)

	f := &File{KV: []KV{
		{"general.architecture", "llama"},
		{"general.name", o.Name},
		{"general.alignment", uint32(DefaultAlignment)},
		{"general.file_type", uint32(1)}, // LLAMA_FTYPE_MOSTLY_F16
		{"llama.context_length", uint32(o.CtxLen)},
		{"llama.embedding_length", uint32(n)},
		{"llama.block_count", uint32(o.Layers)},
		{"llama.feed_forward_length", uint32(o.FFN)},
		{"llama.attention.head_count", uint32(o.Heads)},
		{"llama.attention.head_count_kv", uint32(o.KVHeads)},
		{"llama.rope.dimension_count", uint32(headDim)},
		{"llama.rope.freq_base", float32(ropeBase)},
		{"llama.attention.layer_norm_rms_epsilon", float32(rmsEps)},
		{"llama.vocab_size", uint32(o.Vocab)},
		{"tokenizer.ggml.model", "llama"},
		{"tokenizer.ggml.tokens", tokens},
		{"tokenizer.ggml.scores", scores},
		{"tokenizer.ggml.token_type", types},
		{"tokenizer.ggml.bos_token_id", uint32(TokenIDBOS)},
		{"tokenizer.ggml.eos_token_id", uint32(TokenIDEOS)},
		{"tokenizer.ggml.unknown_token_id", uint32(TokenIDUnk)},
		{"tokenizer.ggml.add_bos_token", true},
		{"tokenizer.ggml.add_eos_token", false},
	}}

	anchorValue := float32(anchorScale * math.Sqrt(float64(n)))
	f.Tensors = append(f.Tensors, matrix(r, "token_embd.weight", o.Vocab, n, embedStd, func(_ int, w []float32) {
		w[anchor] = anchorValue
	}))
	// Layers neither read the anchor (norm weight 0) nor write it (zero
	// output rows), so it reaches the final norm unchanged.
	normW := make([]float32, n)
	for i := range normW {
		normW[i] = 1
	}
	normW[anchor] = 0
	zeroAnchorRow := func(row int, w []float32) {
		if row == anchor {
			clear(w)
		}
	}
	for l := range o.Layers {
		p := fmt.Sprintf("blk.%d.", l)
		f.Tensors = append(f.Tensors,
			vector(p+"attn_norm.weight", normW),
			matrix(r, p+"attn_q.weight", n, n, weightStd, nil),
			matrix(r, p+"attn_k.weight", kvDim, n, weightStd, nil),
			matrix(r, p+"attn_v.weight", kvDim, n, weightStd, nil),
			matrix(r, p+"attn_output.weight", n, n, weightStd, zeroAnchorRow),
			vector(p+"ffn_norm.weight", normW),
			matrix(r, p+"ffn_gate.weight", o.FFN, n, weightStd, nil),
			matrix(r, p+"ffn_up.weight", o.FFN, n, weightStd, nil),
			matrix(r, p+"ffn_down.weight", n, o.FFN, weightStd, zeroAnchorRow),
		)
	}
	ones := make([]float32, n)
	for i := range ones {
		ones[i] = 1
	}
	f.Tensors = append(f.Tensors,
		vector("output_norm.weight", ones),
		matrix(r, "output.weight", o.Vocab, n, weightStd, func(tok int, w []float32) {
			if Printable(tok) {
				w[anchor] = outAnchor
			} else {
				w[anchor] = -outAnchor
			}
		}),
	)
	return f, nil
}
