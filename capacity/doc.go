// Package capacity finds a server's capacity under a latency SLO from an
// open-loop rate ladder: the highest offered rate at which at least a
// quantile (0.9 by default) of requests meet every bound — TTFT measured
// from the instant each request was due, so queueing in the client or at
// a max_concurrency cap counts, and TPOT. This is the goodput definition
// of DistServe (Zhong et al., OSDI 2024): the maximum request rate that
// can be served with the SLO attainment goal met.
//
// Rates summarises each phase (throughput, goodput, SLO attainment,
// latency quantiles, saturation: the queue grows through the phase, its
// median TTFT from due doubling from the first third to the last);
// Analyze interpolates where the attainment falls below the quantile and
// puts a block-bootstrap interval on that rate. The package is pure: no
// I/O, no clock; randomness comes in as a *rand.Rand. Result.Bearing keeps
// the client self-check's reasons that can move the estimate (run-wide
// ones and those of phases at or below the knee's failing rate);
// Result.InTimeOf restates a sweep run on the time-compressed embedded
// engine per simulated second (rates ÷ speed; the rest stays wall-clock,
// as the sweep's flags are). The sweep that runs
// the ladder is `hypobench capacity` (cmd/hypobench/capacity.go).
package capacity
