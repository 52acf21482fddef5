package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/hypobench/hypobench/compare"
	"github.com/hypobench/hypobench/record"
)

func init() {
	register("baseline", "save a run's requests, phases and config as a baseline under reports/baselines/", baselineCmd)
}

// baselineFiles are copied from the run; requests.jsonl and config.json
// are required (a baseline without its identity cannot warn about a
// comparison across machines), phases.jsonl is copied when present.
var baselineFiles = []struct {
	name     string
	required bool
}{{record.RequestsFile, true}, {record.ConfigFile, true}, {record.PhasesFile, false}}

// baselineCmd implements `hypobench baseline [--name NAME] [--force] RUNDIR
// [DEST]`: it copies the run's files into DEST/NAME (DEST defaults to
// reports/baselines, NAME to the run id). An existing baseline is only
// replaced with --force.
func baselineCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("baseline", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hypobench baseline [--name NAME] [--force] RUNDIR [DEST]\n\nCopies RUNDIR's requests.jsonl, phases.jsonl and config.json into\nDEST/NAME (DEST: reports/baselines; NAME: the run id).\n\nflags:")
		fs.PrintDefaults()
	}
	name := fs.String("name", "", "baseline name (default: the run id)")
	force := fs.Bool("force", false, "replace an existing baseline of that name, and accept an interrupted run")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2}
	}
	if len(pos) < 1 || len(pos) > 2 {
		fs.Usage()
		return &ExitError{Code: 2, Msg: "baseline: want RUNDIR and an optional DEST"}
	}
	src, dest := pos[0], filepath.Join("reports", "baselines")
	if len(pos) == 2 {
		dest = pos[1]
	}
	// Resolve reports/latest to the run it points at, so the baseline is
	// named after the run.
	if r, err := filepath.EvalSymlinks(src); err == nil {
		src = r
	}
	cfg, err := record.ReadConfig(filepath.Join(src, record.ConfigFile))
	if err != nil {
		return &ExitError{Code: 2, Msg: fmt.Sprintf("baseline: reading the run's identity: %v", err)}
	}
	if cfg.Status != record.StatusComplete && !*force {
		return &ExitError{Code: 2, Msg: fmt.Sprintf("baseline: run %s has status %q; a baseline should be a complete run (--force to keep it anyway)", src, cfg.Status)}
	}
	n := *name
	if n == "" {
		n = cfg.RunID
	}
	if n == "" {
		n = filepath.Base(src)
	}
	dir, err := record.Join(dest, "baseline name", n)
	if err != nil {
		return &ExitError{Code: 2, Msg: fmt.Sprintf("baseline: %v", err)}
	}
	if _, err := os.Stat(dir); err == nil && !*force {
		return &ExitError{Code: 2, Msg: fmt.Sprintf("baseline: %s exists (--force to replace it)", dir)}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating baseline directory: %w", err)
	}
	for _, f := range baselineFiles {
		err := copyFile(filepath.Join(src, f.name), filepath.Join(dir, f.name))
		if errors.Is(err, os.ErrNotExist) && !f.required {
			continue
		}
		if err != nil {
			return fmt.Errorf("saving baseline: %w", err)
		}
	}
	// Check the copy reads back as a run.
	s, err := compare.Load(dir)
	if err != nil {
		return fmt.Errorf("checking the saved baseline: %w", err)
	}
	fmt.Fprintf(stdout, "baseline %s: %d requests of run %s (suite %s)\n", dir, s.Requests, s.RunID, cfg.SuiteName())
	fmt.Fprintf(stdout, "gate a run against it: go run ./cmd/hypobench compare %s reports/latest\n", dir)
	fmt.Fprintf(stdout, "or as a test:          HYPOBENCH_BASELINE=%s go test ./hypotheses -run TestRegression\n", dir)
	return nil
}

// copyFile copies src to dst atomically.
func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return record.WriteFileAtomic(dst, b)
}
