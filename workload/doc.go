// Package workload defines the controlled variables of an experiment: profiles
// (prompt length × output cap), suites (profiles × concurrency levels ×
// requests, order, seed) and the prompts built from them.
//
// The built-in suites are the seed's `tiny` and `huge`; users add suites as
// JSON files (see LoadSuite). A prompt is an optional per-request nonce
// followed by the suite's base text repeated prompt_rep times. The nonce is on
// by default so that prefix caching (on by default in vLLM V1, SGLang and
// Ollama) cannot turn prefill into a cache hit; a suite sets "nonce": false to
// study caching on purpose.
package workload
