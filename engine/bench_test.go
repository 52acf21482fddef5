package engine

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkSimulate measures how many requests per second the
// virtual-time core simulates: the seed's tiny suite mix (prompts of 40 or
// 400 repetitions, 8 or 512 output tokens) at concurrency 16.
func BenchmarkSimulate(b *testing.B) {
	profiles := []SimRequest{
		{PromptTokens: 45, MaxTokens: 8}, {PromptTokens: 45, MaxTokens: 512},
		{PromptTokens: 405, MaxTokens: 8}, {PromptTokens: 405, MaxTokens: 512},
	}
	reqs := make([]SimRequest, 1000)
	for i := range reqs {
		reqs[i] = profiles[i/250]
		reqs[i].IgnoreEOS = true
		reqs[i].Key = uint64(i)
	}
	b.ReportAllocs()
	var virtual time.Duration
	for b.Loop() {
		_, st, err := Simulate(Config{}, reqs, 16)
		if err != nil {
			b.Fatal(err)
		}
		virtual += st.Duration
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(len(reqs)*b.N)/sec, "sim-req/s")
	b.ReportMetric(virtual.Seconds()/sec, "virtual-s/s")
}

// BenchmarkRealtimeLoop measures the real-time loop's step-time error
// with n sequences decoding at once (each drained by its own goroutine,
// as HTTP handlers would): (wall time of b.N steps) / (their modelled
// time / speed) − 1, in percent. One iteration is one step. The largest
// n whose error stays under 2% is what the loop sustains at that speed.
func BenchmarkRealtimeLoop(b *testing.B) {
	for _, speed := range []float64{1, 10, 100, 1000} {
		for _, n := range []int{16, 64, 256, 1024, 4096} {
			b.Run(fmt.Sprintf("speed=%g/seqs=%d", speed, n), func(b *testing.B) {
				benchLoop(b, speed, n)
			})
		}
	}
}

func benchLoop(b *testing.B, speed float64, n int) {
	const maxTokens = 1 << 20 // never finish within a benchmark
	cfg := Config{Speed: speed, MaxNumSeqs: n, MaxNumBatchedTokens: max(2048, n), MaxModelLen: maxTokens + 16,
		NumGPUBlocksOverride: n*((maxTokens+16)/BlockSize) + 16}
	cfg, info, err := cfg.resolve()
	if err != nil {
		b.Fatal(err)
	}
	s := newServer(cfg, info, systemClock{})
	ctx, cancel := context.WithCancel(context.Background())
	defer func() {
		cancel()
		<-s.loop.done
	}()
	warmup := 1 + (n*16+cfg.MaxNumBatchedTokens-1)/cfg.MaxNumBatchedTokens // prefill steps
	type sample struct {
		start, end time.Time
		model      time.Duration
	}
	steps := make(chan sample, 1<<16)
	s.loop.onStep = func(res stepResult, planned, actual time.Time) {
		steps <- sample{start: s.loop.wall(res.Start), end: actual, model: res.Dur}
	}
	for range n {
		st := newStream(coreRequest{PromptTokens: 16, MaxTokens: maxTokens, IgnoreEOS: true})
		go func() {
			for {
				select {
				case <-st.notify:
					st.take()
				case <-ctx.Done():
					return
				}
			}
		}()
		if err := s.loop.submit(ctx, st); err != nil {
			b.Fatal(err)
		}
	}
	go s.loop.run(ctx)
	next := func() sample {
		select {
		case sm := <-steps:
			return sm
		case <-time.After(time.Minute): // a hang guard
			b.Fatal("the loop made no step for a minute")
			return sample{}
		}
	}
	for range warmup {
		next()
	}
	b.ResetTimer()
	var first, last sample
	var model time.Duration
	for i := range b.N {
		sm := next()
		if i == 0 {
			first = sm
		}
		last = sm
		model += sm.model
	}
	b.StopTimer()
	wall := last.end.Sub(first.start)
	want := time.Duration(float64(model) / speed)
	b.ReportMetric(100*(float64(wall)/float64(want)-1), "step-err-%")
	b.ReportMetric(float64(want.Microseconds())/float64(b.N), "model-µs/step")
}
