// Package examples holds worked examples of package experiment: each is a
// Go test, run by `make test` against the embedded engine (speed 5 unless
// HYPOBENCH_SPEED says otherwise; figures in the modelled GPU's simulated
// time), stating a claim a user of an inference server would make and
// checking it, beside a negative control that must fail:
//
//   - prefix_test.go: prefix caching cuts TTFT for a shared 1000-token
//     prompt (ratio of medians below 0.4); with the engine's prefix
//     caching off (vLLM's --no-enable-prefix-caching) the same check
//     fails.
//   - chat_test.go: chat and completions TTFT are equivalent within ±10%
//     for the same text (TOST); with the completions prompt 40% longer
//     the same check fails.
//   - slo_test.go: p90 TTFT stays under 500 ms up to 8 concurrent users;
//     on the same data a 200 ms SLO fails at 8.
//   - baseline_test.go: a candidate engine is non-inferior to a baseline
//     (median TTFT at most 10% above); a candidate that prefills in
//     64-token chunks fails.
//
// Every bound and margin is sized from what the engine's cost model
// predicts (engine.Simulate in virtual time, predict_test.go), and each
// example first checks that the prediction sits far enough from its
// bound that the verdict cannot flip on a loaded machine; a change to the
// cost model that breaks this stops the example with a message to
// re-size it, rather than letting it flake.
package examples
