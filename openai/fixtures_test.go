package openai_test

import (
	"context"
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
