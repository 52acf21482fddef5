package gguf

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestVocabulary(t *testing.T) {
	tokens, scores, types := Vocabulary(400)
	if len(tokens) != 400 || len(scores) != 400 || len(types) != 400 {
		t.Fatalf("lengths %d/%d/%d, want 400", len(tokens), len(scores), len(types))
	}
	fixed := map[int]string{TokenIDUnk: "<unk>", TokenIDBOS: "<s>", TokenIDEOS: "</s>", 3: "<0x00>", 13: "<0x0A>", 258: "<0xFF>", 259: "▁", 260: "!", MinVocab - 1: "~", MinVocab: "<unused0>"}
	for id, want := range fixed {
		if tokens[id] != want {
			t.Errorf("token %d = %q, want %q", id, tokens[id], want)
		}
	}
	seen := map[string]int{}
	for id, s := range tokens {
		if prev, dup := seen[s]; dup {
			t.Errorf("token %q at %d and %d", s, prev, id)
		}
		seen[s] = id
		if types[id] == TokenNormal != Printable(id) {
			t.Errorf("token %d %q has type %d but Printable=%v", id, s, types[id], Printable(id))
		}
	}
	for c := byte(' ' + 1); c <= '~'; c++ {
		if id, ok := seen[string(c)]; !ok || !Printable(id) {
			t.Errorf("printable %q has no printable token", c)
		}
	}
}

// llamaTensors lists what llama.cpp's LLM_ARCH_LLAMA loader creates
// (llama-model.cpp), with dims in ggml ne[] order.
func llamaTensors(o TinyLlamaOptions) map[string][]uint64 {
	n, ff, v := uint64(o.Hidden), uint64(o.FFN), uint64(o.Vocab)
	kv := n / uint64(o.Heads) * uint64(o.KVHeads)
	m := map[string][]uint64{
		"token_embd.weight":  {n, v},
		"output_norm.weight": {n},
		"output.weight":      {n, v},
	}
	for l := range o.Layers {
		p := fmt.Sprintf("blk.%d.", l)
		m[p+"attn_norm.weight"] = []uint64{n}
		m[p+"attn_q.weight"] = []uint64{n, n}
		m[p+"attn_k.weight"] = []uint64{n, kv}
		m[p+"attn_v.weight"] = []uint64{n, kv}
		m[p+"attn_output.weight"] = []uint64{n, n}
		m[p+"ffn_norm.weight"] = []uint64{n}
		m[p+"ffn_gate.weight"] = []uint64{n, ff}
		m[p+"ffn_up.weight"] = []uint64{n, ff}
		m[p+"ffn_down.weight"] = []uint64{ff, n}
	}
	return m
}

func TestTinyLlamaFile(t *testing.T) {
	o := TinyLlamaOptions{Layers: 2, Hidden: 64, FFN: 96, Vocab: 400, Heads: 4, KVHeads: 2, CtxLen: 512, Seed: 7, Name: "t"}
	f, err := TinyLlama(o)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	h, err := ReadHeader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("reading back: %v", err)
	}
	wantKV := map[string]any{
		"general.architecture":                   "llama",
		"general.name":                           "t",
		"general.alignment":                      uint32(32),
		"llama.context_length":                   uint32(512),
		"llama.embedding_length":                 uint32(64),
		"llama.block_count":                      uint32(2),
		"llama.feed_forward_length":              uint32(96),
		"llama.attention.head_count":             uint32(4),
		"llama.attention.head_count_kv":          uint32(2),
		"llama.rope.dimension_count":             uint32(16),
		"llama.attention.layer_norm_rms_epsilon": float32(1e-5),
		"tokenizer.ggml.model":                   "llama",
		"tokenizer.ggml.bos_token_id":            uint32(1),
		"tokenizer.ggml.eos_token_id":            uint32(2),
	}
	for k, want := range wantKV {
		if got, ok := h.Get(k); !ok || got != want {
			t.Errorf("%s = %T %v, want %T %v", k, got, got, want, want)
		}
	}
	for _, k := range []string{"tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type"} {
		v, _ := h.Get(k)
		var n int
		switch x := v.(type) {
		case []string:
			n = len(x)
		case []float32:
			n = len(x)
		case []int32:
			n = len(x)
		}
		if n != o.Vocab {
			t.Errorf("%s has %d entries (%T), want %d", k, n, v, o.Vocab)
		}
	}
	want := llamaTensors(o)
	if len(h.Tensors) != len(want) {
		t.Errorf("%d tensors, want %d", len(h.Tensors), len(want))
	}
	for _, ti := range h.Tensors {
		dims, ok := want[ti.Name]
		if !ok {
			t.Errorf("unexpected tensor %s", ti.Name)
			continue
		}
		if fmt.Sprint(ti.Dims) != fmt.Sprint(dims) {
			t.Errorf("%s dims %v, want %v", ti.Name, ti.Dims, dims)
		}
		wantType := GGMLTypeF16
		if len(dims) == 1 {
			wantType = GGMLTypeF32
		}
		if ti.Type != wantType {
			t.Errorf("%s type %v, want %v", ti.Name, ti.Type, wantType)
		}
	}
}

func TestTinyLlamaDeterministic(t *testing.T) {
	o := TinyLlamaOptions{Layers: 1, Hidden: 32, FFN: 32, Vocab: MinVocab, Heads: 2}
	enc := func(seed uint64) []byte {
		o.Seed = seed
		f, err := TinyLlama(o)
		if err != nil {
			t.Fatal(err)
		}
		return encode(t, f)
	}
	if !bytes.Equal(enc(1), enc(1)) {
		t.Error("same seed gave different files")
	}
	if bytes.Equal(enc(1), enc(2)) {
		t.Error("different seeds gave the same file")
	}
}

func TestTinyLlamaOptionErrors(t *testing.T) {
	tests := []struct {
		name string
		o    TinyLlamaOptions
		want string
	}{
		{"small vocab", TinyLlamaOptions{Vocab: 100}, "vocab"},
		{"heads do not divide hidden", TinyLlamaOptions{Hidden: 96, Heads: 5}, "heads"},
		{"odd head size", TinyLlamaOptions{Hidden: 36, Heads: 4}, "even"},
		{"kv heads", TinyLlamaOptions{Hidden: 64, Heads: 4, KVHeads: 3}, "kv heads"},
		{"negative layers", TinyLlamaOptions{Layers: -1}, "layers"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := TinyLlama(tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("TinyLlama error = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

// TestNeverEmitsEOS runs the reference forward pass over random token
// sequences (any token, EOS and bytes included) and checks, at every
// position, that every printable token out-scores EOS and every other
// non-printable token by a wide margin, and that no layer moved the anchor.
func TestNeverEmitsEOS(t *testing.T) {
	tests := []TinyLlamaOptions{
		{Layers: 2, Hidden: 64, FFN: 128, Vocab: 400, Heads: 4, KVHeads: 2, Seed: 1},
		{Layers: 3, Hidden: 128, FFN: 256, Vocab: 512, Heads: 2, Seed: 2},
	}
	for _, o := range tests {
		t.Run(fmt.Sprintf("h%d_l%d", o.Hidden, o.Layers), func(t *testing.T) {
			f, err := TinyLlama(o)
			if err != nil {
				t.Fatal(err)
			}
			m := newRefModel(t, f, o)
			anchor := AnchorDim(o.Hidden)
			r := rand.New(rand.NewPCG(o.Seed, 3))
			worst := math.Inf(1)
			for range 3 {
				toks := []int{TokenIDBOS}
				for range 24 {
					toks = append(toks, r.IntN(o.Vocab))
				}
				toks = append(toks, TokenIDEOS, firstByteID, MinVocab)
				logits, resid := m.forward(toks)
				for pos := range toks {
					if got, want := resid[pos][anchor], m.embd[toks[pos]][anchor]; got != want {
						t.Fatalf("position %d: anchor %g after the layers, embedding had %g", pos, got, want)
					}
					worst = math.Min(worst, margin(logits[pos]))
				}
			}
			// A margin of 10 makes EOS at most e^-10 as likely as one
			// printable token even at temperature 1.
			if worst < 10 {
				t.Errorf("smallest printable-over-rest logit margin %.2f, want >= 10", worst)
			}
			t.Logf("smallest margin %.1f logits", worst)
		})
	}
}

// TestEmbeddingPathMargin bounds the margin analytically for the default
// model on the embedding-only path (each token's embedding through the
// final RMSNorm and output matrix): with h = rmsnorm(e), h_a the anchor and
// ‖h‖² ≤ n, for printable p and any other q,
// logit_p - logit_q ≥ 2·h_a - (‖w_p'‖ + ‖w_q'‖)·sqrt(n - h_a²),
// where w' is an output row without its anchor weight.
func TestEmbeddingPathMargin(t *testing.T) {
	o := DefaultTinyLlama
	if testing.Short() {
		o.Layers = 1
	}
	f, err := TinyLlama(o)
	if err != nil {
		t.Fatal(err)
	}
	n, anchor := o.Hidden, AnchorDim(o.Hidden)
	row := func(name string, i int) []float32 {
		x := f.Tensor(name)
		w := make([]float32, n)
		for j := range w {
			w[j] = F16Float32(binary.LittleEndian.Uint16(x.Data[2*(i*n+j):]))
		}
		return w
	}
	minAnchor := math.Inf(1)
	for tok := range o.Vocab {
		e := row("token_embd.weight", tok)
		var ss float64
		for _, v := range e {
			ss += float64(v) * float64(v)
		}
		minAnchor = math.Min(minAnchor, float64(e[anchor])/math.Sqrt(ss/float64(n)+rmsEps))
	}
	var maxP, maxQ float64
	for tok := range o.Vocab {
		w := row("output.weight", tok)
		if want := float32(-outAnchor); Printable(tok) {
			if w[anchor] != outAnchor {
				t.Fatalf("printable token %d has anchor weight %g", tok, w[anchor])
			}
		} else if w[anchor] != want {
			t.Fatalf("token %d has anchor weight %g, want %g", tok, w[anchor], want)
		}
		var ss float64
		for j, v := range w {
			if j != anchor {
				ss += float64(v) * float64(v)
			}
		}
		if Printable(tok) {
			maxP = math.Max(maxP, math.Sqrt(ss))
		} else {
			maxQ = math.Max(maxQ, math.Sqrt(ss))
		}
	}
	bound := 2*outAnchor*minAnchor - (maxP+maxQ)*math.Sqrt(float64(n)-minAnchor*minAnchor)
	t.Logf("normalised anchor >= %.2f of sqrt(n)=%.2f; margin >= %.1f logits", minAnchor, math.Sqrt(float64(n)), bound)
	if bound < 30 {
		t.Errorf("embedding-path margin bound %.1f logits, want >= 30", bound)
	}
}

// BenchmarkTinyLlama measures building and encoding the default model, the
// cost `make e2e` pays when the cached model is missing.
func BenchmarkTinyLlama(b *testing.B) {
	for b.Loop() {
		f, err := TinyLlama(DefaultTinyLlama)
		if err != nil {
			b.Fatal(err)
		}
		n, err := f.WriteTo(io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(n)
	}
}
