package openai_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/hypobench/hypobench/internal/testutil"
	"github.com/hypobench/hypobench/openai"
	"github.com/hypobench/hypobench/openai/openaitest"
	"github.com/hypobench/hypobench/record"
)

// TestDialectFixtures replays every dialect fixture of fixtures/sse through
// the client and checks the figures fixtures/sse/README.md states for it:
// events, choice and content events, which event is the TTFT event (c_1)
// and which the first text, usage, finish reason, and the tokens per chunk
// with the per-token ITL when the server reports them.
func TestDialectFixtures(t *testing.T) {
	type testCase struct {
		file     string
		endpoint string
		events   int // dispatched events, [DONE] included
		choices  int // events with at least one choice
		content  int // content events
		ttftEv   int // 1-based index of the event that is c_1 (TTFT)
		textEv   int // 1-based index of the first content event (TTFTText)
		prompt   int // usage.prompt_tokens, 0 when no usage
		output   int // usage.completion_tokens, 0 when no usage
		chunks   []int
		id       string
	}
	cases := []testCase{
		{"vllm/completions-include-usage.txt", "completions", 6, 4, 4, 1, 1, 7, 4, nil, "cmpl-7f3a"},
		{"vllm/completions-continuous-usage.txt", "completions", 6, 4, 4, 1, 1, 7, 8, []int{1, 3, 2, 2}, "cmpl-7f3a"},
		{"vllm/chat-reasoning.txt", "chat", 9, 7, 6, 1, 2, 12, 6, nil, "chatcmpl-9c1e"},
		{"vllm/chat-reasoning-content.txt", "chat", 9, 7, 6, 1, 2, 12, 6, nil, "chatcmpl-9c1e"},
		{"sglang/chat-include-usage.txt", "chat", 9, 7, 5, 1, 2, 12, 6, nil, "8f0c6b2e4d1a4b7f9e3c5a1d2b6e7f80"},
		{"tgi/chat-include-usage.txt", "chat", 6, 4, 4, 1, 1, 9, 4, nil, ""},
		{"llamacpp/chat-timings-per-token.txt", "chat", 8, 6, 4, 1, 2, 9, 5, []int{1, 1, 2, 1}, "chatcmpl-Qx7uV2mZ4kq9"},
		{"llamacpp/chat-no-usage.txt", "chat", 7, 6, 4, 1, 2, 0, 0, nil, "chatcmpl-Qx7uV2mZ4kq9"},
		{"ollama-v0.17.4/completions-include-usage.txt", "completions", 11, 9, 8, 1, 1, 28, 8, nil, "cmpl-473"},
	}
	run := func(t *testing.T, tc testCase) {
		body := testutil.Fixture(t, filepath.Join("..", "fixtures", "sse", tc.file))
		// A gap between events keeps their arrivals apart, so each figure is
		// tied to one event.
		srv := httptest.NewServer(openaitest.Replay(body, 0, 2*time.Millisecond))
		defer srv.Close()
		c := newClient(t, openai.Config{BaseURL: srv.URL})
		res := c.Do(context.Background(), openai.Request{Endpoint: tc.endpoint, Prompt: "x", MaxTokens: 8, IncludeUsage: true})
		if !res.OK() {
			t.Fatalf("%s: %s", res.ErrorClass, res.Error)
		}
		if len(res.Events) != tc.events || res.ChoiceEvents != tc.choices || len(res.Content) != tc.content {
			t.Fatalf("events %d, choice events %d, content events %d; want %d, %d, %d",
				len(res.Events), res.ChoiceEvents, len(res.Content), tc.events, tc.choices, tc.content)
		}
		if res.FirstChoice != res.Events[tc.ttftEv-1] || res.Content[0] != res.Events[tc.textEv-1] {
			t.Errorf("TTFT at %v, first text at %v; want events %d (%v) and %d (%v)",
				res.FirstChoice, res.Content[0], tc.ttftEv, res.Events[tc.ttftEv-1], tc.textEv, res.Events[tc.textEv-1])
		}
		if got := res.HasUsage; got != (tc.output > 0) || res.PromptTokens != tc.prompt || res.CompletionTokens != tc.output {
			t.Errorf("usage %t %d/%d, want %d/%d", got, res.PromptTokens, res.CompletionTokens, tc.prompt, tc.output)
		}
		if res.FinishReason != "length" || res.RequestID != tc.id {
			t.Errorf("finish %q, id %q; want length, %q", res.FinishReason, res.RequestID, tc.id)
		}
		var rec record.Record
		res.Fill(&rec)
		if !slices.Equal(rec.ChunkTokens, tc.chunks) {
			t.Errorf("chunk tokens %v, want %v", rec.ChunkTokens, tc.chunks)
		}
		if tc.chunks == nil {
			if rec.Chunking != record.ChunkingUnknown || rec.ITLToken != nil {
				t.Errorf("chunking %q with per-token ITL %v; want unknown and none", rec.Chunking, rec.ITLToken)
			}
			return
		}
		if rec.Chunking != record.ChunkingReported || len(rec.ITLToken) != len(rec.ITL) {
			t.Fatalf("chunking %q, %d per-token gaps for %d gaps", rec.Chunking, len(rec.ITLToken), len(rec.ITL))
		}
		for i, g := range rec.ITL {
			if want := g / float64(tc.chunks[i+1]); rec.ITLToken[i] != want {
				t.Errorf("per-token gap %d = %v, want gap %v / %d tokens = %v", i, rec.ITLToken[i], g, tc.chunks[i+1], want)
			}
		}
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) { run(t, tc) })
	}
}

// TestFakeDialects runs the client against the fake server speaking each
// dialect and checks what the dialect implies: the opening role event (TTFT
// before the first text), finish_reason on its own event, usage when asked,
// the request id (TGI's events carry none: X-Request-Id stands in), and
// tokens per chunk when the server reports them (continuous usage stats,
// llama.cpp's timings_per_token) with several tokens per event.
func TestFakeDialects(t *testing.T) {
	type testCase struct {
		dialect    openaitest.Dialect
		endpoint   string
		perChunk   int
		reasoning  int
		extra      map[string]any
		open       bool // an opening role event precedes the first token
		finishOwn  bool // finish_reason comes on an event of its own
		wantChunks bool // per-chunk counts reported
		continuous bool // Request.ContinuousUsage
	}
	continuous := map[string]any{"stream_options": map[string]any{"include_usage": true, "continuous_usage_stats": true}}
	perToken := map[string]any{"timings_per_token": true}
	cases := []testCase{
		{dialect: openaitest.VLLM, endpoint: "chat", reasoning: 2, open: true},
		{dialect: openaitest.VLLM, endpoint: "completions", perChunk: 3, continuous: true, wantChunks: true},
		{dialect: openaitest.VLLM, endpoint: "chat", perChunk: 2, reasoning: 3, extra: continuous, open: true, wantChunks: true},
		{dialect: openaitest.VLLMReasoningContent, endpoint: "chat", reasoning: 4, open: true},
		{dialect: openaitest.SGLang, endpoint: "chat", reasoning: 2, open: true, finishOwn: true},
		{dialect: openaitest.SGLang, endpoint: "chat", perChunk: 4, extra: continuous, open: true, finishOwn: true, wantChunks: true},
		{dialect: openaitest.TGI, endpoint: "chat"},
		{dialect: openaitest.TGI, endpoint: "chat", extra: continuous}, // TGI ignores continuous_usage_stats
		{dialect: openaitest.LlamaCpp, endpoint: "chat", open: true, finishOwn: true},
		{dialect: openaitest.LlamaCpp, endpoint: "chat", perChunk: 2, reasoning: 2, extra: perToken, open: true, finishOwn: true, wantChunks: true},
		{dialect: openaitest.LlamaCpp, endpoint: "completions", extra: perToken, finishOwn: true, wantChunks: true},
		{dialect: openaitest.Ollama, endpoint: "completions", perChunk: 2, extra: continuous, finishOwn: true}, // zeroed usage is no count
	}
	const n = 7
	run := func(t *testing.T, tc testCase) {
		srv := openaitest.NewServer(openaitest.Config{Dialect: tc.dialect, ChunkTokens: tc.perChunk, Reasoning: tc.reasoning, TokenDelay: time.Millisecond})
		defer srv.Close()
		c := newClient(t, openai.Config{BaseURL: srv.URL})
		res := c.Do(context.Background(), openai.Request{Endpoint: tc.endpoint, Prompt: "a b c", MaxTokens: n, IncludeUsage: true, ContinuousUsage: tc.continuous, Extra: tc.extra})
		if !res.OK() {
			t.Fatalf("%s: %s", res.ErrorClass, res.Error)
		}
		per := max(tc.perChunk, 1)
		events := (n + per - 1) / per
		wantChoices := events
		if tc.open {
			wantChoices++
		}
		if tc.finishOwn {
			wantChoices++
		}
		if len(res.Content) != events || res.ChoiceEvents != wantChoices {
			t.Errorf("content events %d, choice events %d; want %d, %d", len(res.Content), res.ChoiceEvents, events, wantChoices)
		}
		if !res.HasUsage || res.CompletionTokens != n || res.PromptTokens != 4 || res.FinishReason != "length" {
			t.Errorf("usage %t %d/%d, finish %q; want 4/%d, length", res.HasUsage, res.PromptTokens, res.CompletionTokens, res.FinishReason, n)
		}
		tr, ok := srv.Trace(res.RequestID)
		if !ok {
			t.Fatalf("request id %q names no trace", res.RequestID)
		}
		// The client's c_1 is the server's first event with choices; with an
		// opening role event that event carries no text.
		if first := tr.Events[0]; !first.Choice || first.Content == tc.open {
			t.Errorf("first event sent: choice %t, content %t; want an opening event without text: %t", first.Choice, first.Content, tc.open)
		}
		var rec record.Record
		res.Fill(&rec)
		if !tc.wantChunks {
			if rec.Chunking != record.ChunkingUnknown || rec.ChunkTokens != nil {
				t.Errorf("chunking %q %v, want unknown", rec.Chunking, rec.ChunkTokens)
			}
			return
		}
		want := make([]int, events)
		for k := range want {
			want[k] = min(n, (k+1)*per) - k*per
		}
		if rec.Chunking != record.ChunkingReported || !slices.Equal(rec.ChunkTokens, want) {
			t.Fatalf("chunking %q %v, want reported %v", rec.Chunking, rec.ChunkTokens, want)
		}
		for i, g := range rec.ITL {
			if rec.ITLToken[i] != g/float64(want[i+1]) {
				t.Errorf("per-token gap %d = %v, want %v / %d", i, rec.ITLToken[i], g, want[i+1])
			}
		}
	}
	for _, tc := range cases {
		name := fmt.Sprintf("%s/%s/per=%d/reasoning=%d/%v", tc.dialect, tc.endpoint, tc.perChunk, tc.reasoning, tc.extra != nil || tc.continuous)
		t.Run(name, func(t *testing.T) { run(t, tc) })
	}
}
