// Package predict answers "what would this suite do on that GPU and
// model?" without a server: it runs a workload's plan on the embedded
// engine's virtual-time core (engine.Simulator) and returns the records
// and phases a live run would write (package record), in simulated time —
// the modelled GPU's seconds, with no client overhead and no time
// compression. Write lays them out as a normal run directory
// (requests.jsonl, phases.jsonl, config.json), so the report package
// builds summaries, plots and index.html from it as from a live run.
//
// # What a prediction reproduces
//
// Everything the live runner decides: the phase order of
// workload.Suite.Plan, warm-up requests first and unrecorded, the same
// request ids (req_000001, ...), the same prompts with the same nonces
// (so the prefix cache hits exactly where a live server's would), the
// closed loop (Concurrency requests at once, the next one issued when one
// ends) or, with Options.Rate, Poisson arrivals; an open-loop suite
// (workload.Suite.OpenPlan) arrives on exactly the schedule the live
// runner sends it on, and its records carry the open-loop fields (due
// instant, latencies from due, target rate). Every record carries the
// seed's fields (id, profile, ttft_s, total_s, concurrency) and TTFT, E2E,
// TPOT, ITL gaps, prompt and output tokens from the engine's own usage.
// The engine's state (its prefix cache) carries over from phase to phase.
// An open-loop phase's max_concurrency is simulated (engine.Simulator
// OpenCap): a due request waits for a slot as the live runner's does, the
// wait is its queue_s and part of its latencies from due.
// Jitter comes from the engine's Config.Jitter and Seed; a prediction is
// deterministic for a seed.
//
// # How a prediction is marked
//
// Records have no field for it (the record format is the live run's), so
// the run directory's config.json says it: "prediction": true at the top,
// meta.target "prediction" (a live run has "embedded" or the server's URL),
// meta.prediction with the time base, and meta.engine.speed 1 (records are
// already in the modelled GPU's time). The CLI's run ids end in
// "-predict-".
//
// # Speed and the client's overhead
//
// By default records are in the modelled GPU's time with no client
// overhead. Options.Speed and Options.Client make them what a live run of
// the embedded engine compressed by Speed would record: engine times
// divided by Speed, plus the client's and the transport's own costs in
// wall-clock time, which a compression does not shrink (ClientOverhead:
// per request on the first event, a minimum gap per streamed event). That
// is how the hypotheses' virtual-time matrix (hypotheses.TestMatrix) makes
// a speed factor matter as it does live. The overhead is added to the
// records after the simulation and does not feed back into the closed
// loop (ClientTurnaround does). Records and phases carry the design's
// round (workload.Suite.Rounds).
//
// # What it leaves out
//
// Failed requests (a prompt over max_model_len is refused up front: a
// prediction cannot time a 400) and interruptions.
package predict
