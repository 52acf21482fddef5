// Package stats holds hypobench's statistics: pure functions that take
// slices and return result structs. They do no I/O, read no clock and keep
// no globals; randomness comes in as a *rand.Rand (math/rand/v2, PCG) built
// by the caller from a recorded seed, so every interval and p-value can be
// reproduced from the run's files.
//
// # Quantiles
//
// Every percentile and median uses one definition, QuantileDefinition:
// Hyndman and Fan's type 7 (linear interpolation between order statistics,
// R's default, NumPy's "linear"), implemented once in QuantileSorted, which
// every other package calls for a sorted sample. QuantileCI gives a distribution-free
// interval from order statistics; Bootstrap, BootstrapQuantileCI and
// BootstrapRatio give percentile bootstrap intervals that resample whole
// observations (whole requests), and NeededN turns an interval that is too
// wide into an estimate of the sample size that would narrow it.
//
// # Tests and estimators
//
//   - KendallTauB and KendallTest: monotone association with a seeded
//     permutation p-value, (1 + #{permuted ≥ observed}) / (1 + B).
//   - JonckheereTerpstra (normal approximation with ties correction) and
//     JonckheereTerpstraPerm (seeded permutation): ordered alternatives
//     across groups such as concurrency levels.
//   - TheilSen with Sen's (1968) interval, and Elasticity, the Theil–Sen
//     slope of log y on log x (a growth exponent).
//   - MannWhitney and HodgesLehmann: two-sample location shift.
//   - LinearFit: least squares with R² and a t interval for the slope.
//   - TInterval, the t interval of a mean over a few independent units,
//     and SkewTInterval, the same corrected for the sample's skewness by
//     Hall's (1992) transformation (hand-written).
//
// # Conventions
//
// Alternative's zero value is TwoSided; Greater means a positive
// association (KendallTest), an increasing trend over the group order
// (JonckheereTerpstra) or x larger than y (MannWhitney). Permutation and
// bootstrap functions take B (B ≤ 0 means DefaultB = 2000) and report how P
// was computed in Result.Method; the same seed gives the same Result. A
// *rand.Rand is not safe for concurrent use: give each goroutine its own.
// Shifts are x − y (HodgesLehmann, MannWhitney's Effect), ratios are
// cand/base (BootstrapRatio).
//
// # Too little data
//
// Functions returning a Result report too little data (or a degenerate
// sample, such as a constant one) as NaN Statistic, P and Effect with a
// warning wrapping ErrTooFewData (errors.Is; its text starts with
// ErrTooFewData's); a caller must treat such a Result as inconclusive.
// Warnings are []error, as in golang.org/x/perf's benchmath; the others wrap
// ErrTies or ErrDropped, and Warnf builds one with its own message.
// Functions returning plain numbers return NaN, and intervals that cannot be formed have NaN bounds (CI.Valid reports it).
//
// # What comes from libraries and what is hand-written
//
// From libraries: the Mann–Whitney p-value (exact U distribution with ties
// for small samples, normal approximation with tie and continuity
// correction above) and the order statistics of QuantileCI come from
// github.com/aclements/go-moremath/stats, the code behind benchstat; normal,
// Student t and binomial distributions, least squares and R² come from
// gonum (stat, stat/distuv, floats).
//
// Hand-written, because no library in the module provides it in a usable
// form:
//   - QuantileSorted: a type-7 quantile on an already sorted slice, so bootstrap
//     replicates and multiple quantiles sort once (montanaflynn/stats'
//     Percentile implements the same definition but takes percents and
//     copies and sorts on every call; the tests check both agree).
//   - Bootstrap*: resampling of indices, which none of the libraries offers.
//     BootstrapQuantileRatio draws a replicate's quantile from the two
//     order statistics it reads (Beta-distributed uniforms, gonum's
//     distuv.Beta) instead of building the resample: the same bootstrap
//     distribution at O(1) a replicate.
//   - Kendall's τ-b in O(n log n) by Knight's (1966) merge-sort algorithm,
//     and its permutation test (gonum's stat.Kendall is τ-a; montanaflynn's
//     KendallTau is τ-b but O(n²) and has no test; the tests check against
//     it).
//   - Jonckheere–Terpstra, Theil–Sen with Sen's interval and Hodges–Lehmann
//     with its Mann–Whitney-based interval: none of the libraries has them.
//   - The slope interval of LinearFit (gonum gives the fit, not its
//     standard error).
package stats
