package engine

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// usage is OpenAI's token usage object.
type usage struct {
	PromptTokens        int                  `json:"prompt_tokens"`
	TotalTokens         int                  `json:"total_tokens"`
	CompletionTokens    int                  `json:"completion_tokens"`
	PromptTokensDetails *promptTokensDetails `json:"prompt_tokens_details,omitempty"`
}

// promptTokensDetails is vLLM's PromptTokenUsageInfo: how many prompt
// tokens came from the prefix cache.
type promptTokensDetails struct {
	CachedTokens int `json:"cached_tokens"`
}

type completionChoice struct {
	Index        int     `json:"index"`
	Text         string  `json:"text"`
	Logprobs     any     `json:"logprobs"`
	FinishReason *string `json:"finish_reason"`
	StopReason   any     `json:"stop_reason"`
}

type chatDelta struct {
	Role    string `json:"role,omitempty"`
	Content string `json:"content"`
}

type chatChunkChoice struct {
	Index        int       `json:"index"`
	Delta        chatDelta `json:"delta"`
	Logprobs     any       `json:"logprobs"`
	FinishReason *string   `json:"finish_reason"`
	StopReason   any       `json:"stop_reason,omitempty"`
}

type chatMessageOut struct {
	Role      string `json:"role"`
	Content   string `json:"content"`
	ToolCalls []any  `json:"tool_calls"`
}

type chatChoice struct {
	Index        int            `json:"index"`
	Message      chatMessageOut `json:"message"`
	Logprobs     any            `json:"logprobs"`
	FinishReason *string        `json:"finish_reason"`
	StopReason   any            `json:"stop_reason"`
}

// response is a completions or chat body or chunk; Choices is always
// present (an empty list in the usage chunk), Usage only when set.
type response struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	Model   string `json:"model"`
	Choices any    `json:"choices"`
	Usage   *usage `json:"usage,omitempty"`
	// SimNs is the "hb_sim_ns" stamp of a streamed token's event: the
	// virtual (modelled GPU) nanoseconds from the request's arrival at
	// the engine to the end of the step that sampled the token.
	SimNs *int64 `json:"hb_sim_ns,omitempty"`
}

var requestCounter atomic.Uint64

// generate serves /v1/completions (chat false) and /v1/chat/completions.
// Streaming follows vLLM's SSE shape: one event per token; chat opens with
// a role delta when the first token arrives; the last token's event
// carries finish_reason; with stream_options.include_usage a final event
// with "choices": [] and usage precedes "data: [DONE]". Unless
// Config.NoSimStamps, every token's event (and chat's role event) carries
// "hb_sim_ns", the token's virtual time since the request arrived.
func (s *Server) generate(chat bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req genRequest
		if !s.decodePost(w, r, &req) {
			return
		}
		a, aerr := s.validate(&req, chat)
		if aerr != nil {
			writeError(w, aerr)
			return
		}
		n := requestCounter.Add(1)
		id := fmt.Sprintf("cmpl-%016x%016x", s.nonce, n)
		object := "text_completion"
		if chat {
			id = fmt.Sprintf("chatcmpl-%016x%016x", s.nonce, n)
			object = "chat.completion"
		}
		key := hashKey(a.prompt)
		st := newStream(coreRequest{PromptTokens: a.promptTokens, MaxTokens: a.maxTokens, MinTokens: a.minTokens,
			IgnoreEOS: a.ignoreEOS, Key: key, Hashes: a.hashes})
		ctx := r.Context()
		if err := s.loop.submit(ctx, st); err != nil {
			writeError(w, &apiError{Status: http.StatusServiceUnavailable, Type: "ServiceUnavailable", Message: err.Error()})
			return
		}
		finished := false
		defer func() {
			if !finished {
				s.loop.cancel(st)
			}
		}()
		created := time.Now().Unix()
		base := response{ID: id, Object: object, Created: created, Model: s.info.ServedModelName}
		var fl http.Flusher
		if a.stream {
			if chat {
				base.Object = "chat.completion.chunk"
			}
			w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
			w.Header().Set("Cache-Control", "no-cache")
			w.WriteHeader(http.StatusOK)
			fl, _ = w.(http.Flusher)
		}
		var text strings.Builder
		var reason string
		out, cached := 0, 0
		for !finished {
			select {
			case <-st.notify:
			case <-ctx.Done():
				return
			case <-s.loop.done:
				if a.stream {
					endStream(w, fl)
				}
				return
			}
			var buf []byte
			for _, d := range st.take() {
				tok := outputText(key, d.index)
				out = d.index
				if d.index == 1 {
					cached = d.cached
				}
				if d.finished {
					finished, reason = true, d.reason
				}
				if !a.stream {
					text.WriteString(tok)
					continue
				}
				var fr *string
				if d.finished {
					fr = &reason
				}
				if !s.cfg.NoSimStamps {
					ns := int64(d.at - st.at)
					base.SimNs = &ns
				}
				if chat && d.index == 1 {
					base.Choices = []chatChunkChoice{{Delta: chatDelta{Role: "assistant"}}}
					buf = appendEvent(buf, base)
				}
				if chat {
					c := chatChunkChoice{Delta: chatDelta{Content: tok}, FinishReason: fr}
					if d.finished {
						c.StopReason = json.RawMessage("null")
					}
					base.Choices = []chatChunkChoice{c}
				} else {
					base.Choices = []completionChoice{{Text: tok, FinishReason: fr}}
				}
				buf = appendEvent(buf, base)
			}
			if len(buf) > 0 {
				if _, err := w.Write(buf); err != nil {
					return
				}
				if fl != nil {
					fl.Flush()
				}
			}
		}
		u := &usage{PromptTokens: a.promptTokens, CompletionTokens: out, TotalTokens: a.promptTokens + out}
		if s.info.PromptTokensDetails && cached > 0 {
			// vLLM: "if self.enable_prompt_tokens_details and num_cached_tokens".
			u.PromptTokensDetails = &promptTokensDetails{CachedTokens: cached}
		}
		if a.stream {
			var buf []byte
			base.SimNs = nil
			if a.includeUsage {
				base.Choices, base.Usage = []any{}, u
				buf = appendEvent(buf, base)
			}
			buf = append(buf, "data: [DONE]\n\n"...)
			w.Write(buf)
			if fl != nil {
				fl.Flush()
			}
			return
		}
		base.Usage = u
		if chat {
			base.Choices = []chatChoice{{Message: chatMessageOut{Role: "assistant", Content: text.String(), ToolCalls: []any{}},
				FinishReason: &reason}}
		} else {
			base.Choices = []completionChoice{{Text: text.String(), FinishReason: &reason}}
		}
		writeJSON(w, http.StatusOK, base)
	}
}

// appendEvent appends one SSE event "data: <json>\n\n".
func appendEvent(buf []byte, v any) []byte {
	b, _ := json.Marshal(v)
	buf = append(buf, "data: "...)
	buf = append(buf, b...)
	return append(buf, "\n\n"...)
}
