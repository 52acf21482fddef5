package engine

// a100Runs are dennislee22/vLLM-benchmarking's single-GPU runs (README,
// "Test 4" and "Test 5"): vLLM 0.10.1.1 (V1), 1× A100 80GB,
// Qwen2-7B-Instruct in bf16, max_model_len 16384,
// max_num_batched_tokens 2048, prefix caching and chunked prefill on,
// benchmark_serving.py --dataset-name random --random-input-len 1024
// --random-output-len 1024, request rate inf. Servers are named by
// gpu_memory_utilization and pid; their runs are in the order of the
// server log lines printed with each run.
var a100Runs = []publishedRun{
	// gpu_memory_utilization 0.5: 29053 blocks (startup log vllm-7B-1gpuA10080GB-0.5GRAM.log).
	{Server: "0.5/pid136", Blocks: 29053, Prompts: 50, OutTput: 2356.12, MeanTPOT: 18.47, MedianTTFT: 2490.45, Where: "Test 5, --num-prompts 50"},
	{Server: "0.5/pid136", Blocks: 29053, Prompts: 30, OutTput: 1967.90, MeanTPOT: 14.93, MedianTTFT: 240.32, Where: "Test 5, --num-prompts 30"},
	{Server: "0.5/pid136", Blocks: 29053, Prompts: 20, OutTput: 1387.31, MeanTPOT: 14.12, MedianTTFT: 199.99, Where: "Test 5, --num-prompts 20"},
	{Server: "0.5/pid136", Blocks: 29053, Prompts: 1, OutTput: 84.95, MeanTPOT: 11.75, MedianTTFT: 36.23, Where: "Test 5, --num-prompts 1"},
	{Server: "0.5/pid118", Blocks: 29053, Prompts: 10, OutTput: 715.92, MeanTPOT: 13.47, MedianTTFT: 511.95, Where: "Test 5, --num-prompts 10"},
	{Server: "0.5/pid118", Blocks: 29053, Prompts: 75, OutTput: 2991.02, MeanTPOT: 22.21, MedianTTFT: 2543.58, Where: "Test 5, --num-prompts 75"},
	{Server: "0.5/pid2739", Blocks: 29053, Prompts: 100, OutTput: 3352.15, MeanTPOT: 25.26, MedianTTFT: 3896.62, Where: "Test 5, --num-prompts 100"},
	{Server: "0.5/pid2739", Blocks: 29053, Prompts: 200, OutTput: 4442.73, MeanTPOT: 40.34, MedianTTFT: 1179.16, Where: "Test 5, --num-prompts 200"},
	{Server: "0.5/pid2739", Blocks: 29053, Prompts: 500, OutTput: 4215.38, MeanTPOT: 52.41, MedianTTFT: 10041.30, Where: "Test 5, --num-prompts 500"},
	// gpu_memory_utilization 0.25: 5867 blocks (startup log vllm-7B-1gpuA10080GB-0.25GRAM.log).
	{Server: "0.25/pid113", Blocks: 5867, Prompts: 10, OutTput: 715.43, MeanTPOT: 13.46, MedianTTFT: 553.62, Where: "Test 4, --num-prompts 10"},
	{Server: "0.25/pid113", Blocks: 5867, Prompts: 1, OutTput: 84.88, MeanTPOT: 11.76, MedianTTFT: 36.46, Where: "Test 4, --num-prompts 1"},
	{Server: "0.25/pid113", Blocks: 5867, Prompts: 20, OutTput: 1338.72, MeanTPOT: 14.36, MedianTTFT: 364.37, Where: "Test 4, --num-prompts 20"},
	{Server: "0.25/pid113", Blocks: 5867, Prompts: 30, OutTput: 1830.69, MeanTPOT: 15.19, MedianTTFT: 935.87, Where: "Test 4, --num-prompts 30"},
	{Server: "0.25/pid113", Blocks: 5867, Prompts: 50, OutTput: 2338.38, MeanTPOT: 18.46, MedianTTFT: 424.74, Where: "Test 4, --num-prompts 50"},
	{Server: "0.25/pid113", Blocks: 5867, Prompts: 75, OutTput: 2131.91, MeanTPOT: 24.02, MedianTTFT: 791.30, Where: "Test 4, --num-prompts 75"},
	{Server: "0.25/pid1671", Blocks: 5867, Prompts: 500, OutTput: 2170.51, MeanTPOT: 31.56, MedianTTFT: 88718.78, Where: "Test 4, --num-prompts 500"},
	{Server: "0.25/pid1671", Blocks: 5867, Prompts: 200, OutTput: 2057.51, MeanTPOT: 29.87, MedianTTFT: 30624.81, Where: "Test 4, --num-prompts 200"},
	{Server: "0.25/pid1671", Blocks: 5867, Prompts: 100, OutTput: 2124.52, MeanTPOT: 28.69, MedianTTFT: 4105.02, Where: "Test 4, --num-prompts 100"},
}
