package openai_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hypobench/hypobench/openai"
	"github.com/hypobench/hypobench/openai/openaitest"
)

// BenchmarkOverhead measures the client's own overhead against the stamping
// fake server in the same process: for every content event, the client's
// arrival (t0's wall clock + the monotonic offset) minus the "hb_sent_ns"
// stamp the server took just before writing it. One op is one round of
// `streams` concurrent requests of 16 tokens, 20 ms apart, their starts
// spread over 20 ms, after a warm-up round that opens the connections. It reports the
// overhead's p50 and p99 (nearest rank) in µs, and kept-% = the scheduled
// E2E (TTFT + 15 token delays) summed over requests, over the summed E2E the
// client measured (100 = the schedule was kept; the request's own latency
// keeps it slightly below). Client and server share the CPUs, so on a loaded
// machine the figures include the server's own lag.
//
//	go test ./openai -run '^$' -bench Overhead -benchtime 3x
func BenchmarkOverhead(b *testing.B) {
	for _, streams := range []int{1, 64, 128, 512, 1024, 2048} {
		b.Run(fmt.Sprintf("streams=%d", streams), func(b *testing.B) {
			const tokens, delay = 16, 20 * time.Millisecond
			srv := openaitest.NewServer(openaitest.Config{TTFT: delay, TokenDelay: delay, Stamp: true, NoLog: true})
			defer srv.Close()
			c, err := openai.New(openai.Config{BaseURL: srv.URL})
			if err != nil {
				b.Fatal(err)
			}
			defer c.CloseIdleConnections()
			var (
				mu        sync.Mutex
				lags      []time.Duration
				sched, ok time.Duration
				failed    int
			)
			// Warm-up: open the connections (a run measures after its warm-up).
			var warm sync.WaitGroup
			for s := 0; s < streams; s++ {
				warm.Add(1)
				go func() { defer warm.Done(); c.Do(context.Background(), openai.Request{Prompt: "warm", MaxTokens: 1}) }()
			}
			warm.Wait()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var wg sync.WaitGroup
				for s := 0; s < streams; s++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						// Spread the starts over one token delay, as the
						// streams of a closed loop drift apart; aligned
						// starts would send every token of every stream in
						// one burst.
						time.Sleep(time.Duration(s) * delay / time.Duration(streams))
						res := c.Do(context.Background(), openai.Request{Prompt: "bench", MaxTokens: tokens})
						mu.Lock()
						defer mu.Unlock()
						if !res.OK() || len(res.SentNs) != len(res.Content) || len(res.Content) != tokens {
							failed++
							return
						}
						for k, ns := range res.SentNs {
							lags = append(lags, time.Duration(res.T0.Add(res.Content[k]).UnixNano()-ns))
						}
						sched += delay + (tokens-1)*delay // the server's TTFT + 15 gaps
						ok += res.Content[tokens-1]
					}()
				}
				wg.Wait()
			}
			b.StopTimer()
			if failed > 0 {
				b.Errorf("%d requests failed", failed)
			}
			if len(lags) == 0 {
				return
			}
			slices.Sort(lags)
			q := func(p float64) float64 {
				i := int(p*float64(len(lags))+0.5) - 1
				return float64(lags[max(0, min(i, len(lags)-1))]) / 1e3
			}
			b.ReportMetric(q(0.50), "p50-µs")
			b.ReportMetric(q(0.99), "p99-µs")
			b.ReportMetric(100*float64(sched)/float64(ok), "kept-%")
		})
	}
}
