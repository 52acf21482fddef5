package openaitest

import "fmt"

// Dialect is the streaming shape the fake server speaks. The endpoint
// decides completions versus chat; the dialect decides the quirks. Each
// dialect's event sequence and fields follow the server's source as cited
// in fixtures/sse/README.md; key order and the values of fields the client
// never reads (created, system_fingerprint, ...) are this package's.
type Dialect string

// Dialects.
const (
	// VLLM: finish_reason on the last token's event; chat opens with a role
	// delta whose content is ""; reasoning tokens in delta "reasoning";
	// with include_usage the last event before [DONE] has choices: [] and
	// the usage; with stream_options.continuous_usage_stats every event
	// carries the usage so far (completion_tokens counts the tokens sent).
	VLLM Dialect = "vllm"
	// VLLMReasoningContent is VLLM as released before delta
	// "reasoning_content" was renamed "reasoning".
	VLLMReasoningContent Dialect = "vllm_reasoning_content"
	// Ollama (v0.17.4, as captured in fixtures/sse): with include_usage every
	// completions chunk carries a zeroed usage; chat deltas repeat the role;
	// finish_reason comes on its own chunk with empty text; the real usage on
	// a final chunk with choices: [].
	Ollama Dialect = "ollama"
	// NoUsage: the vLLM shape, never any usage even when asked.
	NoUsage Dialect = "no_usage"
	// SGLang: chat opens with a role delta whose content is ""; choices
	// carry "matched_stop"; reasoning in delta "reasoning_content";
	// finish_reason comes on its own chunk with an empty delta; then the
	// usage chunk; continuous_usage_stats as vLLM. Completions use vLLM's
	// shape.
	SGLang Dialect = "sglang"
	// TGI's /v1/chat/completions: no opening role event; every delta
	// repeats role "assistant"; the id is ""; "usage": null on every token
	// event, finish_reason on the last token's, and with include_usage a
	// usage event with choices: []. TGI has no reasoning field: reasoning
	// tokens are content. Completions use vLLM's shape.
	TGI Dialect = "tgi"
	// LlamaCpp is llama.cpp's server: chat opens with a role delta whose
	// content is null; reasoning in delta "reasoning_content"; finish_reason
	// on its own chunk with an empty delta; then the usage chunk (with
	// include_usage). A "timings" object rides on the last event, and on
	// every token event when the request sets "timings_per_token": true;
	// its predicted_n counts the tokens generated so far.
	LlamaCpp Dialect = "llamacpp"
)

// Dialects lists every dialect, in a stable order.
var Dialects = []Dialect{VLLM, VLLMReasoningContent, Ollama, NoUsage, SGLang, TGI, LlamaCpp}

// ParseDialect returns the dialect named s ("" means VLLM).
func ParseDialect(s string) (Dialect, error) {
	if s == "" {
		return VLLM, nil
	}
	for _, d := range Dialects {
		if string(d) == s {
			return d, nil
		}
	}
	return "", fmt.Errorf("unknown dialect %q (known: %v)", s, Dialects)
}

// vllmLike reports whether the dialect streams vLLM's shape.
func (d Dialect) vllmLike() bool { return d == VLLM || d == VLLMReasoningContent || d == NoUsage }

// continuousUsage reports whether the dialect honours
// stream_options.continuous_usage_stats.
func (d Dialect) continuousUsage() bool { return d == VLLM || d == VLLMReasoningContent || d == SGLang }

// reasoningField is the chat delta field that carries reasoning, "" when
// the dialect has none.
func (d Dialect) reasoningField() string {
	switch d {
	case VLLM, NoUsage:
		return "reasoning"
	case VLLMReasoningContent, SGLang, LlamaCpp:
		return "reasoning_content"
	}
	return ""
}
