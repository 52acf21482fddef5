package servermetrics

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
)

// fakeVLLM renders a vLLM V1-shaped /metrics page from counters the test
// drives directly, so expected deltas are known exactly.
type fakeVLLM struct {
	mu      sync.Mutex
	model   string
	running float64
	waiting float64
	kv      float64
	prompt  float64
	gen     float64
	preempt float64
	created float64 // process start time, as the _created gauges report it
	hists   map[string]*fakeHist
}

type fakeHist struct {
	bounds []float64 // finite upper bounds, ascending
	counts []float64 // per bucket, not cumulative; last is +Inf
	sum    float64
	n      float64
}

var fakeBounds = map[string][]float64{
	"vllm:time_to_first_token_seconds":  {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5},
	"vllm:inter_token_latency_seconds":  {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5},
	"vllm:e2e_request_latency_seconds":  {0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0},
	"vllm:request_queue_time_seconds":   {0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0},
	"vllm:request_prefill_time_seconds": {0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0},
	"vllm:request_decode_time_seconds":  {0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0},
	"vllm:iteration_tokens_total":       {1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048},
}

func newFakeVLLM(model string) *fakeVLLM {
	f := &fakeVLLM{model: model, created: 1.7648e9, hists: map[string]*fakeHist{}}
	for name, b := range fakeBounds {
		f.hists[name] = &fakeHist{bounds: b, counts: make([]float64, len(b)+1)}
	}
	return f
}

func (f *fakeVLLM) observe(name string, v float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.hists[name]
	i := sort.SearchFloat64s(h.bounds, v) // first bound ≥ v
	h.counts[i]++
	h.sum += v
	h.n++
}

// request records one finished request the way vLLM would.
func (f *fakeVLLM) request(prompt, output int, queue, prefill, decode float64) {
	f.mu.Lock()
	f.prompt += float64(prompt)
	f.gen += float64(output)
	f.mu.Unlock()
	f.observe("vllm:request_queue_time_seconds", queue)
	f.observe("vllm:request_prefill_time_seconds", prefill)
	f.observe("vllm:request_decode_time_seconds", decode)
	f.observe("vllm:time_to_first_token_seconds", queue+prefill)
	f.observe("vllm:e2e_request_latency_seconds", queue+prefill+decode)
	for i := 1; i < output; i++ {
		f.observe("vllm:inter_token_latency_seconds", decode/float64(output-1))
	}
}

func (f *fakeVLLM) set(running, waiting, kv float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.running, f.waiting, f.kv = running, waiting, kv
}

func (f *fakeVLLM) render() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var b strings.Builder
	lab := fmt.Sprintf(`engine="0",model_name=%q`, f.model)
	scalar := func(name, typ string, v float64) {
		fmt.Fprintf(&b, "# HELP %s x\n# TYPE %s %s\n%s{%s} %s\n", name, name, typ, name, lab, fmtFloat(v))
		if typ == "counter" {
			c := strings.TrimSuffix(name, "_total") + "_created"
			fmt.Fprintf(&b, "# HELP %s x\n# TYPE %s gauge\n%s{%s} %v\n", c, c, c, lab, f.created)
		}
	}
	scalar("vllm:num_requests_running", "gauge", f.running)
	scalar("vllm:num_requests_waiting", "gauge", f.waiting)
	scalar("vllm:kv_cache_usage_perc", "gauge", f.kv)
	scalar("vllm:prompt_tokens_total", "counter", f.prompt)
	scalar("vllm:generation_tokens_total", "counter", f.gen)
	scalar("vllm:num_preemptions_total", "counter", f.preempt)
	names := make([]string, 0, len(f.hists))
	for n := range f.hists {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		h := f.hists[name]
		fmt.Fprintf(&b, "# HELP %s x\n# TYPE %s histogram\n", name, name)
		cum := 0.0
		for i, c := range h.counts {
			cum += c
			le := "+Inf"
			if i < len(h.bounds) {
				le = fmtFloat(h.bounds[i])
			}
			fmt.Fprintf(&b, "%s_bucket{engine=\"0\",le=%q,model_name=%q} %s\n", name, le, f.model, fmtFloat(cum))
		}
		fmt.Fprintf(&b, "%s_count{%s} %s\n%s_sum{%s} %s\n", name, lab, fmtFloat(h.n), name, lab, fmtFloat(h.sum))
		fmt.Fprintf(&b, "# HELP %s_created x\n# TYPE %s_created gauge\n%s_created{%s} %v\n", name, name, name, lab, f.created)
	}
	return b.String()
}

// fmtFloat writes floats the way Python's repr does for these values.
func fmtFloat(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprint(v)
}

func (f *fakeVLLM) samples() []Sample {
	s, err := Parse(strings.NewReader(f.render()), "fake")
	if err != nil {
		panic(err)
	}
	return s
}
