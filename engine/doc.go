// Package engine is hypobench's embedded inference engine: an
// OpenAI-compatible server that behaves like vLLM's V1 engine closely
// enough to exercise, and to falsify, the hypotheses about prefill, decode
// and batching when no GPU or real server is at hand. It is the default
// target whenever HYPOBENCH_TARGET is unset.
//
// The engine is a server under test: it imports nothing of the benchmark
// side (client, runner, record, hypotheses, predict) and does not know
// what it is expected to prove.
//
// # Layers
//
//   - profiles.go: GPU and model profiles (RTX 4090, A100-80G, H100 SXM,
//     H200; Qwen2.5-7B, Llama-3.1-8B, Qwen2.5-0.5B), the "gpu:model" spec,
//     and the loaders for a GPU JSON file and a Hugging Face config.json.
//   - costmodel.go, frontend.go: the roofline step cost, the efficiencies
//     and the front-end's costs in one place; Knobs that break the cost
//     model on purpose.
//   - kvcache.go, scheduler.go: vLLM V1's scheduling policy — continuous
//     batching under max_num_batched_tokens and max_num_seqs, running
//     requests first, then waiting ones FCFS, chunked prefill, a paged KV
//     cache of 16-token blocks, recompute preemption of the newest
//     running request, and automatic prefix caching (below).
//   - core.go, sim.go: the Core in virtual time; Simulator and Simulate,
//     which run a whole workload through it, front-end included, without
//     sleeping.
//   - loop.go: the real-time layer, sleeping on a timer until each step's
//     end (never spinning) and blocking on a channel when idle. Steps are
//     chained in virtual time, so the host's own latency (timer wake-up,
//     token delivery) is absorbed instead of accumulating, as long as the
//     host keeps up on average; BenchmarkRealtimeLoop measures the error,
//     and Server.HostStalls (and /metrics'
//     hypobench:engine_host_stall_seconds_total) reports the time lost
//     when it did not.
//     Its Clock is injectable; the Core needs none.
//   - server.go, api.go, generate.go: the HTTP API in vLLM's shapes;
//     generate.go holds the completions and chat handler and its SSE
//     streaming.
//   - tokenizer.go: a deterministic tokenizer approximation.
//   - metrics.go: /metrics with vLLM's metric names, labels and buckets,
//     prefix-cache counters included.
//   - kernels.go, trace.go: /start_profile and /stop_profile writing a
//     kineto-style Chrome trace of the kernels each step would launch.
//
// # Cost model
//
// A step's time is max(FLOPs / (peak × MFU), bytes / (bandwidth × MBU)) +
// StepOverhead + PerSeqOverhead × sequences in the step, where FLOPs = 2
// × layer parameters × step tokens + 2 × hidden × vocab per sampled
// sequence + causal attention FLOPs, and bytes = all weights + the KV
// cache read by attention + the KV written. A decode step at small batch
// is thus memory-bound, ≈ weights / (bandwidth × MBU); a prefill chunk of
// a few hundred tokens is compute-bound and grows linearly with its
// tokens. Time is virtual; Config.Speed divides every step's wall
// duration, and Config.Jitter adds seeded log-normal noise to it.
//
// The roofline's parameters sit in costmodel.go and profiles.go, beside
// the front-end's: DefaultEfficiency (MFU 0.5, MBU 0.8, 1.5 ms per step,
// stated guesses) for GPUs without their own, and A100Efficiency (2.5 ms
// per step and 50 µs per sequence, MFU and MBU unchanged), fixed against
// published vLLM 0.10.1.1 runs; CALIBRATION.md tabulates published
// against predicted for 18 runs and TestCalibrationA100 keeps that true.
// A GPU JSON may carry its own "efficiency".
//
// # Front-end
//
// vLLM's API server (one Python process) tokenises every prompt and
// detokenises and serialises every streamed token; under heavy streaming
// its queue delays new requests' first tokens. The virtual-time core
// models it as a single-server FIFO queue (FrontEnd, frontend.go): a
// request reaches the engine core PerRequest + PerPromptToken × prompt
// tokens after the server is free, and each token reaches the client
// PerOutputToken after the jobs before it. DefaultFrontEnd's parameters
// and their sources are in costmodel.go; Config.FrontEnd replaces them,
// &FrontEnd{} turns the model off. The live server does not add these
// costs: its own HTTP layer is real.
//
// # Virtual time
//
// Simulator runs workloads through one engine without sleeping; its clock
// and KV cache carry over from Run to Run, as a live server's do between
// the phases of a run. Closed-loop runs re-send a request the moment the
// client has the last token of the one before (plus
// Simulator.ClientTurnaround); open-loop runs send at given times.
// SimRequest.BlockHashes carries a prompt's identity for the prefix
// cache. Package predict builds whole run directories on it.
//
// # Prefix caching
//
// On by default, as in vLLM V1; Config.NoPrefixCaching (hypobench serve
// --no-enable-prefix-caching, vLLM's flag) turns it off. A prompt's token
// ids (TokenIDs: the same text always gives the same ids) are cut into
// 16-token blocks; each full block's hash chains the hash of the block
// before it (BlockHashes), so a block is shared only by prompts equal up
// to its end. When a waiting request is admitted, its leading blocks found
// in the cache are taken as computed — at most (prompt − 1) / 16 blocks,
// because vLLM always recomputes the last token to get its logits — and
// only the rest is prefilled, attending to the cached context. Blocks are
// registered in the cache when scheduled; a finished or preempted request
// frees its blocks, last block first, to the tail of a free queue, and
// allocation takes from its head: a free block keeps its content, and can
// be hit, until it is evicted (LRU among free blocks, as vLLM's
// BlockPool). Unlike vLLM, blocks of generated tokens are not hashed, so
// only prompt prefixes are shared. The per-request nonce of the suites
// puts a unique first block in front of every prompt, so nothing hits, as
// on a real vLLM.
//
// /metrics adds vLLM V1's counters vllm:prefix_cache_queries_total and
// vllm:prefix_cache_hits_total (vllm/v1/metrics/loggers.py registers
// "vllm:prefix_cache_queries" and "vllm:prefix_cache_hits", counted in
// tokens: KVCacheManager adds each admitted request's num_tokens to
// queries and its cached tokens to hits). With
// Config.EnablePromptTokensDetails (vLLM's --enable-prompt-tokens-details,
// off by default) the usage object carries
// "prompt_tokens_details": {"cached_tokens": N}, and, as vLLM's serving
// code ("if self.enable_prompt_tokens_details and num_cached_tokens"),
// only when N > 0.
//
// # Simulated time
//
// Every streamed token's event carries a non-standard field "hb_sim_ns":
// the virtual nanoseconds from the request's arrival at the engine (when
// its handler submitted it to the loop) to the end of the step that
// sampled the token; chat's role event carries its first token's stamp,
// the usage event none. Clients that do not know the field ignore it, as
// they ignore vLLM's own extras; Config.NoSimStamps leaves it out. With
// the stamps a client can report the modelled GPU's time of a compressed
// run (Config.Speed S) without multiplying its own overhead by S: the
// server-side part is the stamp, the rest of what it measured is its own
// (see record.SimTime). A host that falls behind (a step starting more
// than maxCatchUp late) shows up in the stamps as idle virtual time.
//
// # Knobs for negative controls
//
// Config embeds Knobs, each breaking one hypothesis on purpose:
// FlatPrefill (a prefill chunk costs one token: TTFT flat in prompt
// length), ComputeBoundDecode (each decoding sequence costs a full weight
// read: TPOT linear in concurrency, throughput flat), FreeDecode (decode
// costs nothing: E2E does not grow with output tokens), UniformKernels
// (every traced kernel of a step lasts the same: no long/short contrast)
// and DecodeKernelMix (every step, prefill included, launches a
// one-sequence decode step's kernels: mixed lengths that do not depend on
// the phase).
//
// # Endpoints
//
// /v1/completions and /v1/chat/completions (streaming or not, with
// stream_options.include_usage, ignore_eos, min_tokens, max_tokens),
// /v1/models, /tokenize, /health, /version, /metrics, and POST
// /start_profile and /stop_profile (the latter answers {"trace": path};
// vLLM answers an empty 200, so clients must not rely on the body).
// Errors are OpenAI error objects: 400 for bad JSON or a context overflow
// (vLLM's wording), 404 for an unknown model, 413 for a body over
// Config.MaxRequestBytes.
//
// # What is hand-written and why
//
// Everything but the Prometheus exposition (client_golang) is written
// here: no Go library simulates an LLM serving engine, and the point is a
// small, readable model whose every constant is visible. The tokenizer is
// an approximation (see tokenizer.go) because shipping a real vocabulary
// would tie the engine to one model and add megabytes for no gain in what
// the hypotheses measure.
//
// # Using it
//
//	srv, err := engine.Start(ctx, engine.Config{Spec: "h100-sxm:llama-3.1-8b", Speed: 10})
//	...
//	defer srv.Close()
//	base := srv.URL() + "/v1"
//
// or from the command line: hypobench serve --engine rtx4090:qwen2.5-7b.
package engine
