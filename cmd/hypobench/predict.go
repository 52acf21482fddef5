package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/predict"
	hrun "github.com/hypobench/hypobench/run"
)

func init() {
	register("predict", "predict a suite on a GPU and model in simulated time, without a server, as a run directory", predictCmd)
}

// predictCmd implements
//
//	hypobench predict [--suite S] [--concurrency 1,4] [--requests N]
//	                  [--rate R | --rates … | --ramp … | --trace-file …] [--max-concurrency C]
//	                  [--engine gpu:model] [--gpu FILE] [--model-config FILE] [--out DIR] ...
//
// It runs the suite on the embedded engine's virtual-time core (package
// predict), writes OUT/<run-id>/ with requests.jsonl, phases.jsonl and a
// config.json marked as a prediction, and builds the reports as
// `hypobench report` does. Every figure is in the modelled GPU's time.
// Exit status 2 on unusable input.
func predictCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	// The suite, its overrides and the output root go through the one
	// validation path (run.Env's settings and run.ApplySuite), the
	// open-loop flags through run's own (openFlags), so predict accepts
	// and refuses exactly what run does; the engine's knobs through
	// run's number parsers (NaN, ±Inf and negatives refused).
	env, err := hrun.LoadEnv()
	if err != nil {
		return &ExitError{Code: 2, Msg: "predict: " + err.Error()}
	}
	fs := flag.NewFlagSet("predict", flag.ContinueOnError)
	env.BindFlags(fs, "suite", "concurrency", "requests", "endpoint", "out", "seed", "engine")
	var open openFlags
	open.register(fs)
	var cfg engine.Config
	var turnaround time.Duration
	dur := func(dst *time.Duration, name, usage string) {
		fs.Func(name, fmt.Sprintf("%s (default %v)", usage, *dst), func(v string) (err error) { *dst, err = hrun.NonNegativeDuration(v); return })
	}
	num := func(dst *float64, name, usage string) {
		fs.Func(name, usage, func(v string) (err error) { *dst, err = hrun.NonNegativeFloat(v); return })
	}
	count := func(dst *int, name, usage string) {
		fs.Func(name, usage, func(v string) (err error) { *dst, err = hrun.NonNegativeInt(v); return })
	}
	dur(&turnaround, "client-turnaround", "closed loop: the client's time from a request's last token to sending the next (e.g. 300us)")
	gpuFile := fs.String("gpu", "", "GPU profile JSON file (replaces the spec's GPU)")
	modelFile := fs.String("model-config", "", "Hugging Face config.json (replaces the spec's model)")
	num(&cfg.Jitter, "jitter", "log-normal sigma of step-time noise (0: none)")
	num(&cfg.EOSRate, "eos-rate", "per-token end-of-sequence probability for suites without ignore_eos")
	count(&cfg.MaxModelLen, "max-model-len", "context length (default 4096)")
	count(&cfg.MaxNumSeqs, "max-num-seqs", "max running sequences (0: vLLM's default for the GPU)")
	count(&cfg.MaxNumBatchedTokens, "max-num-batched-tokens", "token budget per step (0: vLLM's default for the GPU)")
	num(&cfg.GPUMemoryUtilization, "gpu-memory-utilization", "share of GPU memory for weights, activations and KV cache (default 0.9)")
	fs.BoolVar(&cfg.NoPrefixCaching, "no-enable-prefix-caching", false, "turn automatic prefix caching off (vLLM's flag)")
	fe := engine.DefaultFrontEnd
	dur(&fe.PerRequest, "front-end-request", "API-server cost per request (vLLM's: parsing, chat template, hand-off)")
	dur(&fe.PerPromptToken, "front-end-prompt-token", "API-server cost per prompt token (tokenising)")
	dur(&fe.PerOutputToken, "front-end-output-token", "API-server cost per streamed token (detokenising, serialising)")
	noReport := fs.Bool("no-report", false, "skip writing summary, plots and index.html")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: hypobench predict [flags]")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &ExitError{Code: 2, Msg: fmt.Sprintf("predict: unexpected argument %q", fs.Arg(0))}
	}
	bad := func(err error) error { return &ExitError{Code: 2, Msg: "predict: " + err.Error()} }
	if cfg.GPUMemoryUtilization > 1 {
		return bad(errors.New("--gpu-memory-utilization: want a share in [0, 1]"))
	}
	if cfg.EOSRate > 1 {
		return bad(errors.New("--eos-rate: want a probability in [0, 1]"))
	}
	suite, err := hrun.ApplySuite(env)
	if err == nil {
		err = open.apply(suite, flagGiven(fs, "concurrency"))
	}
	if err != nil {
		return bad(err)
	}
	cfg.Spec = env.Engine
	if env.SeedSet {
		cfg.Seed = suite.Seed
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
	opts := predict.Options{Engine: cfg, Suite: suite, Seed: suite.Seed, ClientTurnaround: turnaround, Start: time.Now()}
	started := time.Now()
	res, err := predict.Run(opts)
	if err != nil {
		return bad(err)
	}
	dir, id, err := hrun.NewDir(env.Out, suite.Name+"-predict")
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
	loop := "closed loop at " + loadShape(suite)
	if suite.OpenLoop() {
		loop = "open loop, " + loadShape(suite)
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
