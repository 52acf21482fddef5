// Package hypobench is the module root. It holds no library code: the
// framework lives in the layer packages below it (workload, openai, record,
// run, stats, verdict, hypotheses, compare, report, engine, …) and the command in
// cmd/hypobench.
//
// The root package exists for bench_test.go, the Go benchmarks that drive
// the target once per request over the suite's profiles × concurrency
// levels and report TTFT, TPOT, E2E, throughput and error rate with
// b.ReportMetric, so that two builds of a server compare with benchstat:
//
//	go test -bench . -run '^$' -benchtime 20x -count 10 > new.txt
//	go tool benchstat old.txt new.txt
package hypobench
