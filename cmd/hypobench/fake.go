package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/hypobench/hypobench/openai/openaitest"
)

func init() {
	register("fake", "serve a fake OpenAI-compatible server with fixed delays and injected faults", fakeCmd)
}

// fakeCmd implements `hypobench fake`: the test suite's fault-injecting
// server for users who want to check their own tooling (or hypobench's)
// against a misbehaving server. Faults are chosen per request by a rule
// list ("http500:10,reset:7+3" = every 10th request answers 500, every 7th
// from the 10th is reset mid-stream), by the X-Hypobench-Fault header, or
// by "hb-fault:<name>" in the prompt.
func fakeCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fake", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8001", "listen address")
	faults := fs.String("faults", "", fmt.Sprintf("comma-separated fault rules NAME[:EVERY[+OFFSET]]; names: %v", openaitest.AllFaults))
	ttft := fs.Duration("ttft", 20*time.Millisecond, "delay before the first token")
	itl := fs.Duration("itl", 10*time.Millisecond, "delay between tokens")
	dialect := fs.String("dialect", "vllm", fmt.Sprintf("SSE dialect, one of %v", openaitest.Dialects))
	chunk := fs.Int("chunk-tokens", 1, "tokens per event (a server that batches output or decodes speculatively)")
	reasoning := fs.Int("reasoning", 0, "how many of a chat response's first tokens are reasoning")
	stall := fs.Duration("stall", 0, "how long the stall fault stalls (default 10m)")
	if err := fs.Parse(args); err != nil {
		return &ExitError{Code: 2}
	}
	rules, err := openaitest.ParseFaults(*faults)
	if err != nil {
		return &ExitError{Code: 2, Msg: err.Error()}
	}
	d, err := openaitest.ParseDialect(*dialect)
	if err != nil {
		return &ExitError{Code: 2, Msg: err.Error()}
	}
	if *chunk < 1 || *reasoning < 0 {
		return &ExitError{Code: 2, Msg: fmt.Sprintf("-chunk-tokens %d must be ≥ 1 and -reasoning %d ≥ 0", *chunk, *reasoning)}
	}
	h := openaitest.NewHandler(openaitest.Config{
		Dialect: d, TTFT: *ttft, TokenDelay: *itl, Faults: rules, StallFor: *stall, NoLog: true,
		ChunkTokens: *chunk, Reasoning: *reasoning,
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return &ExitError{Code: 2, Msg: fmt.Sprintf("listening on %s: %v", *addr, err)}
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "fake OpenAI server on http://%s (dialect %s, faults %q)\n", ln.Addr(), d, *faults)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
