package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"

	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/report"
)

func init() {
	register("report", "rebuild a run's summary, plots and index.html from its JSONL files", reportCmd)
}

// reportCmd implements
//
//	hypobench report [--wall-clock] [--slo-ttft DUR] [--slo-tpot DUR] [--slo-e2e DUR] [--trace FILE] DIR
//
// It regenerates every report file of the run directory DIR and prints the
// files it wrote. An embedded engine's run is shown in the modelled GPU's
// simulated time unless --wall-clock asks for the figures as measured; skipped lines and notes go to stderr. Exit status 2 when
// DIR holds no requests.jsonl or cannot be read.
func reportCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts report.Options
	fs.DurationVar(&opts.SLO.TTFT, "slo-ttft", 0, "goodput threshold on TTFT (e.g. 200ms); 0 sets none")
	fs.DurationVar(&opts.SLO.TPOT, "slo-tpot", 0, "goodput threshold on TPOT (e.g. 50ms); 0 sets none")
	fs.DurationVar(&opts.SLO.E2E, "slo-e2e", 0, "goodput threshold on E2E latency (e.g. 10s); 0 sets none")
	fs.BoolVar(&opts.WallClock, "wall-clock", false, "show an embedded engine's run in wall-clock time as measured, not the modelled GPU's simulated time")
	fs.StringVar(&opts.Trace, "trace", "", "kernel trace to analyse against the run's phases (default: a trace file found in DIR)")
	memLimit := fs.Int64("memory-limit-mib", defaultReportMemMiB, "soft memory limit for the Go runtime in MiB (0: none; GOMEMLIMIT, when set, wins): the report streams its records, and a limit keeps the garbage of decoding a large run from piling up")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hypobench report [--wall-clock] [--slo-ttft DUR] [--slo-tpot DUR] [--slo-e2e DUR] [--trace FILE] DIR")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *memLimit > 0 && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(*memLimit << 20)
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return &ExitError{Code: 2, Msg: "report: want exactly one run directory"}
	}
	for name, d := range map[string]int64{"--slo-ttft": int64(opts.SLO.TTFT), "--slo-tpot": int64(opts.SLO.TPOT), "--slo-e2e": int64(opts.SLO.E2E)} {
		if d < 0 {
			return &ExitError{Code: 2, Msg: fmt.Sprintf("report: %s must not be negative", name)}
		}
	}
	return buildReport(ctx, fs.Arg(0), opts, stdout, stderr)
}

// writeReports rebuilds the reports of a run directory with the default
// options; the run subcommand calls it after a run.
func writeReports(ctx context.Context, dir string, stdout, stderr io.Writer) error {
	return buildReport(ctx, dir, report.Options{}, stdout, stderr)
}

func buildReport(ctx context.Context, dir string, opts report.Options, stdout, stderr io.Writer) error {
	opts.Log = stderr
	b, err := report.BuildContext(ctx, dir, opts)
	if errors.Is(err, record.ErrNoRecords) {
		return &ExitError{Code: 2, Msg: "report: " + err.Error()}
	}
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	fmt.Fprintf(stdout, "report: %d records, %d groups, %d skipped lines; wrote %d files to %s:\n",
		b.Summary.Records, len(b.Summary.Groups), len(b.Skipped), len(b.Files), dir)
	fmt.Fprintf(stdout, "  figures in %s\n", b.Summary.Banner)
	for _, f := range b.Files {
		fmt.Fprintf(stdout, "  %s\n", filepath.Join(dir, f))
	}
	return nil
}

// defaultReportMemMiB is hypobench report's default soft memory limit.
// Measured on a 1M-record run (2.72 GB of requests.jsonl): peak RSS 2.7 GiB
// without a limit, 1.1 GiB with GOMEMLIMIT=900MiB, for about 17% more CPU.
const defaultReportMemMiB = 900
