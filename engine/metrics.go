package engine

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Bucket bounds copied from vLLM's vllm/v1/metrics/loggers.py.
var (
	ttftBuckets = []float64{0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5,
		0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0}
	itlBuckets = []float64{0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75,
		1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0}
	requestLatencyBuckets = []float64{0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0,
		40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0}
	iterationTokenBuckets = []float64{1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384}
)

// metrics holds the engine's Prometheus series, named, labelled
// (model_name, engine="0") and bucketed as vLLM V1 does. Times are wall
// seconds: virtual durations divided by the speed factor, so they agree
// with what a client measures.
type metrics struct {
	reg   *prometheus.Registry
	speed float64

	running, waiting, kvUsage prometheus.Gauge
	promptTokens, genTokens   prometheus.Counter
	preemptions               prometheus.Counter
	cacheQueries, cacheHits   prometheus.Counter
	hostStalls                prometheus.Counter
	success                   *prometheus.CounterVec
	ttft, itl, e2e            prometheus.Histogram
	queue, prefill, decode    prometheus.Histogram
	inference                 prometheus.Histogram
	iterationTokens           prometheus.Histogram
}

func newMetrics(model string, speed float64) *metrics {
	reg := prometheus.NewRegistry()
	labels := prometheus.Labels{"model_name": model, "engine": "0"}
	gauge := func(name, help string) prometheus.Gauge {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: labels})
		reg.MustRegister(g)
		return g
	}
	counter := func(name, help string) prometheus.Counter {
		c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels})
		reg.MustRegister(c)
		return c
	}
	hist := func(name, help string, b []float64) prometheus.Histogram {
		h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: b, ConstLabels: labels})
		reg.MustRegister(h)
		return h
	}
	m := &metrics{reg: reg, speed: speed}
	m.running = gauge("vllm:num_requests_running", "Number of requests in model execution batches.")
	m.waiting = gauge("vllm:num_requests_waiting", "Number of requests waiting to be processed.")
	m.kvUsage = gauge("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.")
	m.promptTokens = counter("vllm:prompt_tokens_total", "Number of prefill tokens processed.")
	m.genTokens = counter("vllm:generation_tokens_total", "Number of generation tokens processed.")
	m.preemptions = counter("vllm:num_preemptions_total", "Cumulative number of preemption from the engine.")
	// vLLM V1's counters vllm:prefix_cache_queries and vllm:prefix_cache_hits
	// (prometheus_client adds _total), in tokens.
	m.cacheQueries = counter("vllm:prefix_cache_queries_total", "Prefix cache queries, in terms of number of queried tokens.")
	m.cacheHits = counter("vllm:prefix_cache_hits_total", "Prefix cache hits, in terms of number of cached tokens.")
	// Not vLLM's: the embedded engine's own health (see Server.HostStalls).
	m.hostStalls = counter("hypobench:engine_host_stall_seconds_total",
		"Wall seconds the embedded engine's loop started steps later than it can absorb (a starved host); its timings are the model's only while this stays small.")
	m.success = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vllm:request_success_total",
		Help: "Count of successfully processed requests.", ConstLabels: labels}, []string{"finished_reason"})
	reg.MustRegister(m.success)
	for _, r := range []string{"stop", "length", "abort"} {
		m.success.WithLabelValues(r)
	}
	m.ttft = hist("vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.", ttftBuckets)
	m.itl = hist("vllm:inter_token_latency_seconds", "Histogram of inter-token latency in seconds.", itlBuckets)
	m.e2e = hist("vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.", requestLatencyBuckets)
	m.queue = hist("vllm:request_queue_time_seconds", "Histogram of time spent in WAITING phase for request.", requestLatencyBuckets)
	m.inference = hist("vllm:request_inference_time_seconds", "Histogram of time spent in RUNNING phase for request.", requestLatencyBuckets)
	m.prefill = hist("vllm:request_prefill_time_seconds", "Histogram of time spent in PREFILL phase for request.", requestLatencyBuckets)
	m.decode = hist("vllm:request_decode_time_seconds", "Histogram of time spent in DECODE phase for request.", requestLatencyBuckets)
	m.iterationTokens = hist("vllm:iteration_tokens_total", "Histogram of number of tokens per engine_step.", iterationTokenBuckets)
	return m
}

func (m *metrics) wall(d time.Duration) float64 { return d.Seconds() / m.speed }

// observeStep records one step: gauges as the step leaves them, vLLM's
// iteration stats, and per-token and per-request timings. vLLM's
// definitions: TTFT from arrival to the first token; ITL between
// consecutive tokens; queue time from arrival to first scheduling;
// prefill from first scheduling to the first token; decode from the first
// to the last token; inference from first scheduling to the last token;
// E2E from arrival to the last token.
func (m *metrics) observeStep(res stepResult) {
	m.running.Set(float64(res.Running))
	m.waiting.Set(float64(res.Waiting))
	m.kvUsage.Set(res.KVUsage)
	m.preemptions.Add(float64(res.Preempted))
	m.cacheQueries.Add(float64(res.CacheQueries))
	m.cacheHits.Add(float64(res.CacheHits))
	if len(res.Work) == 0 {
		return
	}
	m.promptTokens.Add(float64(res.PromptTokens))
	m.genTokens.Add(float64(res.GenTokens))
	m.iterationTokens.Observe(float64(res.PromptTokens + res.GenTokens))
	for _, ev := range res.Events {
		s := ev.s
		if ev.index == 1 {
			m.ttft.Observe(m.wall(s.firstToken - s.arrival))
		} else {
			m.itl.Observe(m.wall(ev.gap))
		}
		if ev.finished {
			m.success.WithLabelValues(ev.reason).Inc()
			m.e2e.Observe(m.wall(s.lastToken - s.arrival))
			m.queue.Observe(m.wall(s.scheduled - s.arrival))
			m.inference.Observe(m.wall(s.lastToken - s.scheduled))
			m.prefill.Observe(m.wall(s.firstToken - s.scheduled))
			m.decode.Observe(m.wall(s.lastToken - s.firstToken))
		}
	}
}

// observeAbort counts a request the client abandoned and updates the
// gauges it leaves.
func (m *metrics) observeAbort(running, waiting int, kv float64) {
	m.success.WithLabelValues("abort").Inc()
	m.running.Set(float64(running))
	m.waiting.Set(float64(waiting))
	m.kvUsage.Set(kv)
}

// observeStall counts a host stall of virtual duration d.
func (m *metrics) observeStall(d time.Duration) {
	if m != nil {
		m.hostStalls.Add(m.wall(d))
	}
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
