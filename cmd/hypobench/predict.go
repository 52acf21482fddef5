package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/predict"
	hrun "github.com/hypobench/hypobench/run"
	"github.com/hypobench/hypobench/workload"
)

func init() {
	register("predict", "predict a suite on a GPU and model in simulated time, without a server, as a run directory", predictCmd)
}

// predictCmd implements
//
//	hypobench predict [--suite S] [--concurrency 1,4] [--requests N] [--rate R]
//	                  [--engine gpu:model] [--gpu FILE] [--model-config FILE] [--out DIR] ...
//
// It runs the suite on the embedded engine's virtual-time core (package
// predict), writes OUT/<run-id>/ with requests.jsonl, phases.jsonl and a
// config.json marked as a prediction, and builds the reports as
// `hypobench report` does. Every figure is in the modelled GPU's time.
// Exit status 2 on unusable input.
func predictCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("predict", flag.ContinueOnError)
	fs.SetOutput(stderr)
	suiteName := fs.String("suite", envOr("HYPOBENCH_SUITE", "tiny"), "suite: tiny, huge, or a suite file")
	conc := fs.String("concurrency", "", "comma-separated concurrency levels, overriding the suite's")
	requests := fs.Int("requests", 0, "requests per profile per level, overriding the suite's")
	endpoint := fs.String("endpoint", "", "completions or chat, overriding the suite's")
	rate := fs.Float64("rate", 0, "open loop: Poisson arrivals at this many requests/s per phase instead of closed-loop concurrency")
	turnaround := fs.Duration("client-turnaround", 0, "closed loop: the client's time from a request's last token to sending the next (e.g. 300us)")
	out := fs.String("out", envOr("HYPOBENCH_OUT", "reports"), "reports root; the prediction lands in OUT/<run-id>")
	seed := fs.Uint64("seed", 0, "seed for nonces (default: the suite's) and the engine's jitter")
	var cfg engine.Config
	fs.StringVar(&cfg.Spec, "engine", envOr("HYPOBENCH_ENGINE", engine.DefaultSpec), "built-in gpu:model (gpus: rtx4090, a100-80g, h100-sxm, h200; models: qwen2.5-7b, llama-3.1-8b, qwen2.5-0.5b)")
	gpuFile := fs.String("gpu", "", "GPU profile JSON file (replaces the spec's GPU)")
	modelFile := fs.String("model-config", "", "Hugging Face config.json (replaces the spec's model)")
	fs.Float64Var(&cfg.Jitter, "jitter", 0, "log-normal sigma of step-time noise (0: none)")
	fs.Float64Var(&cfg.EOSRate, "eos-rate", 0, "per-token end-of-sequence probability for suites without ignore_eos")
	fs.IntVar(&cfg.MaxModelLen, "max-model-len", 0, "context length (default 4096)")
	fs.IntVar(&cfg.MaxNumSeqs, "max-num-seqs", 0, "max running sequences (0: vLLM's default for the GPU)")
	fs.IntVar(&cfg.MaxNumBatchedTokens, "max-num-batched-tokens", 0, "token budget per step (0: vLLM's default for the GPU)")
	fs.Float64Var(&cfg.GPUMemoryUtilization, "gpu-memory-utilization", 0, "share of GPU memory for weights, activations and KV cache (default 0.9)")
	fs.BoolVar(&cfg.NoPrefixCaching, "no-enable-prefix-caching", false, "turn automatic prefix caching off (vLLM's flag)")
	fe := engine.DefaultFrontEnd
	fs.DurationVar(&fe.PerRequest, "front-end-request", fe.PerRequest, "API-server cost per request (vLLM's: parsing, chat template, hand-off)")
	fs.DurationVar(&fe.PerPromptToken, "front-end-prompt-token", fe.PerPromptToken, "API-server cost per prompt token (tokenising)")
	fs.DurationVar(&fe.PerOutputToken, "front-end-output-token", fe.PerOutputToken, "API-server cost per streamed token (detokenising, serialising)")
	noReport := fs.Bool("no-report", false, "skip writing summary, plots and index.html")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hypobench predict [flags]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &ExitError{Code: 2}
	}
	if fs.NArg() > 0 {
		return &ExitError{Code: 2, Msg: fmt.Sprintf("predict: unexpected argument %q", fs.Arg(0))}
	}
	bad := func(err error) error { return &ExitError{Code: 2, Msg: "predict: " + err.Error()} }
	suite, err := workload.LoadSuite(*suiteName)
	if err != nil {
		return bad(err)
	}
	if *conc != "" {
		if suite.Concurrency, err = hrun.ParseInts(*conc); err != nil {
			return bad(fmt.Errorf("--concurrency: %w", err))
		}
	}
	if *requests > 0 {
		suite.Requests = *requests
	}
	if *endpoint != "" {
		suite.Endpoint = *endpoint
	}
	if *seed != 0 {
		suite.Seed = *seed
		cfg.Seed = *seed
	}
	if err := suite.Validate(); err != nil {
		return bad(err)
	}
	if *gpuFile != "" {
		g, err := engine.LoadGPUFile(*gpuFile)
		if err != nil {
			return bad(err)
		}
		cfg.GPU = &g
	}
	if *modelFile != "" {
		m, err := engine.LoadModelConfig(*modelFile)
		if err != nil {
			return bad(err)
		}
		cfg.Model = &m
	}
	cfg.FrontEnd = &fe
	opts := predict.Options{Engine: cfg, Suite: suite, Seed: suite.Seed, Rate: *rate, ClientTurnaround: *turnaround, Start: time.Now()}
	started := time.Now()
	res, err := predict.Run(opts)
	if err != nil {
		return bad(err)
	}
	dir, id, err := hrun.NewDir(*out, suite.Name+"-predict")
	if err != nil {
		return err
	}
	opts.RunID = id
	for i := range res.Records {
		res.Records[i].RunID = id
	}
	if err := predict.Write(dir, opts, res, map[string]any{"command": "hypobench predict"}); err != nil {
		return err
	}
	e := res.Engine
	loop := fmt.Sprintf("closed loop at concurrency %v", suite.Concurrency)
	if *rate > 0 {
		loop = fmt.Sprintf("open loop at %g requests/s", *rate)
	}
	fmt.Fprintf(stdout, "prediction %s: suite %s, %s, %s on %s (%d KV blocks, prefix caching %v): %d records, %.1f s of simulated time, computed in %v\n",
		id, suite.Name, loop, e.Model.Name, e.GPU.Name, e.NumGPUBlocks, e.PrefixCaching, len(res.Records),
		res.Duration.Seconds(), time.Since(started).Round(time.Millisecond))
	fmt.Fprintf(stdout, "every figure is simulated time on the modelled GPU, not a measurement: %s\n", dir)
	if *noReport {
		return nil
	}
	return writeReports(context.WithoutCancel(ctx), dir, stdout, stderr)
}

// envOr returns the environment variable key, or def when it is unset.
func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
