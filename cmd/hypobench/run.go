package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/hypobench/hypobench/openai"
	"github.com/hypobench/hypobench/record"
	hrun "github.com/hypobench/hypobench/run"
	"github.com/hypobench/hypobench/workload"
)

func init() {
	register("run", "run a suite against a target with no assertions and write the run directory", runCmd)
}

// runCmd implements `hypobench run`. Flags override the HYPOBENCH_*
// variables. Exit status 0 when the run completed (failed requests are
// records), 2 when it could not proceed or its result is not a valid
// measurement (client-limited, or files not written whole), 130 when it
// was interrupted (SIGINT/SIGTERM) — every finished record is on disk then
// too.
func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	env, err := hrun.LoadEnv()
	if err != nil {
		return &ExitError{Code: 2, Msg: err.Error()}
	}
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	env.BindFlags(fs)
	noReport := fs.Bool("no-report", false, "skip writing summary, plots and index.html")
	var open openFlags
	open.register(fs)
	shard := addShardFlags(fs)
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &ExitError{Code: 2, Msg: fmt.Sprintf("run: unexpected argument %q", fs.Arg(0))}
	}
	suite, err := suiteFromEnv(env)
	if err == nil {
		err = open.apply(suite, flagGiven(fs, "concurrency"))
	}
	if err != nil {
		return &ExitError{Code: 2, Msg: err.Error()}
	}
	sharding, clockEnd, err := shard.setup(ctx, env, suite, stderr)
	if err != nil {
		return &ExitError{Code: 2, Msg: err.Error()}
	}
	res, err := runSuite(ctx, env, suite, sharding, clockEnd, stderr)
	if err != nil {
		return &ExitError{Code: 2, Msg: err.Error()}
	}
	fmt.Fprintf(stdout, "run %s: %d records (%d errors) in %s\n", res.RunID, res.Records, res.Errors, res.Dir)
	warnClientLimited(stderr, res.ClientCheck)
	for _, f := range res.WriteErrors {
		fmt.Fprintf(stderr, "hypobench: warning: %s could not be written whole (disk full?); the run's data is incomplete\n", f)
	}
	if !*noReport {
		if err := writeReports(context.WithoutCancel(ctx), res.Dir, stdout, stderr); err != nil {
			return err
		}
	}
	if res.Interrupted {
		return &ExitError{Code: 130, Msg: "run interrupted: every finished request is in " + res.Dir + "/requests.jsonl"}
	}
	if len(res.ClientLimited) > 0 || len(res.WriteErrors) > 0 {
		return &ExitError{Code: 2, Msg: "run " + res.RunID + " is not a valid measurement (see the warnings above and config.json)"}
	}
	return nil
}

// suiteFromEnv loads the suite and applies the environment's overrides
// (run.ApplySuite: the one validation path).
func suiteFromEnv(env hrun.Env) (*workload.Suite, error) { return hrun.ApplySuite(env) }

// runSuite checks the descriptor budget, opens the target, prints the
// effective configuration once and executes the suite into a new run
// directory, which becomes OUT/latest once its config.json is written.
//
// With sharding, the run is one shard: its own nonce seed (so shards'
// prompts differ and prefix caching cannot join them), and clockEnd (when
// not nil) takes the end-of-run clock estimate.
func runSuite(ctx context.Context, env hrun.Env, s *workload.Suite, sharding *hrun.Sharding, clockEnd hrun.Hook, stderr io.Writer) (*hrun.Result, error) {
	if _, err := hrun.CheckSuiteFDs(s, env.Timeout, env.Target == ""); err != nil {
		return nil, err
	}
	tgt, err := hrun.OpenTarget(ctx, env, nil)
	if err != nil {
		return nil, err
	}
	defer tgt.Close()
	dir, id, err := hrun.NewDir(env.Out, s.Name)
	if err != nil {
		return nil, err
	}
	markLatest := func(_ context.Context, _ record.Phase, edge string) error {
		if edge == "run-start" {
			if err := hrun.MarkLatest(env.Out, id); err != nil {
				fmt.Fprintln(stderr, "hypobench:", err)
			}
		}
		return nil
	}
	meta := tgt.Meta
	meta["env"] = env
	fmt.Fprintf(stderr, "hypobench run %s: target %s model %s suite %s %s requests/level %d endpoint %s seed %d\n",
		id, tgt.URL, tgt.Model, s.Name, loadShape(s), s.Requests, s.Endpoint, s.Seed)
	hooks, seed := append([]hrun.Hook{markLatest}, targetHooks(tgt, env, dir, stderr)...), s.Seed
	if sharding != nil {
		seed += uint64(sharding.Shard.Index) * 0x9e3779b97f4a7c15
		if clockEnd != nil {
			hooks = append(hooks, clockEnd)
		}
	}
	res, err := hrun.Execute(ctx, hrun.Config{
		Client: tgt.Client, Model: tgt.Model, Suite: s, Dir: dir, RunID: id, Seed: seed,
		Progress: stderr, DesignProgress: stderr, Meta: meta, Abort: abortOf(ctx), Hooks: hooks,
		ExternalTarget: tgt.Embedded == nil, Engine: tgt.EngineClock(), Sharding: sharding,
	})
	if err != nil && errors.Is(err, hrun.ErrNoTarget) {
		return nil, fmt.Errorf("target %s: %w", tgt.URL, err)
	}
	return res, err
}

// parseFlags parses args into fs. The flag package's own error message
// quotes the value, which for --target may hold credentials, so it is
// printed here with any user:password@ removed.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(stderr)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
		return &ExitError{Code: 0}
	}
	return &ExitError{Code: 2, Msg: fs.Name() + ": " + openai.StripCredentials(err.Error())}
}
