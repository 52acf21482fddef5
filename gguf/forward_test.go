package gguf

import (
	"encoding/binary"
	"fmt"
	"math"
	"testing"
)

// refModel is a plain-Go llama forward pass over a TinyLlama file, written
// for the tests only: it follows llama.cpp's llama graph (RMSNorm, RoPE in
// NORM mode on adjacent pairs, grouped-query causal attention, SwiGLU) so
// the tests can check that the weights make EOS unreachable.
type refModel struct {
	o                 TinyLlamaOptions
	embd, out         [][]float32
	outNorm           []float32
	layers            []refLayer
	headDim, kvPerGrp int
}

type refLayer struct {
	attnNorm, ffnNorm          []float32
	wq, wk, wv, wo, wg, wu, wd [][]float32
}

// decodeMatrix returns t's rows (Dims[1] rows of Dims[0] elements).
func decodeMatrix(t *testing.T, f *File, name string) [][]float32 {
	t.Helper()
	x := f.Tensor(name)
	if x == nil || x.Type != GGMLTypeF16 || len(x.Dims) != 2 {
		t.Fatalf("tensor %s missing or not a 2-D F16 matrix", name)
	}
	cols, rows := int(x.Dims[0]), int(x.Dims[1])
	m := make([][]float32, rows)
	for r := range m {
		m[r] = make([]float32, cols)
		for c := range m[r] {
			m[r][c] = F16Float32(binary.LittleEndian.Uint16(x.Data[2*(r*cols+c):]))
		}
	}
	return m
}

func decodeVector(t *testing.T, f *File, name string) []float32 {
	t.Helper()
	x := f.Tensor(name)
	if x == nil || x.Type != GGMLTypeF32 || len(x.Dims) != 1 {
		t.Fatalf("tensor %s missing or not a 1-D F32 vector", name)
	}
	v := make([]float32, x.Dims[0])
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(x.Data[4*i:]))
	}
	return v
}

func newRefModel(t *testing.T, f *File, o TinyLlamaOptions) *refModel {
	t.Helper()
	o = o.withDefaults()
	m := &refModel{
		o: o, headDim: o.Hidden / o.Heads, kvPerGrp: o.Heads / o.KVHeads,
		embd: decodeMatrix(t, f, "token_embd.weight"), out: decodeMatrix(t, f, "output.weight"),
		outNorm: decodeVector(t, f, "output_norm.weight"),
	}
	for l := range o.Layers {
		p := fmt.Sprintf("blk.%d.", l)
		m.layers = append(m.layers, refLayer{
			attnNorm: decodeVector(t, f, p+"attn_norm.weight"), ffnNorm: decodeVector(t, f, p+"ffn_norm.weight"),
			wq: decodeMatrix(t, f, p+"attn_q.weight"), wk: decodeMatrix(t, f, p+"attn_k.weight"),
			wv: decodeMatrix(t, f, p+"attn_v.weight"), wo: decodeMatrix(t, f, p+"attn_output.weight"),
			wg: decodeMatrix(t, f, p+"ffn_gate.weight"), wu: decodeMatrix(t, f, p+"ffn_up.weight"),
			wd: decodeMatrix(t, f, p+"ffn_down.weight"),
		})
	}
	return m
}

func matVec(w [][]float32, x []float32) []float32 {
	y := make([]float32, len(w))
	for r, row := range w {
		var s float64
		for c, v := range row {
			s += float64(v) * float64(x[c])
		}
		y[r] = float32(s)
	}
	return y
}

func rmsNorm(x, w []float32) []float32 {
	var ss float64
	for _, v := range x {
		ss += float64(v) * float64(v)
	}
	scale := 1 / math.Sqrt(ss/float64(len(x))+rmsEps)
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(float64(v)*scale) * w[i]
	}
	return y
}

// rope rotates adjacent pairs of each head of v in place, as llama.cpp's
// NORM rope mode does.
func rope(v []float32, headDim, pos int) {
	for h := 0; h < len(v); h += headDim {
		for i := 0; i < headDim; i += 2 {
			theta := float64(pos) * math.Pow(ropeBase, -float64(i)/float64(headDim))
			s, c := math.Sincos(theta)
			a, b := float64(v[h+i]), float64(v[h+i+1])
			v[h+i], v[h+i+1] = float32(a*c-b*s), float32(a*s+b*c)
		}
	}
}

// forward returns the logits after every position of tokens and the
// residual stream's final values (before the output norm).
func (m *refModel) forward(tokens []int) (logits, resid [][]float32) {
	n, hd := m.o.Hidden, m.headDim
	xs := make([][]float32, len(tokens))
	for i, tok := range tokens {
		xs[i] = append([]float32(nil), m.embd[tok]...)
	}
	for _, l := range m.layers {
		var ks, vs [][]float32
		for pos, x := range xs {
			xn := rmsNorm(x, l.attnNorm)
			q, k, v := matVec(l.wq, xn), matVec(l.wk, xn), matVec(l.wv, xn)
			rope(q, hd, pos)
			rope(k, hd, pos)
			ks, vs = append(ks, k), append(vs, v)
			att := make([]float32, n)
			for h := range m.o.Heads {
				kvh := h / m.kvPerGrp
				scores := make([]float64, pos+1)
				maxS := math.Inf(-1)
				for j := range scores {
					var s float64
					for d := range hd {
						s += float64(q[h*hd+d]) * float64(ks[j][kvh*hd+d])
					}
					scores[j] = s / math.Sqrt(float64(hd))
					maxS = math.Max(maxS, scores[j])
				}
				var z float64
				for j := range scores {
					scores[j] = math.Exp(scores[j] - maxS)
					z += scores[j]
				}
				for j, p := range scores {
					for d := range hd {
						att[h*hd+d] += float32(p / z * float64(vs[j][kvh*hd+d]))
					}
				}
			}
			for i, v := range matVec(l.wo, att) {
				x[i] += v
			}
		}
		for _, x := range xs {
			xn := rmsNorm(x, l.ffnNorm)
			g, u := matVec(l.wg, xn), matVec(l.wu, xn)
			for i := range g {
				g[i] = g[i] / (1 + float32(math.Exp(-float64(g[i])))) * u[i]
			}
			for i, v := range matVec(l.wd, g) {
				x[i] += v
			}
		}
	}
	for _, x := range xs {
		logits = append(logits, matVec(m.out, rmsNorm(x, m.outNorm)))
	}
	return logits, xs
}

// margin returns the lowest logit of a printable token minus the highest
// logit of any other token.
func margin(logits []float32) float64 {
	minP, maxQ := math.Inf(1), math.Inf(-1)
	for id, v := range logits {
		if Printable(id) {
			minP = math.Min(minP, float64(v))
		} else {
			maxQ = math.Max(maxQ, float64(v))
		}
	}
	return minP - maxQ
}
