package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hypobench/hypobench/compare"
	"github.com/hypobench/hypobench/engine"
	hrun "github.com/hypobench/hypobench/run"
	"github.com/hypobench/hypobench/verdict"
	"github.com/hypobench/hypobench/workload"
)

func init() {
	register("compare", "gate a new run against a baseline run (exit 0 pass, 1 fail, 2 inconclusive)", compareCmd)
	register("abab", "run a suite on two targets interleaved A B A B …, then compare B against A", ababCmd)
}

// defaultRounds is abab's rounds per side (see compare's doc for what
// each number of rounds detects).
const defaultRounds = 4

// gateFlags are the flags compare and abab share.
type gateFlags struct {
	budget    string
	metric    map[compare.Metric]*string
	seed      uint64
	b         int
	level     float64
	minN      int
	runRun    string
	out       string
	verbose   bool
	wallClock bool
}

func addGateFlags(fs *flag.FlagSet, outHelp string) *gateFlags {
	g := &gateFlags{metric: map[compare.Metric]*string{}}
	fs.StringVar(&g.budget, "budget", "5%", "allowed regression of every metric, as 5% or 0.05")
	for _, m := range compare.AllMetrics {
		g.metric[m] = fs.String("budget-"+string(m), "", "allowed regression of "+strings.ToUpper(string(m))+" (default: --budget)")
	}
	fs.Uint64Var(&g.seed, "seed", compare.DefaultSeed, "seed of the bootstrap's PCG generator")
	fs.IntVar(&g.b, "B", compare.DefaultB, "bootstrap replicates")
	fs.Float64Var(&g.level, "level", compare.DefaultLevel, "two-sided level of the CI of new/base (0.90: a one-sided 95% bound)")
	fs.IntVar(&g.minN, "min-n", compare.DefaultMinN, "fewest requests per side and group for a decision")
	fs.StringVar(&g.runRun, "run-to-run", "", "run-to-run variation of a run's quantiles, as 10% (a log-sd, measured with an A/A `hypobench abab X X`), so that one run per side can decide; without it one run per side is inconclusive")
	fs.StringVar(&g.out, "out", "", outHelp)
	fs.BoolVar(&g.wallClock, "wall-clock", false, "compare embedded engine runs in wall-clock time as measured, not the modelled GPU's simulated time")
	return g
}

func (g *gateFlags) options() (compare.Options, error) {
	o := compare.Options{Seed: g.seed, SeedSet: true, B: g.b, Level: g.level, MinN: g.minN, Budgets: map[compare.Metric]float64{},
		WallClock: g.wallClock}
	var err error
	if o.Budget, err = compare.ParseBudget(g.budget); err != nil {
		return o, fmt.Errorf("--budget: %w", err)
	}
	for m, s := range g.metric {
		if *s == "" {
			continue
		}
		if o.Budgets[m], err = compare.ParseBudget(*s); err != nil {
			return o, fmt.Errorf("--budget-%s: %w", m, err)
		}
	}
	if g.runRun != "" {
		if o.RunToRun, err = compare.ParseBudget(g.runRun); err != nil {
			return o, fmt.Errorf("--run-to-run: %w", err)
		}
	}
	if g.b < 2000 {
		return o, fmt.Errorf("-B %d: the gate needs at least 2000 replicates for stable 90%% bounds", g.b)
	}
	if !(g.level > 0 && g.level < 1) {
		return o, fmt.Errorf("--level %g: want a number between 0 and 1", g.level)
	}
	return o, nil
}

// parseInterspersed parses flags that may come before, between or after
// the positional arguments (`compare BASE NEW --budget 10%`).
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// compareCmd implements `hypobench compare [flags] BASE NEW`.
func compareCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hypobench compare [flags] BASE NEW\n\nBASE and NEW are run directories (or their requests.jsonl, or a directory of\ninterleaved rounds). Rounds are what the interval is built from: interleaved\nrounds (hypobench abab) are gated as pairs; one run per side shows its\nrequest-level interval but cannot decide unless --run-to-run states how much\nruns vary. Exit status 0 pass, 1 fail, 2 inconclusive or unusable input.\n\nflags:")
		fs.PrintDefaults()
	}
	g := addGateFlags(fs, "where to write compare.json (default: NEW's run directory; - for none)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2}
	}
	if len(pos) != 2 {
		fs.Usage()
		return &ExitError{Code: 2, Msg: fmt.Sprintf("compare: want BASE and NEW, got %d argument(s)", len(pos))}
	}
	opts, err := g.options()
	if err != nil {
		return &ExitError{Code: 2, Msg: "compare: " + err.Error()}
	}
	base, err := compare.Load(pos[0])
	if err != nil {
		return &ExitError{Code: 2, Msg: err.Error()}
	}
	cand, err := compare.Load(pos[1])
	if err != nil {
		return &ExitError{Code: 2, Msg: err.Error()}
	}
	out := g.out
	if out == "" {
		out = filepath.Join(cand.Dir, compare.JSONFile)
	}
	return gate(base, cand, opts, out, stdout, stderr)
}

// gate compares, prints the table, writes compare.json and maps the
// outcome to the exit status.
func gate(base, cand *compare.Source, opts compare.Options, out string, stdout, stderr io.Writer) error {
	rep := compare.Runs(base, cand, opts)
	if err := compare.WriteText(stdout, rep); err != nil {
		return err
	}
	if len(rep.Warnings) > 0 {
		fmt.Fprintf(stderr, "hypobench compare: WARNING: %d warning(s), see above\n", len(rep.Warnings))
	}
	if out != "-" {
		if err := compare.WriteJSON(out, rep); err != nil {
			return &ExitError{Code: 2, Msg: err.Error()}
		}
		fmt.Fprintf(stdout, "wrote %s\n", out)
	}
	switch rep.Outcome {
	case verdict.Pass:
		return nil
	case verdict.Fail:
		return &ExitError{Code: 1, Msg: "compare: FAIL: the new run regressed beyond the budget"}
	}
	for _, c := range rep.Checks {
		if c.Design == compare.SingleRound && opts.RunToRun == 0 {
			return &ExitError{Code: 2, Msg: "compare: INCONCLUSIVE: one run per side cannot tell a regression from run-to-run variation; interleave rounds (hypobench abab A B) or give --run-to-run"}
		}
	}
	return &ExitError{Code: 2, Msg: "compare: INCONCLUSIVE: the data cannot tell; see the n column"}
}

// ababCmd implements `hypobench abab [flags] A B`: the suite runs on A and
// B in counterbalanced rounds — A B, then B A, then A B, … (so a steady
// drift falls on both sides alike) — for --rounds rounds each, into
// OUT/<id>/A/round-NN and OUT/<id>/B/round-NN, and B is then gated against
// A on the paired rounds (compare.Interleaved).
// A target is a base URL, or "embedded" / "embedded@SPEED" for an embedded
// engine started for the session (a slower speed on B simulates a
// regression, which is how the gate's sensitivity is shown).
func ababCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	env, err := hrun.LoadEnv()
	if err != nil {
		return &ExitError{Code: 2, Msg: err.Error()}
	}
	fs := flag.NewFlagSet("abab", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hypobench abab [flags] A B\n\nA and B are base URLs, or embedded[@SPEED]. Exit status as compare.\n\nflags:")
		fs.PrintDefaults()
	}
	rounds := fs.Int("rounds", defaultRounds, "rounds per target, counterbalanced: A B, B A, A B, …")
	env.BindFlags(fs, "suite", "concurrency", "requests", "model")
	root := fs.String("root", env.Out, "reports root; the session lands in ROOT/<id>-abab")
	g := addGateFlags(fs, "where to write compare.json (default: the session directory)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return &ExitError{Code: 2}
	}
	if len(pos) != 2 || *rounds < 1 {
		fs.Usage()
		return &ExitError{Code: 2, Msg: "abab: want two targets A and B and --rounds ≥ 1"}
	}
	opts, err := g.options()
	if err != nil {
		return &ExitError{Code: 2, Msg: "abab: " + err.Error()}
	}
	suite, err := suiteFromEnv(env)
	if err != nil {
		return &ExitError{Code: 2, Msg: err.Error()}
	}
	var tgts [2]*hrun.Target
	for i, spec := range pos {
		if tgts[i], err = openSpec(ctx, env, spec); err != nil {
			return &ExitError{Code: 2, Msg: fmt.Sprintf("abab: target %s: %v", spec, err)}
		}
		defer tgts[i].Close()
	}
	session, id, err := hrun.NewDir(*root, "abab")
	if err != nil {
		return &ExitError{Code: 2, Msg: err.Error()}
	}
	fmt.Fprintf(stderr, "hypobench abab %s: suite %s, %d rounds, A %s, B %s\n", id, suite.Name, *rounds, tgts[0].URL, tgts[1].URL)
	for r := 1; r <= *rounds; r++ {
		order := []int{0, 1}
		if r%2 == 0 {
			order = []int{1, 0}
		}
		for _, i := range order {
			side := []string{"A", "B"}[i]
			if ctx.Err() != nil {
				return &ExitError{Code: 2, Msg: "abab: interrupted; finished rounds are in " + session}
			}
			dir := filepath.Join(session, side, fmt.Sprintf("round-%02d", r))
			if err := runRound(ctx, tgts[i], suite, dir, fmt.Sprintf("%s-%s-r%02d", id, side, r)); err != nil {
				return &ExitError{Code: 2, Msg: fmt.Sprintf("abab: %s round %d: %v", side, r, err)}
			}
			fmt.Fprintf(stderr, "  round %d %s done\n", r, side)
		}
	}
	base, err := compare.Load(filepath.Join(session, "A"))
	if err != nil {
		return &ExitError{Code: 2, Msg: err.Error()}
	}
	cand, err := compare.Load(filepath.Join(session, "B"))
	if err != nil {
		return &ExitError{Code: 2, Msg: err.Error()}
	}
	out := g.out
	if out == "" {
		out = filepath.Join(session, compare.JSONFile)
	}
	return gate(base, cand, opts, out, stdout, stderr)
}

// openSpec opens a URL target, or an embedded engine for "embedded" or
// "embedded@SPEED".
func openSpec(ctx context.Context, env hrun.Env, spec string) (*hrun.Target, error) {
	if rest, ok := strings.CutPrefix(spec, "embedded"); ok {
		env.Target = ""
		ec := engine.DefaultConfig
		if env.Engine != "" {
			ec.Spec = env.Engine
		}
		ec.Seed = env.Seed
		if env.Speed > 0 {
			ec.Speed = env.Speed
		}
		if s, ok := strings.CutPrefix(rest, "@"); ok {
			v, err := hrun.PositiveFloat(s)
			if err != nil {
				return nil, fmt.Errorf("embedded@SPEED: %q: %w", s, err)
			}
			ec.Speed = v
		} else if rest != "" {
			return nil, fmt.Errorf("want embedded or embedded@SPEED")
		}
		return hrun.OpenTarget(ctx, env, &ec)
	}
	env.Target = strings.TrimRight(spec, "/")
	return hrun.OpenTarget(ctx, env, nil)
}

// runRound runs the whole suite once on tgt into dir.
func runRound(ctx context.Context, tgt *hrun.Target, s *workload.Suite, dir, id string) error {
	// Dropping the idle connections at the end makes every round start
	// on fresh ones, as the first does.
	defer tgt.Client.CloseIdleConnections()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	_, err := hrun.Execute(ctx, hrun.Config{Client: tgt.Client, Model: tgt.Model, Suite: s, Dir: dir, RunID: id, Seed: s.Seed, Meta: tgt.Meta,
		Engine: tgt.EngineClock()})
	return err
}
