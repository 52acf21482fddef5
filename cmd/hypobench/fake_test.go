package main

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hypobench/hypobench/internal/testutil"
	"github.com/hypobench/hypobench/openai"
	"github.com/hypobench/hypobench/record"
)

// TestFakeDialect starts `hypobench fake --dialect …` and runs the client
// against it: llama.cpp's dialect with two tokens per event reports its
// chunking through timings_per_token, TGI's does not.
func TestFakeDialect(t *testing.T) {
	type testCase struct {
		dialect string
		extra   map[string]any
		chunks  []int // nil: chunking unknown
	}
	for _, tc := range []testCase{
		{"llamacpp", map[string]any{"timings_per_token": true}, []int{2, 2, 1}},
		{"tgi", nil, nil},
	} {
		t.Run(tc.dialect, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			var out, errb testutil.SyncBuffer
			done := make(chan error, 1)
			go func() {
				done <- run(ctx, []string{"fake", "--addr", "127.0.0.1:0", "--dialect", tc.dialect, "--chunk-tokens", "2", "--ttft", "1ms", "--itl", "1ms"}, &out, &errb)
			}()
			defer func() {
				cancel()
				if err := <-done; err != nil {
					t.Errorf("fake: %v (%s)", err, errb.String())
				}
			}()
			addr := regexp.MustCompile(`http://[0-9.:]+`)
			var url string
			for deadline := time.Now().Add(10 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
				url = addr.FindString(out.String())
			}
			if url == "" {
				t.Fatalf("no address printed: %q %q", out.String(), errb.String())
			}
			c, err := openai.New(openai.Config{BaseURL: url})
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseIdleConnections()
			res := c.Do(context.Background(), openai.Request{Endpoint: "chat", Prompt: "a b", MaxTokens: 5, IncludeUsage: true, Extra: tc.extra})
			if !res.OK() || res.CompletionTokens != 5 || len(res.Content) != 3 {
				t.Fatalf("%s %s: usage %d, %d content events", res.ErrorClass, res.Error, res.CompletionTokens, len(res.Content))
			}
			var rec record.Record
			res.Fill(&rec)
			if !slices.Equal(rec.ChunkTokens, tc.chunks) || (tc.chunks == nil) != (rec.Chunking == record.ChunkingUnknown) {
				t.Errorf("chunking %q %v, want %v", rec.Chunking, rec.ChunkTokens, tc.chunks)
			}
		})
	}
}

func TestFakeRejectsUnknownDialect(t *testing.T) {
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"fake", "--addr", "127.0.0.1:0", "--dialect", "vllm2"}, &out, &errb)
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != 2 || !strings.Contains(ee.Msg, "vllm2") || !strings.Contains(ee.Msg, "llamacpp") {
		t.Fatalf("err = %v, want exit 2 naming the dialect and the known ones", err)
	}
}
