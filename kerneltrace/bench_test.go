package kerneltrace

import (
	"bytes"
	"context"
	"fmt"
	"testing"
)

// bigKineto renders n kernels (and as many CPU ops, which the reader must
// skip) as an uncompressed kineto trace.
func bigKineto(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"schemaVersion":1,"baseTimeNanoseconds":1767225600000000000,"traceEvents":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"ph":"X","cat":"cpu_op","name":"aten::mm","pid":1,"tid":1,"ts":%d.250,"dur":3.5,"args":{"External id":%d}},`, i*10, i)
		fmt.Fprintf(&b, `{"ph":"X","cat":"kernel","name":"sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n","pid":0,"tid":7,"ts":%d.125,"dur":4.75,"args":{"device":0,"stream":7,"correlation":%d,"grid":[132,1,1]}}`, i*10, i)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// BenchmarkReadKineto measures the streaming JSON reader: MB/s of trace
// text and allocations per trace of 100k kernels.
func BenchmarkReadKineto(b *testing.B) {
	in := bigKineto(100_000)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		tr, err := ReadKineto(context.Background(), bytes.NewReader(in), "bench.json")
		if err != nil || len(tr.Events) != 100_000 {
			b.Fatal(err)
		}
	}
}

// BenchmarkAnalyze measures Analyze on the fixture's timeline (the H4
// bootstrap on top of it is hypotheses.BenchmarkH4Trace).
func BenchmarkAnalyze(b *testing.B) {
	s := genSynth(fixtureSeed, false)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Analyze(s.trace(), s.phases, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
