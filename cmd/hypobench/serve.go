package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/hypobench/hypobench/engine"
	hrun "github.com/hypobench/hypobench/run"
)

func init() {
	register("serve", "serve the embedded vLLM-like engine over HTTP", serveCmd)
}

// serveCmd implements `hypobench serve`: it runs the embedded engine until
// ctx is cancelled (SIGINT/SIGTERM), then drains: no new connection is
// accepted, in-flight streams get up to --drain to finish, and the rest end
// with an error event. A second interrupt ends the drain at once.
func serveCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	d := engine.DefaultConfig
	var cfg engine.Config
	addr := fs.String("addr", "127.0.0.1:8000", "listen address")
	fs.StringVar(&cfg.Spec, "engine", d.Spec, "engine profile gpu:model (gpus: rtx4090, a100-80g, h100-sxm, h200; models: qwen2.5-7b, llama-3.1-8b, qwen2.5-0.5b)")
	cfg.Speed = d.Speed
	fs.Func("speed", fmt.Sprintf("time compression factor: steps last cost/speed (default %g)", d.Speed), func(v string) (err error) {
		cfg.Speed, err = hrun.PositiveFloat(v)
		return err
	})
	drain := fs.Duration("drain", 5*time.Second, "on SIGTERM/SIGINT, how long in-flight streams may finish before they are ended with an error event")
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
	for name, v := range map[string]float64{"jitter": cfg.Jitter, "eos-rate": cfg.EOSRate, "gpu-memory-utilization": cfg.GPUMemoryUtilization} {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return &ExitError{Code: 2, Msg: fmt.Sprintf("serve: --%s %v: want a finite number ≥ 0", name, v)}
		}
	}
	if *drain < 0 {
		return &ExitError{Code: 2, Msg: fmt.Sprintf("serve: --drain %s: want a duration ≥ 0", *drain)}
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
	srv, err := engine.Start(context.WithoutCancel(ctx), cfg)
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
	fmt.Fprintf(stderr, "hypobench serve: draining: no new connections; in-flight streams have up to %s to finish\n", *drain)
	dctx, cancel := context.WithTimeout(context.Background(), *drain)
	defer cancel()
	go func() {
		select {
		case <-abortOf(ctx):
			cancel()
		case <-dctx.Done():
		}
	}()
	if err := srv.Shutdown(dctx); err != nil {
		why := fmt.Sprintf("the %s drain ran out", *drain)
		select {
		case <-abortOf(ctx):
			why = "a second interrupt cut the drain short"
		default:
		}
		fmt.Fprintf(stderr, "hypobench serve: %s; streams still in flight were ended with an error event\n", why)
		return nil
	}
	fmt.Fprintln(stderr, "hypobench serve: drained; every stream finished")
	return nil
}
