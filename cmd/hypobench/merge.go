package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/hypobench/hypobench/merge"
	"github.com/hypobench/hypobench/record"
)

func init() {
	register("merge", "join the run directories of a sharded run's shards into one run", mergeCmd)
}

// mergeCmd implements
//
//	hypobench merge [--partial] [--skew-tolerance DUR] [--wait DUR] [--no-report] --out DIR SHARD_DIR...
//
// Flags may come before or after the shard directories. A shard directory
// that holds no config.json but a "latest" link (a --out root) stands for
// the run it links to. It prints one line per shard (status, records,
// clock offsets in ms), one per open-loop phase (its rates summed over
// the shards, its pooled send lag) and the warnings, then builds the
// merged run's reports. Exit status 2 when the shards cannot be merged (plan mismatch,
// a missing shard without --partial, a non-empty --out).
func mergeCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts merge.Options
	fs.StringVar(&opts.Out, "out", "", "the merged run directory (created; must be empty if it exists)")
	fs.BoolVar(&opts.Partial, "partial", false, "merge even when some shards of the run are missing")
	fs.DurationVar(&opts.SkewTolerance, "skew-tolerance", 0, "warn when a shard's clock is off by more (default: 10% of the median TTFT, at least 1ms)")
	wait := fs.Duration("wait", 0, "wait up to this long for every shard's config.json to show a final status (a merge step started beside the shards)")
	noReport := fs.Bool("no-report", false, "skip writing summary, plots and index.html")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hypobench merge [--partial] [--skew-tolerance DUR] [--wait DUR] [--no-report] --out DIR SHARD_DIR...")
		fs.PrintDefaults()
	}
	var dirs []string
	for {
		if err := parseFlags(fs, args, stderr); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		dirs = append(dirs, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(dirs) == 0 || opts.Out == "" {
		fs.Usage()
		return &ExitError{Code: 2, Msg: "merge: want --out DIR and at least one shard directory"}
	}
	if *wait > 0 {
		var err error
		if dirs, err = waitForShards(ctx, dirs, *wait, opts.Partial, 2*time.Second, stderr); err != nil {
			return &ExitError{Code: 2, Msg: "merge: " + err.Error()}
		}
	}
	for i, d := range dirs {
		dirs[i] = runDir(d)
	}
	res, err := merge.Merge(ctx, dirs, opts)
	if err != nil {
		return &ExitError{Code: 2, Msg: err.Error()}
	}
	printMerge(stdout, res)
	for _, w := range res.Warnings {
		fmt.Fprintln(stderr, "hypobench: merge:", w)
	}
	if *noReport {
		return nil
	}
	return writeReports(context.WithoutCancel(ctx), res.Dir, stdout, stderr)
}

// runDir returns d, or d/latest when d holds no config.json but a latest
// link (the --out root a shard was given).
func runDir(d string) string {
	if _, err := os.Stat(filepath.Join(d, record.ConfigFile)); err == nil {
		return d
	}
	if _, err := os.Stat(filepath.Join(d, record.LatestLink, record.ConfigFile)); err == nil {
		return filepath.Join(d, record.LatestLink)
	}
	return d
}

// waitForShards polls until every directory holds a config.json whose
// status is final (complete or interrupted) or until timeout. At the
// deadline, shards still "running" are merged as they are (their process
// may have died); directories with no config.json at all are dropped with
// --partial and are an error without it.
func waitForShards(ctx context.Context, dirs []string, timeout time.Duration, partial bool, poll time.Duration, stderr io.Writer) ([]string, error) {
	deadline := time.Now().Add(timeout)
	for {
		var pending, absent []string
		for _, d := range dirs {
			c, err := record.ReadConfig(filepath.Join(runDir(d), record.ConfigFile))
			switch {
			case err != nil:
				absent = append(absent, d)
			case c.Status == record.StatusRunning:
				pending = append(pending, d)
			}
		}
		if len(pending)+len(absent) == 0 {
			return dirs, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			fmt.Fprintf(stderr, "hypobench: merge: stopped waiting after %s: still running %v, not started %v\n", timeout, pending, absent)
			if len(absent) == 0 {
				return dirs, nil
			}
			if !partial {
				return nil, fmt.Errorf("no run in %v after waiting %s (--partial merges the others)", absent, timeout)
			}
			var keep []string
			for _, d := range dirs {
				if !contains(absent, d) {
					keep = append(keep, d)
				}
			}
			if len(keep) == 0 {
				return nil, fmt.Errorf("no shard wrote a run after waiting %s", timeout)
			}
			return keep, nil
		}
		select {
		case <-ctx.Done():
		case <-time.After(poll):
		}
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// printMerge writes the merge's summary: one line per shard with its
// clock offsets in milliseconds (coordinator − shard; ± is half the kept
// round trip, the bound on the offset's error).
func printMerge(w io.Writer, res *merge.Result) {
	c := res.Config
	fmt.Fprintf(w, "merge: %d records (%d errors) from %d of %d shards into %s, status %s\n",
		res.Records, res.Errors, len(c.Shards), res.Count, res.Dir, c.Status)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "shard\tstatus\trecords\terrors\toffset start\toffset end\t±\thost\tdir")
	for _, s := range c.Shards {
		off0, off1, pm := "no estimate", "no estimate", "-"
		if s.Clock {
			off0, off1, pm = msSigned(s.OffsetStartNs), msSigned(s.OffsetEndNs), fmt.Sprintf("%.3f ms", float64(s.DelayNs)/2e6)
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n", s.Index, s.Status, s.Records, s.Errors, off0, off1, pm, s.Hostname, s.Dir)
	}
	tw.Flush()
	for _, p := range res.Phases {
		if !p.OpenLoop() {
			continue
		}
		fmt.Fprintf(w, "phase %d (%s, %s): target %.4g req/s, offered %.4g, achieved %.4g (summed over the shards), %d requests",
			p.Index, p.Profile, p.Arrival, p.TargetRate, p.OfferedRate, p.AchievedRate, p.Requests)
		if p.MaxConcurrency > 0 {
			fmt.Fprintf(w, ", max_concurrency %d", p.MaxConcurrency)
		}
		if l := p.SendLag; l != nil {
			fmt.Fprintf(w, "; send lag p50 %.3g ms, p90 %.3g ms, max %.3g ms (n %d)", 1e3*l.P50, 1e3*l.P90, 1e3*l.Max, l.N)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "clock-skew tolerance: %s\n", res.ToleranceText)
}

func msSigned(ns int64) string { return fmt.Sprintf("%+.3f ms", float64(ns)/1e6) }
