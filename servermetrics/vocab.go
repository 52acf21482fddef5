package servermetrics

import (
	"math"
	"sort"
	"strconv"
	"strings"
)

// Quantity is a server-side quantity that several servers expose under
// different names.
type Quantity string

// The quantities the summary understands. Gauges are instantaneous; counters
// and histograms are cumulative since the server started.
const (
	Running          Quantity = "running"           // gauge: requests in the running batch
	Waiting          Quantity = "waiting"           // gauge: requests queued, not yet scheduled
	KVUsage          Quantity = "kv_cache_usage"    // gauge: fraction of KV-cache in use, 0–1
	PromptTokens     Quantity = "prompt_tokens"     // counter: prefill tokens processed
	GenerationTokens Quantity = "generation_tokens" // counter: tokens generated
	Preemptions      Quantity = "preemptions"       // counter: requests preempted by the scheduler
	TTFT             Quantity = "ttft"              // histogram, seconds: server-side time to first token
	ITL              Quantity = "itl"               // histogram, seconds: gap between output tokens
	E2E              Quantity = "e2e"               // histogram, seconds: server-side request latency
	QueueTime        Quantity = "queue_time"        // histogram, seconds: time waiting before scheduling
	PrefillTime      Quantity = "prefill_time"      // histogram, seconds: time in prefill
	DecodeTime       Quantity = "decode_time"       // histogram, seconds: time in decode
	StepTokens       Quantity = "step_tokens"       // histogram: tokens per engine step
)

// Source is where one quantity is read in one dialect: the metric's base name
// (without _bucket/_sum/_count). FromSum marks a counter read from a
// histogram's _sum series (TGI counts tokens only in per-request histograms).
type Source struct {
	Name    string
	FromSum bool
}

// Dialect maps quantities to metric names for one server family. When a
// quantity lists several sources, the first one present in a scrape wins (the
// current name before the older one).
type Dialect struct {
	Name    string
	Prefix  string
	Sources map[Quantity][]Source
}

// VLLM is vLLM's vocabulary: V1 names first, V0 names as fallbacks
// (gpu_cache_usage_perc, time_per_output_token_seconds). Series carry a
// model_name label and, in V1, an engine label per engine core; the summary
// adds engines together (KV-cache usage takes the maximum).
var VLLM = Dialect{
	Name:   "vllm",
	Prefix: "vllm:",
	Sources: map[Quantity][]Source{
		Running:          {{Name: "vllm:num_requests_running"}},
		Waiting:          {{Name: "vllm:num_requests_waiting"}},
		KVUsage:          {{Name: "vllm:kv_cache_usage_perc"}, {Name: "vllm:gpu_cache_usage_perc"}},
		PromptTokens:     {{Name: "vllm:prompt_tokens_total"}},
		GenerationTokens: {{Name: "vllm:generation_tokens_total"}},
		Preemptions:      {{Name: "vllm:num_preemptions_total"}},
		TTFT:             {{Name: "vllm:time_to_first_token_seconds"}},
		ITL:              {{Name: "vllm:inter_token_latency_seconds"}, {Name: "vllm:time_per_output_token_seconds"}},
		E2E:              {{Name: "vllm:e2e_request_latency_seconds"}},
		QueueTime:        {{Name: "vllm:request_queue_time_seconds"}},
		PrefillTime:      {{Name: "vllm:request_prefill_time_seconds"}},
		DecodeTime:       {{Name: "vllm:request_decode_time_seconds"}},
		StepTokens:       {{Name: "vllm:iteration_tokens_total"}},
	},
}

// SGLang is SGLang's vocabulary (python/sglang/srt/metrics/collector.py).
// token_usage is the used fraction of the KV token pool. SGLang has no
// per-request prefill/decode split, tokens-per-step histogram or preemption
// counter under a name that means the same thing, so those stay unavailable.
var SGLang = Dialect{
	Name:   "sglang",
	Prefix: "sglang:",
	Sources: map[Quantity][]Source{
		Running:          {{Name: "sglang:num_running_reqs"}},
		Waiting:          {{Name: "sglang:num_queue_reqs"}},
		KVUsage:          {{Name: "sglang:token_usage"}},
		PromptTokens:     {{Name: "sglang:prompt_tokens_total"}},
		GenerationTokens: {{Name: "sglang:generation_tokens_total"}},
		TTFT:             {{Name: "sglang:time_to_first_token_seconds"}},
		ITL:              {{Name: "sglang:inter_token_latency_seconds"}, {Name: "sglang:time_per_output_token_seconds"}},
		E2E:              {{Name: "sglang:e2e_request_latency_seconds"}},
		QueueTime:        {{Name: "sglang:queue_time_seconds"}},
	},
}

// TGI is Hugging Face text-generation-inference's vocabulary (its metrics
// reference page). TGI has no TTFT or KV-cache metric, and its
// tgi_request_mean_time_per_token_duration is a per-request mean rather than
// a per-gap latency, so it is not mapped to ITL. Token totals are the _sum of
// the per-request token-count histograms.
var TGI = Dialect{
	Name:   "tgi",
	Prefix: "tgi_",
	Sources: map[Quantity][]Source{
		Running:          {{Name: "tgi_batch_current_size"}},
		Waiting:          {{Name: "tgi_queue_size"}},
		PromptTokens:     {{Name: "tgi_request_input_length", FromSum: true}},
		GenerationTokens: {{Name: "tgi_request_generated_tokens", FromSum: true}},
		E2E:              {{Name: "tgi_request_duration"}},
		QueueTime:        {{Name: "tgi_request_queue_duration"}},
	},
}

// Dialects lists the known vocabularies in detection order.
var Dialects = []Dialect{VLLM, SGLang, TGI}

// Detect returns the dialect whose prefix most samples carry, and false when
// no sample carries a known prefix (an unknown server: its raw series are
// still in server-metrics.jsonl).
func Detect(samples []Sample) (Dialect, bool) {
	best, bestN := Dialect{}, 0
	for _, d := range Dialects {
		n := 0
		for _, s := range samples {
			if strings.HasPrefix(s.Name, d.Prefix) {
				n++
			}
		}
		if n > bestN {
			best, bestN = d, n
		}
	}
	return best, bestN > 0
}

// Filter selects series for one model. A series matches when Model is empty,
// when it has no model_name label, or when its model_name equals Model.
type Filter struct {
	Model string
}

func (f Filter) match(s Sample) bool {
	if f.Model == "" {
		return true
	}
	m, ok := s.Labels["model_name"]
	return !ok || m == f.Model
}

// ModelNames returns the distinct model_name label values in samples, sorted.
func ModelNames(samples []Sample) []string {
	seen := map[string]bool{}
	for _, s := range samples {
		if m, ok := s.Labels["model_name"]; ok {
			seen[m] = true
		}
	}
	out := make([]string, 0, len(seen))
	for m := range seen {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// find returns the first source of q present in samples.
func (d Dialect) find(q Quantity, samples []Sample, f Filter) (Source, bool) {
	for _, src := range d.Sources[q] {
		name := src.Name
		if src.FromSum {
			name += "_sum"
		} else if isHistogram(q) {
			name += "_count"
		}
		for _, s := range samples {
			if s.Name == name && f.match(s) {
				return src, true
			}
		}
	}
	return Source{}, false
}

func isHistogram(q Quantity) bool {
	switch q {
	case TTFT, ITL, E2E, QueueTime, PrefillTime, DecodeTime, StepTokens:
		return true
	}
	return false
}

// Scalar reads a gauge or counter quantity from one scrape: the sum over
// matching series (one per engine), or for KVUsage their maximum. ok is false
// when the dialect has no source for q or the scrape lacks it.
func (d Dialect) Scalar(q Quantity, samples []Sample, f Filter) (v float64, ok bool) {
	src, found := d.find(q, samples, f)
	if !found {
		return 0, false
	}
	name := src.Name
	if src.FromSum {
		name += "_sum"
	}
	v = 0
	if q == KVUsage {
		v = math.Inf(-1)
	}
	for _, s := range samples {
		if s.Name != name || !f.match(s) {
			continue
		}
		if q == KVUsage {
			v = math.Max(v, s.Value)
		} else {
			v += s.Value
		}
		ok = true
	}
	return v, ok
}

// Histogram reads a histogram quantity from one scrape, adding the series of
// all engines bucket by bucket. ok is false when the dialect has no source
// for q or the scrape lacks it.
func (d Dialect) Histogram(q Quantity, samples []Sample, f Filter) (h Histogram, ok bool) {
	src, found := d.find(q, samples, f)
	if !found || src.FromSum {
		return Histogram{}, false
	}
	byBound := map[float64]float64{}
	for _, s := range samples {
		if !f.match(s) {
			continue
		}
		switch s.Name {
		case src.Name + "_sum":
			h.Sum += s.Value
		case src.Name + "_count":
			h.Count += s.Value
			ok = true
		case src.Name + "_bucket":
			le, err := strconv.ParseFloat(s.Labels["le"], 64)
			if err != nil {
				continue
			}
			byBound[le] += s.Value
		}
	}
	for le, c := range byBound {
		h.Buckets = append(h.Buckets, Bucket{UpperBound: le, Count: c})
	}
	sort.Slice(h.Buckets, func(i, j int) bool { return h.Buckets[i].UpperBound < h.Buckets[j].UpperBound })
	return h, ok
}
