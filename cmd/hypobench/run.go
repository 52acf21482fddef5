package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	hrun "github.com/hypobench/hypobench/run"
	"github.com/hypobench/hypobench/workload"
)

func init() {
	register("run", "run a suite against a target with no assertions and write the run directory", runCmd)
}

// runCmd implements `hypobench run`. Flags override the HYPOBENCH_*
// variables. Exit status 0 when the run completed (failed requests are
// records), 2 when it could not proceed, 130 when it was interrupted
// (SIGINT/SIGTERM) — every finished record is on disk then too.
func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	env, err := hrun.LoadEnv()
	if err != nil {
		return &ExitError{Code: 2, Msg: err.Error()}
	}
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&env.Target, "target", env.Target, "base URL of an OpenAI-compatible server (empty: the embedded engine)")
	fs.StringVar(&env.Model, "model", env.Model, "model name (empty: the first listed by /v1/models)")
	fs.StringVar(&env.Suite, "suite", env.Suite, "suite: tiny, huge, or a suite file")
	conc := fs.String("concurrency", "", "comma-separated concurrency levels, overriding the suite's")
	fs.IntVar(&env.Requests, "requests", env.Requests, "requests per profile per level, overriding the suite's")
	fs.StringVar(&env.Endpoint, "endpoint", env.Endpoint, "completions or chat, overriding the suite's")
	fs.StringVar(&env.Out, "out", env.Out, "reports root; the run lands in OUT/<run-id>")
	seed := fs.Uint64("seed", env.Seed, "seed for nonces and statistics")
	fs.StringVar(&env.Engine, "engine", env.Engine, "embedded engine gpu:model, e.g. rtx4090:qwen2.5-7b")
	fs.Float64Var(&env.Speed, "speed", env.Speed, "embedded engine time compression (10 = ten times faster than the modelled GPU)")
	fs.DurationVar(&env.Timeout, "timeout", env.Timeout, "per-request timeout (default 10m)")
	noReport := fs.Bool("no-report", false, "skip writing summary, plots and index.html")
	shard := addShardFlags(fs)
	if err := fs.Parse(args); err != nil {
		return &ExitError{Code: 2}
	}
	if fs.NArg() > 0 {
		return &ExitError{Code: 2, Msg: fmt.Sprintf("run: unexpected argument %q", fs.Arg(0))}
	}
	if *conc != "" {
		if env.Concurrency, err = hrun.ParseInts(*conc); err != nil {
			return &ExitError{Code: 2, Msg: fmt.Sprintf("--concurrency: %v", err)}
		}
	}
	env.Seed = *seed
	env.SeedSet = env.SeedSet || *seed != 0
	suite, err := suiteFromEnv(env)
	if err != nil {
		return &ExitError{Code: 2, Msg: err.Error()}
	}
	sharding, clockEnd, err := shard.setup(ctx, env, stderr)
	if err != nil {
		return &ExitError{Code: 2, Msg: err.Error()}
	}
	res, err := runSuite(ctx, env, suite, sharding, clockEnd, stderr)
	if err != nil {
		return &ExitError{Code: 2, Msg: err.Error()}
	}
	fmt.Fprintf(stdout, "run %s: %d records (%d errors) in %s\n", res.RunID, res.Records, res.Errors, res.Dir)
	if !*noReport {
		if err := writeReports(context.WithoutCancel(ctx), res.Dir, stdout, stderr); err != nil {
			return err
		}
	}
	if res.Interrupted {
		return &ExitError{Code: 130, Msg: "run interrupted: every finished request is in " + res.Dir + "/requests.jsonl"}
	}
	return nil
}

// suiteFromEnv loads the suite and applies the environment's overrides.
func suiteFromEnv(env hrun.Env) (*workload.Suite, error) {
	s, err := workload.LoadSuite(env.Suite)
	if err != nil {
		return nil, err
	}
	if len(env.Concurrency) > 0 {
		s.Concurrency = env.Concurrency
	}
	if env.Requests > 0 {
		s.Requests = env.Requests
	}
	if env.Endpoint != "" {
		s.Endpoint = env.Endpoint
	}
	if env.SeedSet {
		s.Seed = env.Seed
	}
	return s, s.Validate()
}

// runSuite opens the target, prints the effective configuration once and
// executes the suite into a new run directory.
//
// With sharding, the run is one shard: its own nonce seed (so shards'
// prompts differ and prefix caching cannot join them), and clockEnd (when
// not nil) takes the end-of-run clock estimate.
func runSuite(ctx context.Context, env hrun.Env, s *workload.Suite, sharding *hrun.Sharding, clockEnd hrun.Hook, stderr io.Writer) (*hrun.Result, error) {
	tgt, err := hrun.OpenTarget(ctx, env, nil)
	if err != nil {
		return nil, err
	}
	defer tgt.Close()
	dir, id, err := hrun.NewDir(env.Out, s.Name)
	if err != nil {
		return nil, err
	}
	if err := hrun.MarkLatest(env.Out, id); err != nil {
		fmt.Fprintln(stderr, "hypobench:", err)
	}
	meta := tgt.Meta
	meta["env"] = env
	fmt.Fprintf(stderr, "hypobench run %s: target %s model %s suite %s concurrency %v requests/level %d endpoint %s seed %d\n",
		id, tgt.URL, tgt.Model, s.Name, s.Concurrency, s.Requests, s.Endpoint, s.Seed)
	hooks, seed := targetHooks(tgt, env.APIKey, dir, stderr), s.Seed
	if sharding != nil {
		seed += uint64(sharding.Shard.Index) * 0x9e3779b97f4a7c15
		if clockEnd != nil {
			hooks = append(hooks, clockEnd)
		}
	}
	res, err := hrun.Execute(ctx, hrun.Config{
		Client: tgt.Client, Model: tgt.Model, Suite: s, Dir: dir, RunID: id, Seed: seed,
		Progress: stderr, Meta: meta, Hooks: hooks, Sharding: sharding,
	})
	if err != nil && errors.Is(err, hrun.ErrNoTarget) {
		return nil, fmt.Errorf("target %s: %w", tgt.URL, err)
	}
	return res, err
}
