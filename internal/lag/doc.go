// Package lag summarises a set of delays as a record.Lag — count, mean,
// type-7 median, p90, p99 (stats.QuantileSorted) and maximum — for the
// packages that write one: the runner (run.LagOf: send, scheduling and
// parse lags of a run's self-check and open-loop phases), a merge of shard
// runs (merge: a pooled phase's send lag, which must not link the runner
// and its engine) and the capacity search. It is the one place the
// summary's fields and quantile definition are chosen.
package lag
