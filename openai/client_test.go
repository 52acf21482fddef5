package openai_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hypobench/hypobench/openai"
	"github.com/hypobench/hypobench/openai/openaitest"
	"github.com/hypobench/hypobench/record"
)

func newClient(t testing.TB, cfg openai.Config) *openai.Client {
	t.Helper()
	c, err := openai.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func TestDialects(t *testing.T) {
	type testCase struct {
		name         string
		dialect      openaitest.Dialect
		endpoint     string
		includeUsage bool
		lineEnding   string
		comments     bool
		wantUsage    bool
		// Ollama sends finish_reason on its own empty chunk: one more
		// choice event than content events.
		wantChoiceEvents int
	}
	const n = 6
	cases := []testCase{
		{name: "vllm completions usage-last", dialect: openaitest.VLLM, endpoint: "completions", includeUsage: true, wantUsage: true, wantChoiceEvents: n},
		{name: "vllm completions no usage asked", dialect: openaitest.VLLM, endpoint: "completions", wantChoiceEvents: n},
		{name: "vllm chat deltas usage-last", dialect: openaitest.VLLM, endpoint: "chat", includeUsage: true, wantUsage: true, wantChoiceEvents: n + 1},
		{name: "no_usage dialect ignores include_usage", dialect: openaitest.NoUsage, endpoint: "completions", includeUsage: true, wantChoiceEvents: n},
		{name: "ollama completions", dialect: openaitest.Ollama, endpoint: "completions", includeUsage: true, wantUsage: true, wantChoiceEvents: n + 1},
		{name: "ollama chat", dialect: openaitest.Ollama, endpoint: "chat", includeUsage: true, wantUsage: true, wantChoiceEvents: n + 1},
		{name: "ollama completions no usage", dialect: openaitest.Ollama, endpoint: "completions", wantChoiceEvents: n + 1},
		{name: "CRLF with keep-alive comments", dialect: openaitest.VLLM, endpoint: "chat", includeUsage: true, lineEnding: "\r\n", comments: true, wantUsage: true, wantChoiceEvents: n + 1},
		{name: "CR line ends", dialect: openaitest.VLLM, endpoint: "completions", includeUsage: true, lineEnding: "\r", wantUsage: true, wantChoiceEvents: n},
	}
	run := func(t *testing.T, tc testCase) {
		srv := openaitest.NewServer(openaitest.Config{Dialect: tc.dialect, LineEnding: tc.lineEnding, Comments: tc.comments, TokenDelay: time.Millisecond})
		defer srv.Close()
		c := newClient(t, openai.Config{BaseURL: srv.URL})
		res := c.Do(context.Background(), openai.Request{Endpoint: tc.endpoint, Model: "m", Prompt: "a b c", MaxTokens: n, IncludeUsage: tc.includeUsage})
		if !res.OK() {
			t.Fatalf("request failed: %s: %s", res.ErrorClass, res.Error)
		}
		if len(res.Content) != n || res.ChoiceEvents != tc.wantChoiceEvents {
			t.Errorf("content events %d, choice events %d; want %d, %d", len(res.Content), res.ChoiceEvents, n, tc.wantChoiceEvents)
		}
		if res.HasUsage != tc.wantUsage || (tc.wantUsage && (res.CompletionTokens != n || res.PromptTokens != 4)) {
			t.Errorf("usage: has %t, prompt %d, completion %d; want has %t, 4, %d", res.HasUsage, res.PromptTokens, res.CompletionTokens, tc.wantUsage, n)
		}
		if res.FinishReason != "length" || !res.Done || res.Status != 200 {
			t.Errorf("finish %q, done %t, status %d", res.FinishReason, res.Done, res.Status)
		}
		if !strings.HasPrefix(res.RequestID, "c") || !strings.Contains(res.RequestID, "cmpl-") {
			t.Errorf("request id %q", res.RequestID)
		}
		if _, ok := srv.Trace(res.RequestID); !ok {
			t.Errorf("server has no trace for id %q", res.RequestID)
		}
		var rec record.Record
		res.Fill(&rec)
		if rec.TTFT == nil || rec.TTFTText == nil || rec.E2E == nil || rec.TPOT == nil || len(rec.ITL) != n-1 {
			t.Fatalf("record misses timings: %+v", rec)
		}
		if *rec.TTFT > *rec.TTFTText || *rec.TTFTText > *rec.E2E || *rec.E2E > rec.Total {
			t.Errorf("timings out of order: ttft %v, text %v, e2e %v, total %v", *rec.TTFT, *rec.TTFTText, *rec.E2E, rec.Total)
		}
		wantSource := record.TokensFromChunks
		if tc.wantUsage {
			wantSource = record.TokensFromUsage
		}
		if rec.TokenSource != wantSource || rec.TokenMismatch {
			t.Errorf("token source %q mismatch %t, want %q", rec.TokenSource, rec.TokenMismatch, wantSource)
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

func TestOllamaFixturesReplayed(t *testing.T) {
	type testCase struct {
		file, endpoint          string
		split                   int
		usage                   bool
		promptTokens, chunks, n int
	}
	var cases []testCase
	for _, split := range []int{0, 1, 13} {
		cases = append(cases,
			testCase{"completions-include-usage.txt", "completions", split, true, 28, 8, 8},
			testCase{"completions-no-usage.txt", "completions", split, false, 0, 3, 3},
			testCase{"chat-include-usage.txt", "chat", split, true, 13, 8, 8})
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/split=%d", tc.file, tc.split), func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("..", "fixtures", "sse", "ollama-v0.17.4", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(openaitest.Replay(body, tc.split, 0))
			defer srv.Close()
			c := newClient(t, openai.Config{BaseURL: srv.URL})
			res := c.Do(context.Background(), openai.Request{Endpoint: tc.endpoint, Prompt: "x", MaxTokens: 8, IncludeUsage: tc.usage})
			if !res.OK() {
				t.Fatalf("%s: %s", res.ErrorClass, res.Error)
			}
			var rec record.Record
			res.Fill(&rec)
			if rec.OutputChunks != tc.chunks || rec.N() != tc.n || rec.FinishReason != "length" {
				t.Errorf("chunks %d, N %d, finish %q; want %d, %d, length", rec.OutputChunks, rec.N(), rec.FinishReason, tc.chunks, tc.n)
			}
			if tc.usage && (rec.PromptTokens == nil || *rec.PromptTokens != tc.promptTokens || rec.TokenSource != record.TokensFromUsage) {
				t.Errorf("usage: prompt %v, source %q; want %d from usage (the last non-zero usage)", rec.PromptTokens, rec.TokenSource, tc.promptTokens)
			}
			if !tc.usage && (rec.OutputTokens != nil || rec.TokenSource != record.TokensFromChunks) {
				t.Errorf("no usage expected, got %v from %q", rec.OutputTokens, rec.TokenSource)
			}
			if !strings.Contains(rec.ServerRequestID, "-") || len(rec.ITL) != tc.chunks-1 {
				t.Errorf("request id %q, %d ITL gaps", rec.ServerRequestID, len(rec.ITL))
			}
		})
	}
}

func TestRequestBody(t *testing.T) {
	srv := openaitest.NewServer(openaitest.Config{})
	defer srv.Close()
	c := newClient(t, openai.Config{BaseURL: srv.URL + "/v1/"})
	minTok, temp := 3, 0.0
	res := c.Do(context.Background(), openai.Request{
		Endpoint: "chat", Model: "qwen", Prompt: "hello", MaxTokens: 4, IgnoreEOS: true,
		MinTokens: &minTok, Temperature: &temp, IncludeUsage: true,
		Extra: map[string]any{"seed": 7, "stream": false},
	})
	if !res.OK() {
		t.Fatalf("%s: %s", res.ErrorClass, res.Error)
	}
	tr, ok := srv.Trace(res.RequestID)
	if !ok {
		t.Fatalf("no trace for %q", res.RequestID)
	}
	var got map[string]any
	if err := json.Unmarshal(tr.Body, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"model": "qwen", "messages": []any{map[string]any{"role": "user", "content": "hello"}},
		"max_tokens": 4.0, "ignore_eos": true, "min_tokens": 3.0, "temperature": 0.0,
		"stream_options": map[string]any{"include_usage": true}, "seed": 7.0, "stream": true,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("body\n got %v\nwant %v", got, want)
	}
}

func TestFill(t *testing.T) {
	t0 := time.Now()
	ms := time.Millisecond
	res := &openai.Result{
		Endpoint: "completions", Model: "m", T0: t0, Status: 200, RequestID: "cmpl-1",
		ChoiceEvents: 4, FirstChoice: 10 * ms, Content: []time.Duration{12 * ms, 20 * ms, 40 * ms},
		HasUsage: true, PromptTokens: 5, CompletionTokens: 5, FinishReason: "length", Done: true, End: 50 * ms,
	}
	var rec record.Record
	res.Fill(&rec)
	near := func(name string, got *float64, want float64) {
		t.Helper()
		if got == nil || *got < want-1e-12 || *got > want+1e-12 {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	near("ttft", rec.TTFT, 0.010)
	near("ttft_text", rec.TTFTText, 0.012)
	near("e2e", rec.E2E, 0.040)
	near("tpot (N from usage)", rec.TPOT, (0.040-0.010)/4)
	total := rec.Total
	near("total", &total, 0.050)
	if len(rec.ITL) != 2 || rec.ITL[0] != 0.008 || rec.ITL[1] != 0.020 {
		t.Errorf("itl = %v", rec.ITL)
	}
	if !rec.TokenMismatch || rec.TokenSource != "usage" || *rec.OutputTokens != 5 || rec.OutputChunks != 3 {
		t.Errorf("tokens: mismatch %t source %q out %v chunks %d", rec.TokenMismatch, rec.TokenSource, *rec.OutputTokens, rec.OutputChunks)
	}
	if rec.StartUnixNs != t0.UnixNano() || rec.EndUnixNs != t0.Add(50*ms).UnixNano() {
		t.Errorf("start/end %d/%d", rec.StartUnixNs, rec.EndUnixNs)
	}
	// One token: TPOT undefined.
	res.Content, res.CompletionTokens = res.Content[:1], 1
	res.Fill(&rec)
	if rec.TPOT != nil || rec.ITL != nil {
		t.Errorf("N = 1: tpot %v, itl %v; want null", rec.TPOT, rec.ITL)
	}
	// No usage: N falls back to chunks.
	res.HasUsage, res.Content = false, []time.Duration{12 * ms, 20 * ms, 40 * ms}
	res.Fill(&rec)
	near("tpot (N from chunks)", rec.TPOT, (0.040-0.010)/2)
	if rec.TokenSource != "chunks" || rec.OutputTokens != nil || rec.TokenMismatch {
		t.Errorf("no usage: source %q, out %v, mismatch %t", rec.TokenSource, rec.OutputTokens, rec.TokenMismatch)
	}
}

func TestConcurrentDoSharesOneClient(t *testing.T) {
	srv := openaitest.NewServer(openaitest.Config{TokenDelay: time.Millisecond, NoLog: true})
	defer srv.Close()
	c := newClient(t, openai.Config{BaseURL: srv.URL})
	var wg sync.WaitGroup
	errs := make(chan string, 200)
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := c.Do(context.Background(), openai.Request{Prompt: "x", MaxTokens: 4}); !r.OK() || len(r.Content) != 4 {
				errs <- fmt.Sprintf("%s: %s (%d chunks)", r.ErrorClass, r.Error, len(r.Content))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
