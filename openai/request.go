package openai

import (
	"encoding/json"
	"fmt"
	"sync/atomic"
)

// Endpoints accepted in Request.Endpoint.
const (
	EndpointCompletions = "completions"       // POST {base}/v1/completions
	EndpointChat        = "chat"              // POST {base}/v1/chat/completions
	pathCompletions     = "/completions"      // relative to the /v1 root
	pathChat            = "/chat/completions" // relative to the /v1 root
)

// Request is one streaming generation request.
type Request struct {
	// Endpoint is EndpointCompletions (the default when empty) or EndpointChat.
	Endpoint string
	// Model is the served model name; omitted from the body when empty.
	Model string
	// Prompt is the completions prompt, or the single user message for chat.
	Prompt string
	// MaxTokens is max_tokens; omitted when 0.
	MaxTokens int
	// IgnoreEOS sets vLLM's ignore_eos (generate MaxTokens tokens).
	IgnoreEOS bool
	// MinTokens sets vLLM's min_tokens when non-nil.
	MinTokens *int
	// Temperature sets temperature when non-nil.
	Temperature *float64
	// IncludeUsage asks for stream_options.include_usage, so the server
	// reports token counts in a final usage event.
	IncludeUsage bool
	// ContinuousUsage asks for stream_options.continuous_usage_stats (and
	// include_usage), so vLLM and SGLang put the usage so far on every event
	// and the client learns how many tokens each event carried.
	ContinuousUsage bool
	// Extra fields are added to the JSON body last, overriding the fields
	// above of the same name, except "stream", which is always true.
	Extra map[string]any
	// Activity, when non-nil, is set to the wall clock (unix ns) when the
	// request is sent and each time bytes of its response arrive, so a
	// caller can see a stream that stalls (the runner's progress line).
	Activity *atomic.Int64 `json:"-"`
}

// path returns the request path below the /v1 root.
func (r *Request) path() (string, error) {
	switch r.Endpoint {
	case "", EndpointCompletions:
		return pathCompletions, nil
	case EndpointChat:
		return pathChat, nil
	}
	return "", fmt.Errorf("unknown endpoint %q (want %q or %q)", r.Endpoint, EndpointCompletions, EndpointChat)
}

// Body returns the JSON request body: stream is always true; for chat the
// prompt becomes one user message.
func (r *Request) Body() ([]byte, error) {
	if _, err := r.path(); err != nil {
		return nil, err
	}
	m := make(map[string]any, 8+len(r.Extra))
	if r.Model != "" {
		m["model"] = r.Model
	}
	if r.Endpoint == EndpointChat {
		m["messages"] = []map[string]string{{"role": "user", "content": r.Prompt}}
	} else {
		m["prompt"] = r.Prompt
	}
	if r.MaxTokens != 0 {
		m["max_tokens"] = r.MaxTokens
	}
	if r.IgnoreEOS {
		m["ignore_eos"] = true
	}
	if r.MinTokens != nil {
		m["min_tokens"] = *r.MinTokens
	}
	if r.Temperature != nil {
		m["temperature"] = *r.Temperature
	}
	switch {
	case r.ContinuousUsage:
		m["stream_options"] = map[string]any{"include_usage": true, "continuous_usage_stats": true}
	case r.IncludeUsage:
		m["stream_options"] = map[string]any{"include_usage": true}
	}
	for k, v := range r.Extra {
		m[k] = v
	}
	m["stream"] = true
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encoding request body: %w", err)
	}
	return b, nil
}
