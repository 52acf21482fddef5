package openai

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportRates reports events per wall second and per CPU second: on a
// shared machine the second is what one core of this process parses.
func reportRates(b *testing.B, events int, cpu0 time.Duration) {
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(events)/cpu.Seconds(), "events/cpu-s")
	}
}

// vllmStream returns n vLLM-style completions events, a usage event and
// [DONE].
func vllmStream(n int) []byte {
	var b bytes.Buffer
	for k := 0; k < n; k++ {
		fmt.Fprintf(&b, `data: {"id":"cmpl-1b2c3d4e5f","object":"text_completion","created":1795888020,"model":"Qwen/Qwen2.5-7B-Instruct","choices":[{"index":0,"text":" word%d","logprobs":null,"finish_reason":null,"stop_reason":null}]}`+"\n\n", k)
	}
	b.WriteString(`data: {"id":"cmpl-1b2c3d4e5f","object":"text_completion","created":1795888020,"model":"Qwen/Qwen2.5-7B-Instruct","choices":[],"usage":{"prompt_tokens":40,"completion_tokens":512,"total_tokens":552}}` + "\n\n")
	b.WriteString("data: [DONE]\n\n")
	return b.Bytes()
}

// BenchmarkParse measures the SSE parser alone: events/s one core splits
// out of a vLLM-style stream read in 4 KiB pieces.
//
//	go test ./openai -run '^$' -bench 'Parse' -cpu 1
func BenchmarkParse(b *testing.B) {
	data := vllmStream(512)
	events := 514
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		p := NewParser(&chunkReader{b: data, n: 4096}, 0)
		for {
			if _, err := p.Next(); err != nil {
				if err != io.EOF {
					b.Fatal(err)
				}
				break
			}
		}
	}
	reportRates(b, events*b.N, cpu0)
}

// BenchmarkParseDecode measures the client's whole per-event path (SSE
// parsing, JSON decoding, timing bookkeeping): events/s on one core.
func BenchmarkParseDecode(b *testing.B) {
	data := vllmStream(512)
	events := 514
	c := &Client{}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		res := &Result{T0: time.Now()}
		c.readStream(context.Background(), res, &chunkReader{b: data, n: 4096}, 512)
		if !res.OK() || len(res.Content) != 512 {
			b.Fatalf("%s %s %d", res.ErrorClass, res.Error, len(res.Content))
		}
	}
	reportRates(b, events*b.N, cpu0)
}
