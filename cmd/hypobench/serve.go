package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/hypobench/hypobench/engine"
)

func init() {
	register("serve", "serve the embedded vLLM-like engine over HTTP", serveCmd)
}

// serveCmd implements `hypobench serve`: it runs the embedded engine until
// ctx is cancelled.
func serveCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	d := engine.DefaultConfig
	var cfg engine.Config
	addr := fs.String("addr", "127.0.0.1:8000", "listen address")
	fs.StringVar(&cfg.Spec, "engine", d.Spec, "engine profile gpu:model (gpus: rtx4090, a100-80g, h100-sxm, h200; models: qwen2.5-7b, llama-3.1-8b, qwen2.5-0.5b)")
	fs.Float64Var(&cfg.Speed, "speed", d.Speed, "time compression factor: steps last cost/speed")
	gpuFile := fs.String("gpu", "", "GPU profile JSON file (replaces the spec's GPU)")
	modelFile := fs.String("model-config", "", "Hugging Face config.json (replaces the spec's model)")
	fs.StringVar(&cfg.ServedModelName, "served-model-name", "", "model name of the API (default: the model's Hugging Face name)")
	fs.StringVar(&cfg.ProfileDir, "profile-dir", "", "directory for /stop_profile traces (empty disables profiling)")
	fs.BoolVar(&cfg.TraceGzip, "trace-gzip", false, "write traces as .json.gz")
	fs.Uint64Var(&cfg.Seed, "seed", 0, "seed of jitter and end-of-sequence draws")
	fs.Float64Var(&cfg.Jitter, "jitter", 0, "log-normal sigma of step-time noise (0: none)")
	fs.Float64Var(&cfg.EOSRate, "eos-rate", 0, "per-token end-of-sequence probability without ignore_eos (0: run to max_tokens)")
	fs.IntVar(&cfg.MaxModelLen, "max-model-len", d.MaxModelLen, "context length")
	fs.IntVar(&cfg.MaxNumSeqs, "max-num-seqs", 0, "max running sequences (0: vLLM's default for the GPU)")
	fs.IntVar(&cfg.MaxNumBatchedTokens, "max-num-batched-tokens", 0, "token budget per step (0: vLLM's default for the GPU)")
	fs.Float64Var(&cfg.GPUMemoryUtilization, "gpu-memory-utilization", d.GPUMemoryUtilization, "share of GPU memory for weights, activations and KV cache")
	fs.IntVar(&cfg.NumGPUBlocksOverride, "num-gpu-blocks-override", 0, "KV-cache blocks (0: derived from memory)")
	fs.BoolVar(&cfg.NoPrefixCaching, "no-enable-prefix-caching", false, "turn automatic prefix caching off (vLLM's flag; on by default as in vLLM V1)")
	fs.BoolVar(&cfg.EnablePromptTokensDetails, "enable-prompt-tokens-details", false, "report usage.prompt_tokens_details.cached_tokens on prefix-cache hits (vLLM's flag)")
	fs.BoolVar(&cfg.FlatPrefill, "flat-prefill", false, "knob: prefill costs one token whatever the prompt (TTFT flat in prompt length; breaks H1)")
	fs.BoolVar(&cfg.ComputeBoundDecode, "compute-bound-decode", false, "knob: decode cost proportional to batch size (breaks H2/H3)")
	fs.BoolVar(&cfg.FreeDecode, "free-decode", false, "knob: decode costs nothing, all tokens follow prefill at once (breaks H2)")
	fs.BoolVar(&cfg.UniformKernels, "uniform-kernels", false, "knob: every kernel in the trace lasts the same (breaks H4)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &ExitError{Code: 2, Msg: err.Error()}
	}
	cfg.Addr = *addr
	if *gpuFile != "" {
		g, err := engine.LoadGPUFile(*gpuFile)
		if err != nil {
			return &ExitError{Code: 2, Msg: fmt.Sprintf("serve: %v", err)}
		}
		cfg.GPU = &g
	}
	if *modelFile != "" {
		m, err := engine.LoadModelConfig(*modelFile)
		if err != nil {
			return &ExitError{Code: 2, Msg: fmt.Sprintf("serve: %v", err)}
		}
		cfg.Model = &m
	}
	srv, err := engine.Start(ctx, cfg)
	if err != nil {
		if errors.Is(err, engine.ErrConfig) || errors.Is(err, engine.ErrUnknownProfile) {
			return &ExitError{Code: 2, Msg: fmt.Sprintf("serve: %v", err)}
		}
		return fmt.Errorf("serve: %w", err)
	}
	info := srv.Info()
	fmt.Fprintf(stdout, "hypobench engine: %s on %s (%d KV blocks of %d tokens, max_num_seqs %d, max_num_batched_tokens %d, prefix caching %v, speed %g)\n",
		info.Model.Name, info.GPU.Name, info.NumGPUBlocks, info.BlockSize, info.MaxNumSeqs, info.MaxNumBatchedTokens, info.PrefixCaching, info.Speed)
	fmt.Fprintf(stdout, "serving model %q at %s/v1\n", srv.ModelName(), srv.URL())
	<-ctx.Done()
	return srv.Close()
}
