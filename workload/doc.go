// Package workload defines the controlled variables of an experiment: profiles
// (prompt length × output cap), suites (profiles × concurrency levels ×
// requests, order, seed, or for an open-loop suite profiles × offered rates)
// and the prompts built from them.
//
// The built-in suites are the seed's `tiny` and `huge`; users add suites as
// JSON files (see LoadSuite). A prompt is an optional per-request nonce
// followed by the suite's base text repeated prompt_rep times. The nonce is on
// by default so that prefix caching (on by default in vLLM V1, SGLang and
// Ollama) cannot turn prefill into a cache hit; a suite sets "nonce": false to
// study caching on purpose.
//
// # Rounds
//
// A closed-loop suite with "rounds": R runs its whole ladder R times, each
// round with the concurrency levels in a fresh random order drawn from the
// suite's seed and the round (Plan); every phase and record carries its
// round. The hypotheses' designs (H1–H3) use rounds so that an analysis
// can take the round as its independent unit — requests of one level share
// batches and a time window and are not independent — and so that drift
// and warm-up spread over every level. Suites without rounds (the seed's,
// H4's ordered phases) run as before.
//
// # Open-loop load
//
// A suite that sets "rate", "rates", "ramp" or "trace" is open-loop: requests
// are due on a schedule, whatever the server's state, instead of being sent
// by a fixed number of workers (Plan is for closed-loop suites, OpenPlan for
// open-loop ones). Its fields, all checked by Validate with the same
// unknown-field, NaN/Inf and sign checks as the rest of the suite:
//
//   - "rate" (requests/s) or "rates" (a ladder: one phase per rate), each
//     phase bounded by "duration_s" and/or "requests" (whichever ends first);
//   - "arrival": "poisson" (default), "constant" or "gamma", and for gamma
//     "burstiness" B, the gamma shape as in vLLM's bench serve (1 = Poisson,
//     lower = burstier; the gaps' CV is 1/√B);
//   - "ramp": {"from_rate", "to_rate", "duration_s"}, a first phase whose rate
//     changes linearly;
//   - "max_concurrency": a cap on requests in flight, carried in every phase
//     for the runner (0 = none);
//   - "trace": {"file", "format"}, replaying a trace's offsets and lengths
//     (no profiles, rate or arrival then). The file is relative to the suite
//     file's directory and read through an fs.FS rooted there, so it cannot
//     name a file outside it.
//
// Schedules are pure: Process.Schedule and OpenPhase.Schedule draw from a
// *rand.Rand (math/rand/v2 PCG) seeded by the phase's recorded seed and
// never read a clock, so a schedule is reproduced exactly from the suite and
// its seed. The generator is a renewal process on the integrated rate, with
// gamma gaps drawn by gonum's distuv.Gamma; see Process.
//
// # Trace formats
//
// ParseTrace reads three formats, rows in arrival order, every length ≥ 1,
// errors as *TraceError with the file and line:
//
//   - hypobench (our JSONL): "at_s" seconds from the phase's start,
//     "prompt_tokens", "output_tokens"; unknown fields rejected.
//   - mooncake (github.com/kvcache-ai/Mooncake, FAST25-release/traces):
//     "timestamp" in ms since the first request, "input_length",
//     "output_length"; "hash_ids" checked to be integers and not used
//     (prefix sharing is not reproduced); other fields ignored.
//   - azure (github.com/Azure/AzurePublicDataset, AzureLLMInferenceTrace_*.csv,
//     2023): CSV with header TIMESTAMP,ContextTokens,GeneratedTokens (found
//     by name), TIMESTAMP "YYYY-MM-DD hh:mm:ss.fffffff" read as UTC; offsets
//     from the first row.
//
// Samples of each are in fixtures/arrivals. The parsers are hand-written
// around encoding/json and encoding/csv: no maintained Go library reads
// these trace formats.
package workload
