// Package hypothesis turns claims about a server into verdicts.
//
// A Verdict records the claim in words, the outcome (pass, fail,
// inconclusive), the test used with its statistic, p-value and α, the effect
// size with its confidence interval, n, the seed, warnings, the sub-checks a
// compound claim is made of, and the evidence table (per level medians with
// CIs). Too little data or too much noise gives inconclusive, never a pass;
// an inconclusive verdict says how many more requests would likely decide it.
//
// Verdicts are appended to hypotheses.jsonl in the run directory and rendered
// to hypotheses.md. Report (in testing.go) is the glue for testing.T: it
// fails the test on fail, and on inconclusive unless
// HYPOBENCH_ACCEPT_INCONCLUSIVE=1.
package hypothesis
