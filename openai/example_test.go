package openai_test

import (
	"context"
	"fmt"

	"github.com/hypobench/hypobench/openai"
	"github.com/hypobench/hypobench/openai/openaitest"
	"github.com/hypobench/hypobench/record"
)

// ExampleClient_Do streams one request from the fake server and fills a
// record from the result.
func ExampleClient_Do() {
	srv := openaitest.NewServer(openaitest.Config{Dialect: openaitest.VLLM})
	defer srv.Close()
	c, err := openai.New(openai.Config{BaseURL: srv.URL, APIKey: openai.KeyFromEnv()})
	if err != nil {
		panic(err)
	}
	res := c.Do(context.Background(), openai.Request{Endpoint: "chat", Prompt: "hello", MaxTokens: 4, IgnoreEOS: true, IncludeUsage: true})
	rec := record.Record{ID: record.RequestID(1), Profile: "short_short", Concurrency: 1}
	res.Fill(&rec)
	fmt.Println(rec.OK(), rec.OutputChunks, *rec.OutputTokens, rec.TokenSource, rec.FinishReason, len(rec.ITL), rec.TPOT != nil)
	// Output: true 4 4 usage length 3 true
}
