package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hypobench/hypobench/hypotheses"
	"github.com/hypobench/hypobench/kerneltrace"
	"github.com/hypobench/hypobench/record"
	"github.com/hypobench/hypobench/verdict"
)

func init() {
	register("trace", "cut a GPU kernel trace into the run's phases and test H4", traceCmd)
}

// traceCmd implements
//
//	hypobench trace [--phases PHASES.jsonl] [--threshold DUR] [--format auto|sqlite|csv|kineto]
//	                [--base-unix-ns N] [--window DUR] [--b N] [--alpha A] [--seed N] TRACE
//
// It prints the per-phase table and the H4 verdict. Exit status: 0 pass,
// 1 fail, 2 inconclusive or unusable input.
func traceCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("trace", flag.ContinueOnError)
	fs.SetOutput(stderr)
	phasesPath := fs.String("phases", "", "phases.jsonl of the run (wall-clock phase windows); without it, NVTX ranges named after the profiles")
	threshold := fs.Duration("threshold", 0, "long-kernel threshold (e.g. 100us) of the per-phase table and of H4's duration split, used when kernel names do not classify; 0 = adaptive (Otsu on log10 durations)")
	format := fs.String("format", "auto", "trace format: auto, sqlite, csv or kineto")
	base := fs.Int64("base-unix-ns", 0, "unix ns of the capture start, for traces without a time base (nsys CSV)")
	window := fs.Duration("window", 0, fmt.Sprintf("H4 bootstrap window length; 0 = %d windows per phase", hypotheses.H4DefaultWindows))
	b := fs.Int("b", hypotheses.H4DefaultB, "bootstrap replicates")
	alpha := fs.Float64("alpha", 0.05, "1 − confidence level of the H4 intervals")
	seed := fs.Uint64("seed", 1, "bootstrap seed")
	prefill := fs.String("prefill", hypotheses.H4DefaultPrefill, "prefill-heavy profile")
	decode := fs.String("decode", hypotheses.H4DefaultDecode, "decode-heavy profile")
	topN := fs.Int("top", 3, "kernel names listed per phase")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hypobench trace [flags] TRACE")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &ExitError{Code: 2, Msg: err.Error()}
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return &ExitError{Code: 2, Msg: "trace: want exactly one TRACE file"}
	}
	unusable := func(err error) error { return &ExitError{Code: 2, Msg: "trace: " + err.Error()} }
	f, err := kerneltrace.ParseFormat(*format)
	if err != nil {
		return unusable(err)
	}
	tr, err := kerneltrace.Load(ctx, fs.Arg(0), f)
	if err != nil {
		return unusable(err)
	}
	if *base != 0 {
		if err := tr.SetBase(*base, "--base-unix-ns"); err != nil {
			return unusable(err)
		}
	}
	var phases []record.Phase
	if *phasesPath != "" {
		ps, bad, err := record.ReadPhases(*phasesPath)
		if err != nil {
			return unusable(fmt.Errorf("reading phases: %w", err))
		}
		for _, e := range bad {
			fmt.Fprintln(stderr, "warning:", e)
		}
		phases = ps
	}
	a, err := kerneltrace.Analyze(tr, phases, kerneltrace.Options{Threshold: *threshold, TopN: *topN})
	if err != nil {
		return unusable(err)
	}
	rng := rand.New(rand.NewPCG(*seed, 0))
	res := hypotheses.H4Trace(rng, a, *prefill, *decode, *window, *b, *alpha)
	res.Seed = *seed
	printAnalysis(stdout, a)
	printH4(stdout, res)
	switch res.Outcome {
	case verdict.Pass:
		return nil
	case verdict.Fail:
		return &ExitError{Code: 1}
	}
	return &ExitError{Code: 2}
}

func printAnalysis(w io.Writer, a kerneltrace.Analysis) {
	fmt.Fprintf(w, "trace      %s (%s)\n", a.Path, a.Format)
	fmt.Fprintf(w, "time base  %s; phases aligned by %s\n", orNone(a.BaseSource), a.Alignment)
	fmt.Fprintf(w, "kernels    %d (%d outside every phase; %d memcpy/memset left out)\n", a.Kernels, a.Outside, a.Skipped)
	how := a.Threshold.Method
	if how != "stated" {
		how = fmt.Sprintf("%s, separation %.2f", how, a.Threshold.Separation)
	}
	fmt.Fprintf(w, "long       kernels ≥ %v (%s)\n\n", a.Threshold.Value, how)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\tprofile\tc\twall\tkernels\tbusy\tutil\tlong share\tshort/ms\tp50\tp90\tp99\tgemm\tattn\telem\tother\t")
	for _, p := range a.Phases {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%v\t%d\t%v\t%.0f%%\t%.1f%%\t%.2f\t%v\t%v\t%v",
			p.Index, p.Profile, p.Concurrency, round(p.Wall), p.Kernels, round(p.Busy), 100*p.Utilization,
			100*p.LongShare, p.ShortDensity, round(p.P50), round(p.P90), round(p.P99))
		for _, c := range kerneltrace.Classes {
			share := 0.0
			if p.KernelTime > 0 {
				share = float64(p.ClassTime[c]) / float64(p.KernelTime)
			}
			fmt.Fprintf(tw, "\t%.0f%%", 100*share)
		}
		fmt.Fprintln(tw, "\t")
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, p := range a.Phases {
		fmt.Fprintf(w, "top kernels, phase %d %s:\n", p.Index, p.Profile)
		for _, n := range p.Top {
			fmt.Fprintf(w, "  %5.1f%%  %-11s %6d × %-60s\n", 100*n.Share, n.Class, n.Count, shorten(n.Name, 60))
		}
	}
	for _, s := range a.Warnings {
		fmt.Fprintln(w, "warning:", s)
	}
}

func printH4(w io.Writer, r hypotheses.H4Result) {
	fmt.Fprintf(w, "\nH4 %s: %s\n", strings.ToUpper(string(r.Outcome)), r.Reason)
	win := fmt.Sprintf("%d per phase", hypotheses.H4DefaultWindows)
	if r.Window > 0 {
		win = r.Window.String()
	}
	fmt.Fprintf(w, "  %s phases %v vs %s phases %v; windows %d vs %d (%s); kernels %d vs %d\n",
		r.Prefill, r.PrefillPhases, r.Decode, r.DecodePhases, r.PrefillWindows, r.DecodeWindows, win, r.PrefillKernels, r.DecodeKernels)
	fmt.Fprintf(w, "  circular block bootstrap B=%d, blocks of %d and %d windows, %.0f%% percentile intervals (expanded for few blocks), seed %d\n",
		r.B, r.PrefillBlock, r.DecodeBlock, 100*(1-r.Alpha), r.Seed)
	fmt.Fprintf(w, "  split: %s\n", r.Split)
	for _, e := range []struct {
		hypotheses.Estimate
		unit, check string
		scale       float64
	}{{r.LongBlocks, "µs", hypotheses.H4CheckLongBlocks, 1e-3}, {r.ShortDensity, "/ms", hypotheses.H4CheckShortDensity, 1}} {
		fmt.Fprintf(w, "  %-12s %s\n", e.Outcome, e.Claim)
		fmt.Fprintf(w, "               %s %.4f %s, %s %.4f %s; difference %.4f [%.4f, %.4f]; ratio %.3f [%.3f, %.3f]\n",
			r.Prefill, e.Prefill*e.scale, e.unit, r.Decode, e.Decode*e.scale, e.unit, e.Diff*e.scale, e.DiffCI.Lo*e.scale, e.DiffCI.Hi*e.scale, e.Ratio, e.RatioCI.Lo, e.RatioCI.Hi)
		fmt.Fprintf(w, "               calibration: %s\n", hypotheses.H4Calibrated.Describe(e.check))
	}
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	case d >= time.Microsecond:
		return d.Round(100 * time.Nanosecond)
	}
	return d
}

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
