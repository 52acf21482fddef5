package hypobench_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/openai"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/run"
	"github.com/hypobench/hypobench/stats"
	"github.com/hypobench/hypobench/workload"
)

// Defaults of BenchmarkServe when the HYPOBENCH_* variables are unset: the
// tiny suite at two concurrency levels on the embedded engine compressed
// 20×, so `go test -bench . -run '^$'` finishes in about a minute.
const (
	benchSuite = "tiny"
	benchSpeed = 20
)

var benchConcurrency = []int{1, 4}

// bench is the target shared by every sub-benchmark: started once, on
// first use, and closed by TestMain.
var bench struct {
	once   sync.Once
	err    error
	env    run.Env
	suite  *workload.Suite
	tgt    *run.Target
	client *openai.Client
	// seq numbers the requests of the whole process, so no two share a
	// nonce (a server with prefix caching would serve a repeat from cache).
	seq atomic.Int64
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bench.tgt != nil {
		bench.tgt.Close()
	}
	os.Exit(code)
}

// benchSetup reads the environment, loads the suite and opens the target:
// HYPOBENCH_TARGET, else the embedded engine (HYPOBENCH_ENGINE, at
// HYPOBENCH_SPEED or benchSpeed).
func benchSetup(b *testing.B) {
	bench.once.Do(func() {
		env, err := run.LoadEnv()
		if err != nil {
			bench.err = err
			return
		}
		if env.Suite == "" {
			env.Suite = benchSuite
		}
		s, err := workload.LoadSuite(env.Suite)
		if err != nil {
			bench.err = fmt.Errorf("loading suite %q: %w", env.Suite, err)
			return
		}
		if len(env.Concurrency) > 0 {
			s.Concurrency = env.Concurrency
		} else if env.Suite == benchSuite {
			s.Concurrency = benchConcurrency
		}
		if env.Endpoint != "" {
			s.Endpoint = env.Endpoint
		}
		var ec *engine.Config
		if env.Target == "" {
			c := engine.DefaultConfig
			c.Speed = benchSpeed
			if env.Speed > 0 {
				c.Speed = env.Speed
			}
			if env.Engine != "" {
				c.Spec = env.Engine
			}
			c.Seed = env.Seed
			ec = &c
		}
		tgt, err := run.OpenTarget(context.Background(), env, ec)
		if err != nil {
			bench.err = err
			return
		}
		bench.env, bench.suite, bench.tgt, bench.client = env, s, tgt, tgt.Client
	})
	if bench.err != nil {
		b.Fatalf("BenchmarkServe setup: %v", bench.err)
	}
}

// BenchmarkServe drives the target with the suite's workload: one
// sub-benchmark per concurrency level × profile, named
// BenchmarkServe/<suite>/<profile>/c=<level>, in the suite's phase order.
//
// One op is one request. b.N requests are sent closed-loop by c workers
// (each sends its next request as soon as its previous one ends), after an
// unmeasured warm-up of c requests that opens the connections; the timer
// covers the b.N requests only. (b.Loop and b.RunParallel do not fit: the
// concurrency is the workload's, not GOMAXPROCS's.) ns/op is therefore
// the wall time per request at that concurrency, the inverse of req/s;
// it is kept because it is what benchstat compares by default and it is
// honest. The custom metrics, over the b.N measured requests:
//
//	ttft-p50-ms, ttft-p90-ms  TTFT (first event with choices − t0) quantiles
//	tpot-ms                   median TPOT, (E2E − TTFT)/(N − 1), N ≥ 2
//	e2e-p50-ms                median E2E (last content event − t0)
//	out-tok/s                 output tokens (usage, else counted chunks) / wall time
//	req/s                     b.N / wall time
//	err-%                     failed requests / b.N × 100
//
// Quantiles are stats.QuantileDefinition over successful requests. Use
// -benchtime Nx (for example 20x) so every sub-benchmark sends the same
// number of requests, and -count for benchstat's repetitions.
func BenchmarkServe(b *testing.B) {
	benchSetup(b)
	s := bench.suite
	for _, c := range s.Concurrency {
		for _, p := range s.Profiles {
			b.Run(fmt.Sprintf("%s/%s/c=%d", s.Name, p.Name, c), func(b *testing.B) { serve(b, p, c) })
		}
	}
}

// serve runs one sub-benchmark: warm-up, then b.N requests by c workers.
func serve(b *testing.B, p workload.Profile, c int) {
	ctx := b.Context()
	do := func() *openai.Result {
		n := int(bench.seq.Add(1))
		return bench.client.Do(ctx, openai.Request{
			Endpoint:     bench.suite.Endpoint,
			Model:        bench.tgt.Model,
			Prompt:       bench.suite.Prompt(p, workload.Nonce(bench.suite.Seed, n)),
			MaxTokens:    p.MaxTokens,
			IgnoreEOS:    bench.suite.IgnoreEOS,
			IncludeUsage: true,
		})
	}
	closedLoop(c, c, func(int) { do() })

	recs := make([]record.Record, b.N)
	b.ResetTimer()
	start := time.Now()
	closedLoop(b.N, c, func(k int) { do().Fill(&recs[k]) })
	elapsed := time.Since(start)
	b.StopTimer()
	report(b, recs, elapsed)
}

// closedLoop runs fn(0..n−1) on c workers, each taking the next index as
// soon as its previous call returns.
func closedLoop(n, c int, fn func(k int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(c, n) {
		wg.Go(func() {
			for {
				k := int(next.Add(1)) - 1
				if k >= n {
					return
				}
				fn(k)
			}
		})
	}
	wg.Wait()
}

// report computes the custom metrics of the measured requests.
func report(b *testing.B, recs []record.Record, elapsed time.Duration) {
	var ttft, tpot, e2e []float64
	errs, tokens := 0, 0
	for i := range recs {
		r := &recs[i]
		if !r.OK() {
			errs++
			continue
		}
		tokens += r.N()
		if r.TTFT != nil {
			ttft = append(ttft, *r.TTFT)
		}
		if r.TPOT != nil {
			tpot = append(tpot, *r.TPOT)
		}
		if r.E2E != nil {
			e2e = append(e2e, *r.E2E)
		}
	}
	if errs > 0 && b.N > 0 {
		b.Logf("%d of %d requests failed (first: %s %s)", errs, b.N, firstErr(recs).ErrorClass, firstErr(recs).Error)
	}
	ms := func(xs []float64, q float64) float64 {
		if len(xs) == 0 {
			return 0 // benchstat cannot read NaN; no successful request is err-% = 100
		}
		return stats.Quantile(xs, q) * 1000
	}
	sec := elapsed.Seconds()
	b.ReportMetric(ms(ttft, 0.5), "ttft-p50-ms")
	b.ReportMetric(ms(ttft, 0.9), "ttft-p90-ms")
	b.ReportMetric(ms(tpot, 0.5), "tpot-ms")
	b.ReportMetric(ms(e2e, 0.5), "e2e-p50-ms")
	b.ReportMetric(float64(tokens)/sec, "out-tok/s")
	b.ReportMetric(float64(len(recs))/sec, "req/s")
	b.ReportMetric(100*float64(errs)/float64(max(len(recs), 1)), "err-%")
}

func firstErr(recs []record.Record) record.Record {
	for _, r := range recs {
		if !r.OK() {
			return r
		}
	}
	return record.Record{}
}
